package org.migware.tracker.internal;

/**
 * The table's bound and expiry times.
 *
 * @param maxConnections how many connections the table holds before it evicts
 * @param idleTimeoutNanos how long a live connection may be silent before it is forgotten
 * @param closedLingerNanos how long a closed or reset connection stays visible
 */
record TrackerLimits(int maxConnections, long idleTimeoutNanos, long closedLingerNanos) {

    TrackerLimits {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("'maxConnections' must be at least 1, was " + maxConnections);
        }
        if (idleTimeoutNanos <= 0) {
            throw new IllegalArgumentException("'idleTimeoutSeconds' must be positive");
        }
        if (closedLingerNanos < 0) {
            throw new IllegalArgumentException("'closedLingerSeconds' must not be negative");
        }
    }
}
