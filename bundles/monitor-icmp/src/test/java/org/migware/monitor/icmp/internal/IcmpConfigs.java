package org.migware.monitor.icmp.internal;

import java.util.Map;

import org.migware.testing.Configs;

/** The ICMP monitor's property type, as DS makes them. */
final class IcmpConfigs {

    private IcmpConfigs() {
    }

    static IcmpMonitor.Config icmp(Map<String, Object> values) {
        return Configs.of(IcmpMonitor.Config.class, values);
    }
}
