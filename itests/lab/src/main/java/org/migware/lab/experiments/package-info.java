/**
 * The experiments on a built distribution (detection, migration, tracking) and the migration
 * benchmark of bin/migware bench; the only lab package that drives MigWare itself.
 */
package org.migware.lab.experiments;
