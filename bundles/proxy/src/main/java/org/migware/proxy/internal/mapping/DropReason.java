package org.migware.proxy.internal.mapping;

import java.util.Locale;

/** Why a packet was not carried; the lower-case name is the metric's label and the status's key. */
public enum DropReason {
    /** Cut by the capture's snapshot length, or its IP length lies about its size. */
    TRUNCATED,
    /** From the replica to a shadow endpoint no mapping holds. */
    NO_MAPPING,
    /** For a connection neither re-created yet nor passed through (closed, queued, failed). */
    NOT_ESTABLISHED,
    /** A segment of no connection MigWare carries: refused with a reset. */
    NO_CONNECTION,
    /** A new connection when the mapping table is full: its client retries. */
    TABLE_FULL,
    /** While its handshake is under way, more of a client's segments than are kept for it. */
    HANDSHAKE_QUEUE_FULL,
    /** Replayed: held by the client already, or not the primary's bytes. */
    REPLAY_CHECK,
    /**
     * Resumed: the replica's data while the client's own acknowledgement is awaited (where it lands
     * in the client's stream is not known yet), beyond what is held for it; the replica sends it again.
     */
    AWAITING_CLIENT_ACK,
    /** Sending to the client on the wire failed. */
    SEND_FAILED,
    /** Writing to the replica through the TUN failed. */
    TUN_WRITE_FAILED;

    /** @return the label: the name in lower case */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
