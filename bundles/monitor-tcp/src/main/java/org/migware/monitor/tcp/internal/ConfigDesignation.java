package org.migware.monitor.tcp.internal;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.Designate;

/**
 * Designates the metatype of {@link TcpMonitor.Config} to PID {@value TcpMonitor#PID}, so that a
 * console shows the settings with their descriptions and defaults. Never enabled, no code: bnd
 * refuses {@code @Designate} on {@link TcpMonitor}, which takes two configuration PIDs.
 */
@Component(name = "org.migware.monitor.tcp.metatype", configurationPid = TcpMonitor.PID, enabled = false, service = {})
@Designate(ocd = TcpMonitor.Config.class)
final class ConfigDesignation {
}
