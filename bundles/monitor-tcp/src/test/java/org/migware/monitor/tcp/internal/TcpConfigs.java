package org.migware.monitor.tcp.internal;

import java.util.Map;

import org.migware.testing.Configs;

/** The TCP monitor's property type, as DS makes them. */
final class TcpConfigs {

    private TcpConfigs() {
    }

    static TcpMonitor.Config tcp(Map<String, Object> values) {
        return Configs.of(TcpMonitor.Config.class, values);
    }
}
