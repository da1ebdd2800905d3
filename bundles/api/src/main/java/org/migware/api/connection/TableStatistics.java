package org.migware.api.connection;

import java.util.Map;

/**
 * Counters of the connection table.
 *
 * @param tracked connections in the table now
 * @param capacity the configured bound
 * @param created connections ever added
 * @param evictedForCapacity connections removed because the table was full
 * @param expiredIdle connections removed after being idle too long
 * @param expiredClosed closed or reset connections removed after their linger time
 * @param packetsTracked frames that updated a connection
 * @param packetsIgnored frames that were not TCP to or from a configured service, by reason
 * @param malformed frames the parser rejected, by reason
 */
public record TableStatistics(
        int tracked,
        int capacity,
        long created,
        long evictedForCapacity,
        long expiredIdle,
        long expiredClosed,
        long packetsTracked,
        Map<String, Long> packetsIgnored,
        Map<String, Long> malformed) {

    /** Copies the maps so that the record stays immutable. */
    public TableStatistics {
        packetsIgnored = Map.copyOf(packetsIgnored);
        malformed = Map.copyOf(malformed);
    }
}
