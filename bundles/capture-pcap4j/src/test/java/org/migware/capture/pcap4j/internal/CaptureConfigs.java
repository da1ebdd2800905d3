package org.migware.capture.pcap4j.internal;

import java.util.Map;

import org.migware.testing.Configs;

/** The live capture's property type, as DS makes it. */
final class CaptureConfigs {

    private CaptureConfigs() {
    }

    static Pcap4jCaptureComponent.Config capture(Map<String, Object> values) {
        return Configs.of(Pcap4jCaptureComponent.Config.class, values);
    }
}
