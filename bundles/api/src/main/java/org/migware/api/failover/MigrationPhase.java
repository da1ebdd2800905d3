package org.migware.api.failover;

/**
 * Where the migration bundle stands.
 *
 * @since 1.2
 */
public enum MigrationPhase {
    /** No replica is configured: MigWare only watches, and connections are not migrated at failover. */
    NOT_CONFIGURED,
    /** Configured, but migration cannot work (for example the TUN could not be opened); the detail says why. */
    UNAVAILABLE,
    /** Ready: no failover yet. */
    READY,
    /** Failover happened: connections are being re-created against the replica. */
    RECOVERING,
    /** Every connection has been handled (recovered, failed or found not recoverable); MigWare proxies. */
    RECOVERED
}
