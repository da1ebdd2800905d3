package org.migware.api.failover;

/** The state of a MigWare instance. */
public enum FailoverState {
    /** Passive: capture, parse, track. Nothing is sent on the wire. */
    NORMAL,
    /**
     * Decided, on a site with more than one backup: keepalived is released, and this host takes
     * the connections over (RECOVERY) only once keepalived has made it the VRRP master, or stands
     * down to NORMAL when another host became the master. Only with the core's
     * {@code claimThroughKeepalived}.
     *
     * @since 2.6
     */
    CLAIMING,
    /** The primary is down: every tracked connection is being re-created against the replica. */
    RECOVERY,
    /** Every recoverable connection runs through MigWare to the replica. */
    PROXY
}
