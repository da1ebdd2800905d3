package org.migware.monitor.traffic.internal;

/**
 * The thresholds of a {@link StallDetector}; the names are the configuration keys of PID
 * {@code org.migware.monitor.traffic}, so an error message can name the key to fix.
 *
 * @param stallMillis how long client data must stay unacknowledged, and the server silent on
 *     every connection, before that is evidence of a dead primary; also how recent ACK progress
 *     must be to count as evidence of a live one
 * @param minStalledConnections stalled connections needed for DOWN-evidence
 * @param minRetransmissions client retransmissions since the server's last ACK progress that make
 *     a connection with outstanding data count as stalled
 * @param maxConnections connections followed at most; further ones are not followed until a slot frees
 * @param idleTimeoutMillis a followed connection with no packet for this long is forgotten
 */
record DetectorSettings(long stallMillis, int minStalledConnections, int minRetransmissions, int maxConnections,
        long idleTimeoutMillis) {

    static final DetectorSettings DEFAULTS = new DetectorSettings(1000, 1, 1, 10_000, 300_000);

    /** Upper bound on {@code maxConnections}: the table's arrays are allocated up front. */
    static final int MAX_CONNECTIONS_LIMIT = 1 << 22;

    /**
     * @throws IllegalArgumentException naming the key of the first unusable value
     */
    DetectorSettings {
        atLeast("stallMillis", stallMillis, 1);
        atLeast("minStalledConnections", minStalledConnections, 1);
        atLeast("minRetransmissions", minRetransmissions, 0);
        atLeast("maxConnections", maxConnections, 1);
        if (maxConnections > MAX_CONNECTIONS_LIMIT) {
            throw new IllegalArgumentException("'maxConnections' must be at most " + MAX_CONNECTIONS_LIMIT + " (is " + maxConnections + ")");
        }
        atLeast("idleTimeoutMillis", idleTimeoutMillis, 1);
        if (idleTimeoutMillis <= stallMillis) {
            throw new IllegalArgumentException("'idleTimeoutMillis' must exceed 'stallMillis' (" + idleTimeoutMillis
                    + " <= " + stallMillis + "): a stalled connection would be forgotten before it counts");
        }
    }

    private static void atLeast(String key, long value, long minimum) {
        if (value < minimum) {
            throw new IllegalArgumentException("'" + key + "' must be at least " + minimum + " (is " + value + ")");
        }
    }
}
