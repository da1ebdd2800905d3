/**
 * Where MigWare keeps what must survive its own crash or restart: the tracker's table, the
 * proxy's mappings and the core's state, in one folder outside the framework cache (the cache is
 * emptied at every container start). {@link DurableState} finds the folder and writes each file
 * whole or not at all.
 */
@Version("1.1.0")
@Export
package org.migware.api.state;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
