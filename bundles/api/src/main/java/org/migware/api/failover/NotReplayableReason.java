package org.migware.api.failover;

/**
 * Why a connection's client stream cannot be replayed.
 *
 * @since 2.1
 */
public enum NotReplayableReason {
    /** Its keeping did not start at its SYN (or the primary's SYN-ACK was missed): the stream's start is unknown. */
    HANDSHAKE_MISSED,
    /** Its streams outgrew the bytes kept per connection. */
    STREAM_TOO_LONG,
    /** The bytes kept for all connections together reached their bound. */
    KEEPING_MEMORY_FULL,
    /** The capture missed bytes inside the kept stream: it is never replayed with a hole. */
    CAPTURE_GAP,
    /** The client's stream starts with a TLS handshake record: the replica's answer cannot match the primary's. */
    TLS_SEEN,
    /** The stream starts with an SSH identification ({@code SSH-}): the key exchange cannot match. */
    SSH_SEEN
}
