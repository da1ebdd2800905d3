package org.migware.proxy.internal.replay;

import java.util.zip.CRC32C;

import org.migware.api.failover.MappingSnapshot;

/**
 * One replayed connection after failover: the client's whole stream to hand the replica, and the
 * check of the replica's output against the primary's {@link StreamDigest}.
 *
 * <p>Stream offsets count from the first byte after each side's SYN. The primary had sent
 * {@link #primarySent} server bytes (as far as the capture saw them), of which the client had
 * acknowledged {@link #clientHeld}. The replica regenerates them from offset 0. Its output is
 * checked byte for byte up to {@code primarySent} — below the digest's kept bytes by each 4 KiB
 * chunk's CRC32C once the chunk is complete, from there on against the bytes themselves, as they
 * come — and only then may a segment go on: a segment that ends at or before {@code clientHeld} is
 * dropped (and MigWare acknowledges it to the replica itself), any other goes to the client, which
 * trims what it already holds. Bytes the primary sent but the client had not acknowledged are
 * checked against the primary's own bytes before they are forwarded: the client may hold some of
 * them (its acknowledgement lost, or not sent yet), and a byte it holds must never be followed by
 * a different one. After {@code primarySent}, the replica's bytes are new and go on unchecked.
 *
 * <p>Guarded by the engine's lock. The CRC state is this connection's own, allocated once at failover.
 */
public final class ReplayCatchUp {

    /** What to do with one replica segment during catch-up. */
    public enum Verdict {
        /** Checked (or new): translate it and send it to the client. */
        FORWARD,
        /** Checked and wholly held by the client already: drop it, acknowledge it to the replica. */
        DROP,
        /** It starts beyond what was checked (something before it was not seen): drop it, unacknowledged. */
        HOLE,
        /** It differs from what the primary sent: reset the client, forward nothing more. */
        DIVERGED
    }

    private final ReplayStream stream;
    private final ChunkPool pool;
    private final CRC32C running = new CRC32C();
    private final long primarySent;
    private long clientHeld;
    /** Replica output checked (or, beyond primarySent, seen) so far. */
    private long checked;
    private long startedNanos = -1;
    private long finishedNanos = -1;
    private boolean diverged;
    private boolean handOverDone;
    /** The digest is needed until the client holds all the primary sent. */
    private boolean digestKept = true;
    private long divergedAt = -1;
    /** The client's newest acknowledgement, in the primary's numbers: where a reset must land. */
    private int clientAck;

    /**
     * @param stream the connection's kept streams, taken over from the keeper
     * @param clientAck the client's newest acknowledgement at failover (the primary's numbers)
     * @param pool where the stream's chunks go back
     */
    public ReplayCatchUp(ReplayStream stream, int clientAck, ChunkPool pool) {
        this.stream = stream;
        this.pool = pool;
        this.primarySent = stream.digest().seen();
        this.clientAck = clientAck;
        this.clientHeld = Math.max(0, ReplayStream.offsetNear(clientAck, stream.serverIsn() + 1, primarySent));
    }

    /**
     * Checks the replica's bytes at stream offset {@code at}.
     *
     * @param data the segment's buffer
     * @param offset where its payload starts
     * @param length its payload length
     */
    public Verdict check(byte[] data, int offset, int length, long at) {
        if (diverged) {
            return Verdict.DIVERGED;
        }
        long end = at + length;
        if (at > checked) {
            return Verdict.HOLE;
        }
        StreamDigest digest = stream.digest();
        if (digestKept) {
            // A retransmission of bytes checked before: the part the client may not hold is compared again.
            long stop = Math.min(Math.min(end, checked), primarySent);
            for (long from = Math.max(at, digest.bytesFrom()); from < stop; from++) {
                if (data[offset + (int) (from - at)] != digest.byteAt(from)) {
                    return diverge(from);
                }
            }
        }
        long from = checked;
        while (from < end && from < primarySent) {
            if (from < digest.bytesFrom()) {
                long chunkEnd = Math.min(end, (from / StreamDigest.CHUNK_BYTES + 1) * StreamDigest.CHUNK_BYTES);
                running.update(data, offset + (int) (from - at), (int) (chunkEnd - from));
                from = chunkEnd;
                if (from % StreamDigest.CHUNK_BYTES == 0) {
                    if ((int) running.getValue() != digest.chunkHash(from / StreamDigest.CHUNK_BYTES - 1)) {
                        return diverge(from - StreamDigest.CHUNK_BYTES);
                    }
                    running.reset();
                }
            } else {
                long stop = Math.min(end, primarySent);
                for (; from < stop; from++) {
                    if (data[offset + (int) (from - at)] != digest.byteAt(from)) {
                        return diverge(from);
                    }
                }
            }
        }
        checked = Math.max(checked, end);
        releaseDigestOnceHeld();
        return end <= clientHeld ? Verdict.DROP : Verdict.FORWARD;
    }

    /**
     * Once the replica has regenerated all the primary had sent and the client holds all of it,
     * no replica byte can reach the client over one of the primary's: the digest goes.
     */
    private void releaseDigestOnceHeld() {
        if (digestKept && checked >= primarySent && clientHeld >= primarySent) {
            digestKept = false;
            stream.digest().release(pool);
        }
    }

