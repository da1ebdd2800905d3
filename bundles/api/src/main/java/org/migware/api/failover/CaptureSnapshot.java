package org.migware.api.failover;

import java.util.Objects;

import org.migware.api.packet.CaptureStatistics;

/**
 * One capture source's counters, named.
 *
 * @param source the source's name, such as {@code pcap4j:eth0}
 * @param statistics its counters
 * @since 1.2
 */
public record CaptureSnapshot(String source, CaptureStatistics statistics) {

    /** Validates the fields. */
    public CaptureSnapshot {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(statistics, "statistics");
    }
}
