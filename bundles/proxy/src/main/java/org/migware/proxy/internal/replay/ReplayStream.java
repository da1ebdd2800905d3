package org.migware.proxy.internal.replay;

import org.migware.api.failover.NotReplayableReason;

/**
 * One connection as replay keeps it from its SYN: the client's whole stream (off-heap, in pool
 * chunks) and the {@link StreamDigest} of the server's, or why it cannot be replayed. Stream
 * offsets count from the first byte after each side's SYN; sequence arithmetic is modulo 2^32.
 * Guarded by its keeper's lock until failover, then by the engine's, which takes it over.
 */
public final class ReplayStream {

    private static final byte TLS_HANDSHAKE = 0x16;
    private static final byte TLS_MAJOR = 0x03;

    private final int clientAddress;
    private final int clientPort;
    private final int serviceAddress;
    private final int servicePort;
    private final ChunkedBytes client = new ChunkedBytes();
    private final StreamDigest digest = new StreamDigest();
    private int clientIsn;
    private int serverIsn;
    private boolean serverIsnKnown;
    /** Server bytes the client acknowledged (stream offset). */
    private long acked;
    private NotReplayableReason reason;
    /** The client's FIN, where it met its bytes: the client has half-closed, and its stream is whole. */
    private boolean clientFinSeen;
    /** The server's FIN, where it met its bytes: a client's FIN then ends the connection. */
    private boolean serverFinSeen;
    /** The keeper's clock at the connection's last frame either way (its latest sweep's time: no clock is read per frame). */
    private long lastSeenNanos;
    /** The client sent a segment after its SYN: not a spoofed SYN nobody follows up (nor a half-open connection). */
    private boolean clientSpokeAfterSyn;

    /** @return a stream of the connection, not started yet */
    public static ReplayStream of(int clientAddress, int clientPort, int serviceAddress, int servicePort) {
        return new ReplayStream(clientAddress, clientPort, serviceAddress, servicePort);
    }

    private ReplayStream(int clientAddress, int clientPort, int serviceAddress, int servicePort) {
        this.clientAddress = clientAddress;
        this.clientPort = clientPort;
        this.serviceAddress = serviceAddress;
        this.servicePort = servicePort;
    }

    /** A frame of the connection, either way, seen when the keeper's clock read {@code clockNanos}. */
    public void seen(long clockNanos) {
        lastSeenNanos = clockNanos;
    }

    /** @return the keeper's clock at the connection's last frame */
    public long lastSeenNanos() {
        return lastSeenNanos;
    }

    /** The client sent a segment after its SYN. */
    public void clientSpoke() {
        clientSpokeAfterSyn = true;
    }

    /** @return whether the client never sent anything after its SYN (a spoofed SYN, a client gone in its handshake) */
    public boolean halfOpen() {
        return !clientSpokeAfterSyn;
    }

    /** Keeping starts at the client's SYN. */
    public void startAt(int clientIsn) {
        this.clientIsn = clientIsn;
    }

    /** The primary's SYN-ACK fixes where the server's stream starts. */
    public void serverStartsAt(int serverIsn) {
        if (!serverIsnKnown) {
            this.serverIsn = serverIsn;
            serverIsnKnown = true;
        }
    }

    /**
     * Client bytes at {@code seq}.
     *
     * @return the reason it became not replayable with these bytes, or {@code null}
     */
    public NotReplayableReason clientBytes(ChunkPool pool, int budget, int seq, byte[] data, int offset, int length) {
        if (reason != null) {
            return null;
        }
        long end = client.end();
        long skip = alreadyKept(seq, clientIsn + 1, end);
        if (skip < 0) {
            return notReplayable(pool, NotReplayableReason.CAPTURE_GAP);
        }
        if (skip >= length) {
            return null; // a retransmission of bytes already kept
        }
        int from = offset + (int) skip;
        int count = length - (int) skip;
        if (end == 0) {
            if (count >= 2 && data[from] == TLS_HANDSHAKE && data[from + 1] == TLS_MAJOR) {
                return notReplayable(pool, NotReplayableReason.TLS_SEEN);
            }
            if (startsWithSsh(data, from, count)) {
                return notReplayable(pool, NotReplayableReason.SSH_SEEN);
            }
        }
        if (!client.append(pool, budget - digest.chunks(), data, from, count)) {
            long chunksNeeded = (end + count + pool.chunkBytes() - 1) / pool.chunkBytes();
            return notReplayable(pool, chunksNeeded + digest.chunks() > budget ? NotReplayableReason.STREAM_TOO_LONG
                    : NotReplayableReason.KEEPING_MEMORY_FULL);
        }
        return null;
    }

    /** Server bytes at {@code seq}; see {@link #clientBytes}. */
    public NotReplayableReason serverBytes(ChunkPool pool, int budget, int seq, byte[] data, int offset, int length) {
        if (reason != null) {
            return null;
        }
        if (!serverIsnKnown) {
            return notReplayable(pool, NotReplayableReason.HANDSHAKE_MISSED);
        }
        long end = digest.seen();
        long skip = alreadyKept(seq, serverIsn + 1, end);
        if (skip < 0) {
            return notReplayable(pool, NotReplayableReason.CAPTURE_GAP);
        }
        if (skip >= length) {
            return null;
        }
        int from = offset + (int) skip;
        int count = length - (int) skip;
        if (end == 0 && startsWithSsh(data, from, count)) {
            return notReplayable(pool, NotReplayableReason.SSH_SEEN);
        }
        return switch (digest.add(pool, budget - client.chunks(), data, from, count)) {
            case KEPT -> null;
            case OVER_BUDGET -> notReplayable(pool, NotReplayableReason.STREAM_TOO_LONG);
            case POOL_EMPTY -> notReplayable(pool, NotReplayableReason.KEEPING_MEMORY_FULL);
        };
    }

