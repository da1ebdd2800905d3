package org.migware.capture.pcap4j.internal;

import java.util.Map;

import org.migware.testing.Configs;

/** The live capture's two property types, as DS makes them. */
final class CaptureConfigs {

    private CaptureConfigs() {
    }

    static Pcap4jCaptureComponent.ServiceConfig service(String[] addresses, int[] ports) {
        return Configs.of(Pcap4jCaptureComponent.ServiceConfig.class, Map.of("addresses", addresses, "ports", ports));
    }

    static Pcap4jCaptureComponent.Config capture(Map<String, Object> values) {
        return Configs.of(Pcap4jCaptureComponent.Config.class, values);
    }
}
