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
 * @param sources the packet sources the table is fed from now (a capture backend swapped on a
 *        running container has two for a moment, or none)
 * @param captureGaps how many times the table had no packet source after it had had one (a swap
 *        that removed the old backend before the new one came): frames of those times were never seen
 * @param captureGapMillis how long those times lasted in all, an ongoing one included
 * @since 1.6 (sources, captureGaps, captureGapMillis)
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
        Map<String, Long> malformed,
        int sources,
        long captureGaps,
        long captureGapMillis) {

    /** Copies the maps so that the record stays immutable. */
    public TableStatistics {
        packetsIgnored = Map.copyOf(packetsIgnored);
        malformed = Map.copyOf(malformed);
    }

    /** The counters without the sources' coverage (unknown: 0), as before 1.6. */
    public TableStatistics(int tracked, int capacity, long created, long evictedForCapacity, long expiredIdle, long expiredClosed,
            long packetsTracked, Map<String, Long> packetsIgnored, Map<String, Long> malformed) {
        this(tracked, capacity, created, evictedForCapacity, expiredIdle, expiredClosed, packetsTracked, packetsIgnored, malformed,
                0, 0, 0);
    }

    /**
     * @return the same counters with the sources' coverage
     * @since 1.6
     */
    public TableStatistics withCoverage(int sourcesNow, long gaps, long gapMillis) {
        return new TableStatistics(tracked, capacity, created, evictedForCapacity, expiredIdle, expiredClosed, packetsTracked,
                packetsIgnored, malformed, sourcesNow, gaps, gapMillis);
    }
}