    /**
     * Whether a client RST at {@code seq}, or a FIN at {@code seq} with {@code length} bytes, ends
     * the connection as the server's stack would see it (RFC 5961): an RST only at the next byte
     * expected, a FIN only where it meets what came before. Anything else is a forgery or out of
     * order, and changes nothing. A stream already not replayable, or not started, may go.
     */
    public boolean clientCloses(boolean reset, int seq, int length) {
        if (reason != null) {
            return true;
        }
        return org.migware.proxy.internal.wire.ClosingSegments.closes(reset, seq, length, clientIsn + 1 + (int) client.end());
    }

    /** The client's FIN met its bytes: it has half-closed, and waits for its answer. */
    public void clientFinished() {
        clientFinSeen = true;
    }

    /** The server's FIN met its bytes: the server has closed its side. */
    public void serverFinished() {
        serverFinSeen = true;
    }

    /** @return whether the server has closed its side (its FIN met its bytes) */
    public boolean serverFinSeen() {
        return serverFinSeen;
    }

    /** @return whether the client has half-closed (its FIN met its bytes) */
    public boolean clientFinSeen() {
        return clientFinSeen;
    }

    /**
     * Whether a server FIN at {@code seq} with {@code length} bytes (already taken) ends the
     * server's stream where the client's stack would take it: where it meets what came before.
     */
    public boolean serverCloses(int seq, int length) {
        if (reason != null || !serverIsnKnown) {
            return true;
        }
        return org.migware.proxy.internal.wire.ClosingSegments.closes(false, seq, length, serverIsn + 1 + (int) digest.seen());
    }

    /** Whether a server RST at {@code seq} ends the connection as the client's stack would see it (RFC 5961). */
    public boolean serverResets(int seq) {
        if (reason != null || !serverIsnKnown) {
            return true;
        }
        int next = serverIsn + 1 + (int) digest.seen();
        return seq == next || seq == next + 1; // after its FIN, the server's next byte is one further
    }

    /** The client acknowledged server bytes up to {@code ack}. */
    public void clientAcknowledged(ChunkPool pool, int ack) {
        if (reason != null || !serverIsnKnown) {
            return;
        }
        long offset = offsetNear(ack, serverIsn + 1, acked);
        if (offset > acked && offset <= digest.seen()) {
            acked = offset;
            digest.acknowledged(pool, acked);
        }
    }

    /**
     * How a segment at {@code seq} lies against a stream kept up to offset {@code end}: sequence
     * arithmetic relative to the end, modulo 2^32, so that streams longer than 4 GiB work too.
     *
     * @return how many of its first bytes are kept already (at least its length: a retransmission),
     *     or -1 when bytes before it were never seen (a gap)
     */
    public static long alreadyKept(int seq, int firstSeq, long end) {
        int delta = seq - (firstSeq + (int) end);
        return delta > 0 ? -1 : -(long) delta;
    }

    /** @return the stream offset of the sequence number {@code seq}, taken as the nearest to {@code near} (mod 2^32) */
    public static long offsetNear(int seq, int firstSeq, long near) {
        return near + (seq - (firstSeq + (int) near));
    }

    private static boolean startsWithSsh(byte[] data, int from, int count) {
        return count >= 4 && data[from] == 'S' && data[from + 1] == 'S' && data[from + 2] == 'H' && data[from + 3] == '-';
    }

    /** Marks it not replayable and gives its chunks back: it is never replayed with a hole. */
    public NotReplayableReason notReplayable(ChunkPool pool, NotReplayableReason why) {
        if (reason == null) {
            reason = why;
            release(pool);
        }
        return why;
    }

    /** Gives every chunk back. */
    public void release(ChunkPool pool) {
        client.release(pool);
        digest.release(pool);
    }

    public int clientAddress() {
        return clientAddress;
    }

    public int clientPort() {
        return clientPort;
    }

    public int serviceAddress() {
        return serviceAddress;
    }

    public int servicePort() {
        return servicePort;
    }

    /** @return whether the primary's SYN-ACK was seen */
    public boolean serverIsnKnown() {
        return serverIsnKnown;
    }

    /** @return why it cannot be replayed, {@code null} when it can */
    public NotReplayableReason reason() {
        return reason;
    }

    /** @return the client's ISN: the forged SYN's sequence number, so the replica's stream starts at the client's first byte */
    public int clientIsn() {
        return clientIsn;
    }

    /** @return the primary's ISN */
    public int serverIsn() {
        return serverIsn;
    }

    /** @return the client's bytes, from stream offset 0 */
    public ChunkedBytes client() {
        return client;
    }

    /** @return the digest of the server's stream */
    public StreamDigest digest() {
        return digest;
    }

    /** @return server bytes the client acknowledged, as far as MigWare saw */
    public long acked() {
        return acked;
    }
}
