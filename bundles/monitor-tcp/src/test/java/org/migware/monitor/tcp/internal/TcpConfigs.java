package org.migware.monitor.tcp.internal;

import java.util.Map;

import org.migware.testing.Configs;

/** The TCP monitor's two property types, as DS makes them. */
final class TcpConfigs {

    private TcpConfigs() {
    }

    static TcpMonitor.ServiceConfig service(String[] addresses, int[] ports) {
        return Configs.of(TcpMonitor.ServiceConfig.class, Map.of("addresses", addresses, "ports", ports));
    }

    static TcpMonitor.Config tcp(Map<String, Object> values) {
        return Configs.of(TcpMonitor.Config.class, values);
    }
}
