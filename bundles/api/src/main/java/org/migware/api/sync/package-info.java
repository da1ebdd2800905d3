/**
 * State sync: what a backup learns of the serving host's connections through the sync channel
 * rather than through its own capture (issue 13, "State sync, like conntrackd"). A backup that
 * joins late has not seen the handshakes of the connections opened before it joined; the serving
 * host's table brings them.
 */
@Version("1.0.0")
@Export
package org.migware.api.sync;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
