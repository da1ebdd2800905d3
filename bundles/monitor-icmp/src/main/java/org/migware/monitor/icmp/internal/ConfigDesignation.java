package org.migware.monitor.icmp.internal;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.Designate;

/**
 * Designates the metatype of {@link IcmpMonitor.Config} to PID {@value IcmpMonitor#PID}, so that a
 * console shows the settings with their descriptions and defaults. Never enabled, no code: bnd
 * refuses {@code @Designate} on {@link IcmpMonitor}, which takes two configuration PIDs.
 */
@Component(name = "org.migware.monitor.icmp.metatype", configurationPid = IcmpMonitor.PID, enabled = false, service = {})
@Designate(ocd = IcmpMonitor.Config.class)
final class ConfigDesignation {
}
