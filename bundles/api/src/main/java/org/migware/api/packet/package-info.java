/**
 * Packets as MigWare sees them: a source of captured Ethernet frames, a sender that puts
 * frames on the wire, and a zero-allocation parsed view over one frame's bytes.
 */
@Version("1.2.0")
@Export
package org.migware.api.packet;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
