package org.migware.proxy.internal.mapping;

/**
 * Where one connection stands in its migration. The saved state stores the ordinal: new states
 * go at the end, and the order is never changed.
 */
public enum MappingState {
    /** Waiting for its forged handshake to start. */
    QUEUED,
    /** The forged SYN is out; the replica's SYN-ACK has not come. */
    HANDSHAKING,
    /** Translated both ways. */
    ESTABLISHED,
    /** The replica never answered its forged SYNs. */
    FAILED,
    /** Reset or closed by both sides; no longer in the tables. */
    CLOSED
}