    private Verdict diverge(long at) {
        diverged = true;
        divergedAt = at;
        digestKept = false;
        stream.digest().release(pool);
        return Verdict.DIVERGED;
    }

    /** The client acknowledged server bytes up to {@code ack} (the primary's numbers). */
    public void clientAcknowledged(int ack) {
        if (ack - clientAck > 0) {
            clientAck = ack;
            long held = ReplayStream.offsetNear(ack, stream.serverIsn() + 1, clientHeld);
            // Never beyond what exists: a forged acknowledgement must not make MigWare drop bytes the client lacks.
            if (held > clientHeld && held <= Math.max(primarySent, checked)) {
                clientHeld = held;
                releaseDigestOnceHeld();
            }
        }
    }

    /**
     * Where the client's acknowledgement, translated to the replica, may reach while the replica's
     * output is still checked: no further than the replica bytes checked so far. The client
     * acknowledges the primary's bytes, and those it held before the failover the replica has not
     * regenerated yet, or has sent into a segment the check never saw (lost on the way out of the
     * replica's stack, or dropped as a hole behind such a loss). Acknowledged, the replica would
     * never send them again, and the check would wait for them forever (the redis-benchmark hang of
     * issue 10). Held back here, the replica sends them again, the check sees them, and MigWare
     * acknowledges the ones the client holds itself ({@code ReplayCheck}); the client acknowledges
     * the others once they reach it. Nothing unchecked is acknowledged, and nothing is skipped.
     * Once checking is over the client's acknowledgement passes as it is.
     *
     * @param ack an acknowledgement or SACK edge of the client, in the replica's numbers
     * @param replicaIsn the replica's ISN
     * @return {@code ack}, or the replica's sequence number of the first byte not checked, whichever comes first (mod 2^32)
     */
    public int replicaAckLimit(int ack, int replicaIsn) {
        if (checkingOver()) {
            return ack;
        }
        int limit = replicaIsn + 1 + (int) checked;
        return ack - limit > 0 ? limit : ack;
    }

    /** @return the stream offset of the replica's sequence number {@code seq}, near what was checked (mod 2^32) */
    public long replicaOffset(int seq, int replicaIsn) {
        return ReplayStream.offsetNear(seq, replicaIsn + 1, checked);
    }

    /** @return whether everything the primary had sent has been regenerated and checked */
    public boolean caughtUp() {
        return checked >= primarySent;
    }

    /** Notes the time: catch-up starts when the replica's handshake completes. */
    public void started(long now) {
        if (startedNanos < 0) {
            startedNanos = now;
        }
    }

    /** Notes that it has caught up (or diverged): the catch-up's time stops. */
    public void finished(long now) {
        if (finishedNanos < 0) {
            finishedNanos = now;
        }
    }

    /** @return whether the catch-up's end has been noted */
    public boolean finished() {
        return finishedNanos >= 0;
    }

    /** @return whether nothing of the replica needs checking any more: the client holds all the primary sent (or it diverged) */
    public boolean checkingOver() {
        return diverged || !digestKept;
    }

    public boolean diverged() {
        return diverged;
    }

    /** @return the stream offset of the first byte that differed (of its chunk, below the kept bytes), -1 if none */
    public long divergedAt() {
        return divergedAt;
    }

    /** @return the client's newest acknowledgement, in the primary's numbers */
    public int clientAck() {
        return clientAck;
    }

    /** @return the client bytes to hand the replica: the whole kept client stream, until it has all been acknowledged */
    public long handOverLength() {
        return handOverDone ? 0 : stream.client().end();
    }

    /** The replica acknowledged the whole kept client stream: its chunks may go. */
    public void handOverDone() {
        handOverDone = true;
        stream.client().release(pool);
    }

    /** The connection has ended (or failed): every chunk goes back. */
    public void release() {
        handOverDone = true;
        digestKept = false;
        stream.release(pool);
    }

    /** @return the connection's kept streams */
    public ReplayStream stream() {
        return stream;
    }

    public long primarySent() {
        return primarySent;
    }

    public long clientHeld() {
        return clientHeld;
    }

    /** @return replica bytes checked against the digest so far */
    public long bytesVerified() {
        return Math.min(checked, primarySent);
    }

    /** @return the catch-up as the status shows it, at {@code now} */
    public MappingSnapshot.Replay snapshot(long now) {
        MappingSnapshot.ReplayOutcome outcome = diverged ? MappingSnapshot.ReplayOutcome.DIVERGED
                : caughtUp() ? MappingSnapshot.ReplayOutcome.CAUGHT_UP : MappingSnapshot.ReplayOutcome.CATCHING_UP;
        long nanos = startedNanos < 0 ? 0 : (finishedNanos < 0 ? now : finishedNanos) - startedNanos;
        return new MappingSnapshot.Replay(primarySent, clientHeld, bytesVerified(), Math.max(0, primarySent - checked), nanos, outcome);
    }
}
