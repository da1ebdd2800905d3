/**
 * The health-monitor SPI: plug-in bundles that tell the core whether the primary is alive.
 */
@Version("1.1.0")
@Export
package org.migware.api.health;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
