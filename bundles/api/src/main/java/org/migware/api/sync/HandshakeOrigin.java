package org.migware.api.sync;

/**
 * Where the table learnt a connection's handshake (ISNs and SYN options) from.
 *
 * @since 1.0
 */
public enum HandshakeOrigin {
    /** This host's own capture saw the client's SYN (or a state file of this host kept it). */
    CAPTURE,
    /** The serving host's table, through the sync channel: this host's capture did not see it. */
    SYNC,
    /** Nobody saw it: the connection was first seen mid-stream and cannot be recovered ("handshake missed"). */
    MISSED
}
