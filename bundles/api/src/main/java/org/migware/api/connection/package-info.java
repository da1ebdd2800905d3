/**
 * The connection table: what MigWare knows about every tracked client connection to the
 * service, as immutable snapshots.
 */
@Version("1.8.0")
@Export
package org.migware.api.connection;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
