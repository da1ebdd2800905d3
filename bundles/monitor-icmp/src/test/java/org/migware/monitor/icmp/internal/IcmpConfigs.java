package org.migware.monitor.icmp.internal;

import java.util.Map;

import org.migware.testing.Configs;

/** The ICMP monitor's two property types, as DS makes them. */
final class IcmpConfigs {

    private IcmpConfigs() {
    }

    static IcmpMonitor.ServiceConfig service(String... addresses) {
        return Configs.of(IcmpMonitor.ServiceConfig.class, Map.of("addresses", addresses));
    }

    static IcmpMonitor.Config icmp(Map<String, Object> values) {
        return Configs.of(IcmpMonitor.Config.class, values);
    }
}
