package org.migware.lab.experiments;

import java.util.HashMap;
import java.util.Map;

/**
 * The live capture backend an experiment runs MigWare with. The distribution ships both idle; an
 * experiment configures the one it chooses on the lab's interface and leaves the other's
 * configuration empty, as an operator who chooses the ring does (README, "Choosing the capture
 * backend").
 */
public enum CaptureBackend {

    /** libpcap through pcap4j: bundle org.migware.capture.pcap4j, sources named {@code pcap4j:<if>}. */
    PCAP4J("org.migware.capture.pcap4j", "pcap4j:"),
    /** The kernel's TPACKET_V3 ring: bundle org.migware.capture.ring, sources named {@code ring:<if>}. */
    RING("org.migware.capture.ring", "ring:");

    private final String pid;
    private final String sourcePrefix;

    CaptureBackend(String pid, String sourcePrefix) {
        this.pid = pid;
        this.sourcePrefix = sourcePrefix;
    }

    /** @return the backend's PID, which is also its bundle's symbolic name */
    public String pid() {
        return pid;
    }

    /** @return the name of its source on that interface, as {@code migware:status} lists it */
    public String sourceName(String interfaceName) {
        return sourcePrefix + interfaceName;
    }

    /** @return the other backend */
    public CaptureBackend other() {
        return this == PCAP4J ? RING : PCAP4J;
    }

    /**
     * Puts this backend's configuration into {@code configs} and an empty one for the other.
     *
     * @param configs MigWare's configurations by PID
     * @param settings this backend's keys (interfaceName, bufferSize...)
     */
    public void configure(Map<String, Map<String, String>> configs, Map<String, String> settings) {
        configs.put(pid, new HashMap<>(settings));
        configs.put(other().pid, Map.of());
    }
}
