package org.migware.proxy.internal.wire;

/**
 * RFC 5961's rule for a segment that would close a connection, as the receiving Linux stack applies
 * it: an RST only at exactly the next byte the receiver expects (anywhere else it sends a challenge
 * ACK and keeps the connection), a FIN only where it meets the bytes before it (beyond a gap it is
 * queued out of order and proves nothing yet). Shared by the keepers, which must not drop a stream
 * for a forged close.
 */
public final class ClosingSegments {

    private ClosingSegments() {
    }

    /**
     * @param reset whether the segment is an RST (else a FIN)
     * @param seq its sequence number
     * @param length its payload length
     * @param next the next byte the receiver expects
     * @return whether the receiver would take the segment as the connection's end
     */
    public static boolean closes(boolean reset, int seq, int length, int next) {
        return reset ? seq == next : seq - next <= 0 && seq + length - next >= 0;
    }
}
