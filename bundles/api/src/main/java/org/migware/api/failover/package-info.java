/**
 * The failover state of a MigWare instance and its changes.
 */
@Version("1.1.0")
@Export
package org.migware.api.failover;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
