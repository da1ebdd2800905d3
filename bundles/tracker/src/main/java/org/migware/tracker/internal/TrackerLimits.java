package org.migware.tracker.internal;

/**
 * The table's bound and expiry times.
 *
 * @param maxConnections how many connections the table holds before it evicts
 * @param idleTimeoutNanos how long a live connection may be silent before it is forgotten
 * @param closedLingerNanos how long a closed or reset connection stays visible
 * @param halfOpenTimeoutNanos how long a connection whose handshake has not completed is kept
 */
record TrackerLimits(int maxConnections, long idleTimeoutNanos, long closedLingerNanos, long halfOpenTimeoutNanos) {

    /** Linux's SYN-RECV gives up after 5 SYN-ACK retries (1 + 2 + 4 + 8 + 16 + 32 s); conntrack keeps SYN_RECV 60 s. */
    static final long DEFAULT_HALF_OPEN_TIMEOUT_SECONDS = 63;

    TrackerLimits(int maxConnections, long idleTimeoutNanos, long closedLingerNanos) {
        this(maxConnections, idleTimeoutNanos, closedLingerNanos,
                Math.min(idleTimeoutNanos, java.util.concurrent.TimeUnit.SECONDS.toNanos(DEFAULT_HALF_OPEN_TIMEOUT_SECONDS)));
    }

    TrackerLimits {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("'maxConnections' must be at least 1, was " + maxConnections);
        }
        if (idleTimeoutNanos <= 0) {
            throw new IllegalArgumentException("'idleTimeoutSeconds' must be positive");
        }
        if (halfOpenTimeoutNanos <= 0) {
            throw new IllegalArgumentException("'halfOpenTimeoutSeconds' must be positive");
        }
        if (closedLingerNanos < 0) {
            throw new IllegalArgumentException("'closedLingerSeconds' must not be negative");
        }
    }
}
