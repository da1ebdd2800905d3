package org.migware.api.failover;

/**
 * Why a tracked connection is not re-created at failover.
 *
 * @since 1.2
 */
public enum NotRecoverableReason {
    /** Not ESTABLISHED: only established connections are re-created. */
    NOT_ESTABLISHED,
    /** The handshake was not seen, so MSS, window scale and SACK are unknown. */
    HANDSHAKE_NOT_SEEN,
    /** IPv6: the shadow path is IPv4 only. */
    IPV6,
    /** No acknowledgement was seen from both sides. */
    NO_ACKNOWLEDGEMENT,
    /** A MAC address was never seen. */
    MAC_UNKNOWN,
    /** Timestamps were negotiated but no TSval was seen. */
    NO_TIMESTAMP_VALUE
}
