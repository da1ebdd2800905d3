package org.migware.proxy.internal.keeper;

/**
 * One client's stream as the keeper holds it: its kept bytes and what it knows of their record
 * boundaries. A plain holder of fields, guarded by the keeper's lock; {@code state.StreamsCodec}
 * writes and reads it across a restart of the proxy bundle.
 */
public final class KeptStream {

    static final byte[] EMPTY = new byte[0];
    /** The first buffer of a stream; the saved state restores into one at least this big. */
    public static final int FIRST_BUFFER = 512;
    /** RFC 9293 §3.7.1: the MSS a sender assumes when the SYN carried none. */
    static final int DEFAULT_MSS = 536;

    public byte[] buffer = EMPTY;
    /** buffer[head, tail) holds the client's bytes from {@code firstSeq} on. */
    public int head;
    public int tail;
    public int firstSeq;
    /** The sequence number after the last contiguous byte seen (and parsed for framing). */
    public int parsedEnd;
    /** False after the buffer overflowed: bytes from its end up to parsedEnd were not kept. */
    public boolean retaining = true;
    public boolean ackSeen;
    public int acked;
    /** The record boundaries are known from the stream's start or a resynchronisation on. */
    public boolean framingSynced;
    /** The latest record start at or before {@code acked}, if {@code haveHead}. */
    public int headBoundary;
    public boolean haveHead;
    /** Record starts after {@code acked}, oldest first. */
    public int[] boundaries = new int[4];
    public int boundaryFirst;
    public int boundaryCount;
    /** Length-prefixed framing: bytes of the prefix read so far, its value, the body left. */
    public int prefixRead;
    public long prefixValue;
    public long bodyLeft;

    // What the window says of the server's sending; learnt from the frames, not saved across a
    // restart of the proxy (the next frames teach it again).

    /** The client's SYN was seen (the stream was not picked up mid-connection). */
    public boolean synSeen;
    /**
     * The client sent a segment after its SYN: the handshake was completed by the client, so this
     * is no spoofed SYN (which nobody ever follows up); not saved across a restart of the proxy.
     */
    public boolean clientSpokeAfterSyn;
    /** The client's window scale from its SYN, -1 without the option. */
    public int clientWindowScale = -1;
    /** Both SYNs carried a window scale (RFC 7323: otherwise neither side scales). */
    public boolean windowScaling;
    /** Both SYNs were seen: without them the window's scale, and so its edge, is unknown. */
    public boolean handshakeSeen;
    /** The most the server puts in one segment: the client's MSS (RFC 9293's default without the option). */
    public int clientMss = DEFAULT_MSS;
    /** The right edge of the window the client's latest segment offered: its ACK plus its scaled window. */
    public int clientWindowEdge;
    public boolean clientWindowEdgeKnown;
    /**
     * The server's data reached the client's window edge since the client's last data:
     * the server was held back by a reader slower than itself (a download), so more was to come
     * even when everything sent has been acknowledged and the window is open again.
     */
    public boolean serverHeldByWindow;

    /**
     * The keeper's clock at the connection's last frame either way (its latest idle sweep's time:
     * no clock is read per frame); not saved across a restart of the proxy (the restore stamps it).
     */
    public long lastSeenNanos;

    /** The server's next sequence number as the capture saw it: where its RST must lie. */
    public int serverNext;
    public boolean serverNextKnown;

    /** A server segment of {@code length} (its SYN or FIN counted) at {@code seq}. */
    public void serverSent(int seq, int length) {
        int end = seq + length;
        if (!serverNextKnown || end - serverNext > 0) {
            serverNext = end;
            serverNextKnown = true;
        }
    }

    /**
     * Whether a client RST at {@code seq}, or a FIN at {@code seq} with {@code length} bytes, ends
     * the connection as the server's stack would see it (RFC 5961): an RST only at the next byte,
     * a FIN only where it meets the bytes before it.
     */
    public boolean clientCloses(boolean reset, int seq, int length) {
        return org.migware.proxy.internal.wire.ClosingSegments.closes(reset, seq, length, parsedEnd);
    }

    /** Whether a server RST at {@code seq} ends the connection as the client's stack would see it (RFC 5961). */
    public boolean serverResets(int seq) {
        return !serverNextKnown || seq == serverNext;
    }

    /** @return the sequence number after the last byte kept */
    public int retainedEnd() {
        return firstSeq + (tail - head);
    }

    /** @return the {@code index}-th record start after the acknowledgement, oldest first */
    public int boundaryAt(int index) {
        return boundaries[(boundaryFirst + index) & (boundaries.length - 1)];
    }

    /** Notes a record start; one at or before the acknowledgement becomes the head. */
    public void addBoundary(int seq) {
        if (ackSeen && seq - acked <= 0) {
            headBoundary = seq;
            haveHead = true;
            return;
        }
        if (boundaryCount == boundaries.length) {
            int[] bigger = new int[boundaries.length * 2];
            for (int i = 0; i < boundaryCount; i++) {
                bigger[i] = boundaries[(boundaryFirst + i) & (boundaries.length - 1)];
            }
            boundaries = bigger;
            boundaryFirst = 0;
        }
        boundaries[(boundaryFirst + boundaryCount) & (boundaries.length - 1)] = seq;
        boundaryCount++;
    }
}
