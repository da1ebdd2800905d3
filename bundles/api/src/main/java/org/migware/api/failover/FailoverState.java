package org.migware.api.failover;

/** The state of a MigWare instance. */
public enum FailoverState {
    /** Passive: capture, parse, track. Nothing is sent on the wire. */
    NORMAL,
    /** The primary is down: every tracked connection is being re-created against the replica. */
    RECOVERY,
    /** Every recoverable connection runs through MigWare to the replica. */
    PROXY
}
