package org.migware.proxy.internal.mapping;

import java.util.ArrayDeque;

import org.migware.proxy.internal.replay.ReplayCatchUp;
import org.migware.proxy.internal.wire.Ipv4Address;





/**
 * One connection's mapping between client and replica: who the two sides are, where its
 * migration stands, and the numbers that translate its segments.
 *
 * <p>A plain holder of fields, read and written by recovery, translation and the saved state
 * alike, always under the engine's lock (see {@code MigrationEngine}); it decides nothing itself.
 */
public final class Mapping {

    /** What {@link #handOver} holds when nothing is left to hand over. */
    public static final byte[] NOTHING = new byte[0];
    /** The most client frames {@link #pending} holds; more are dropped (the client sends them again). */
    public static final int MAX_PENDING_FRAMES = 256;

    /** What the tracker knew of the connection at failover; {@code null} for a connection passed through. */
    public final RecoveryCandidate candidate;
    public final int clientAddress;
    public final int clientPort;
    public final long clientMac;
    public final int primaryAddress;
    public final int primaryPort;
    public final long primaryMac;
    public final int shadowAddress;
    public final int shadowPort;
    public MappingState state;
    public ConnectionTranslation translation;
    /** Client frames that arrived during the forged handshake, to be forwarded in order once it completes. */
    public ArrayDeque<byte[]> pending;
    /**
     * Client bytes MigWare hands to the replica itself, from {@code streamStart} on: the head
     * of the record in progress (with a framing) and what the primary had not acknowledged.
     */
    public byte[] handOver = NOTHING;
    /** The client sequence number of the replica's first byte: the resume point, or the record head's start. */
    public int streamStart;
    /** Bytes of {@code handOver} written at least once. */
    public int handOverSent;
    /** The replica's highest acknowledgement during the hand-over, and how often it repeated it. */
    public int handOverAck;
    public int handOverDuplicates;
    /**
     * A replayed connection's catch-up: the replica gets the client's whole kept stream (instead of
     * {@link #handOver}) and its output is checked against the primary's; {@code null} when resumed.
     */
    public ReplayCatchUp replay;
    /**
     * Resumed while a response was in progress: the primary had sent bytes the client had not
     * acknowledged, or the client's window was closed (it had not read all the primary sent, and
     * the primary had more). The replica never got the request, so it will never send the rest:
     * unless the client's acknowledgement soon shows it holds everything up to {@link #responseEnd},
     * the client is reset (see {@code Recovery}). Not kept across a restart of the proxy bundle.
     */
    public boolean responseInProgress;
    /**
     * The primary surely had more to send than the client can ever acknowledge (its window was
     * full or closed): no acknowledgement can show the response complete, so no grace is waited.
     */
    public boolean responseSurelyCut;
    /** The primary's sequence number the client must acknowledge to show the response complete. */
    public int responseEnd;
    /** When the client is reset unless its acknowledgement has shown the response complete; -1 before the handshake. */
    public long responseDeadlineNanos = -1;
    /**
     * Resumed: the client's acknowledgement the translation assumes is what the capture saw last,
     * until the client's own first acknowledgement in PROXY confirms or corrects it (the capture
     * may have missed the client's last ACKs: the replica's first bytes would then land on bytes
     * the client already holds, and be lost). Until then the replica's data waits
     * ({@link #heldForClientAck}). Not kept across a restart of the proxy bundle.
     */
    public boolean clientAckPending;
    /** The end of what the primary sent: a corrected acknowledgement can be no later. */
    public int primarySentEnd;

    /**
     * @return whether the client's own acknowledgement can move where the replica's bytes land:
     *     only when the capture saw the primary send more than the client acknowledge. When the
     *     client had acknowledged all the primary sent, no acknowledgement of its can correct the
     *     offset (a correction never goes beyond what the primary sent).
     */
    public boolean clientAckMayCorrect() {
        return primarySentEnd - translation.replicaToClientSeq(replicaIsn + 1) > 0;
    }
    /** Probes sent for the client's own acknowledgement beyond the first. */
    public int clientAckProbes;
    /** When the wait for the client's own acknowledgement ends, and the one seen stands. */
    public long clientAckDeadlineNanos;
    /**
     * The replica's data and FIN segments (whole frames) that came while {@link #clientAckPending}:
     * translated and sent, in order, once the client's acknowledgement has settled where they land.
     * {@code null} when none waits. Not kept across a restart of the proxy bundle.
     */
    public ArrayDeque<byte[]> heldForClientAck;
    /** The replica's newest acknowledgement (client space): where a reset to it must land. */
    public int lastReplicaAck;
    /** With a framing, why the record head could not be kept; {@code null} when it was. */
    public String headProblem;
    public int replicaIsn;
    public int replicaWindowShift;
    public int segmentSize;
    /** Newest client TSval and replica TSval seen, for the segments MigWare writes itself (PAWS). */
    public int lastClientTsval;
    public int lastReplicaTsval;
    /** The client's newest acknowledgement, in the replica's numbers. */
    public int lastAckToReplica;
    public long synSentNanos;
    public int synAttempts;
    public long toReplica;
    public long toClient;
    /** Each side's FIN has passed; once both have, the mapping lingers and is then removed. */
    public boolean clientFin;
    public boolean replicaFin;
    /**
     * The client had half-closed before the failover (its FIN, at {@link #finSequence}, was seen):
     * MigWare hands that FIN to the replica itself, right after the hand-over's bytes, until the
     * replica acknowledges it. Kept across a restart (state version 4), with whether it was written.
     */
    public boolean finToHandOver;
    public int finSequence;
    /** When MigWare last wrote the client's FIN to the replica; 0 before the first (any other value after a restore). */
    public long finSentNanos;
    /** Client and primary negotiated ECN; the replica's SYN-ACK did not agree. */
    public boolean ecnRefused;
    public long closingSinceNanos;
    /** When a segment of it last passed, either way: idle and half-open mappings end (see {@link MappingExpiry}). */
    public long lastSeenNanos;
    /**
     * The end of what the client has sent (SYN and FIN count one), as far as MigWare knows: where
     * the client's own reset lies. A reset at neither this nor {@link #lastReplicaAck} is not taken
     * to end the mapping (RFC 5961).
     */
    public int clientNext;
    /** A connection passed through in PROXY: its client sent a segment after its SYN. */
    public boolean clientCompletedHandshake;

    public Mapping(RecoveryCandidate candidate, int clientAddress, int clientPort, long clientMac,
            int primaryAddress, int primaryPort, long primaryMac, int shadowAddress, int shadowPort) {
        this.candidate = candidate;
        this.clientAddress = clientAddress;
        this.clientPort = clientPort;
        this.clientMac = clientMac;
        this.primaryAddress = primaryAddress;
        this.primaryPort = primaryPort;
        this.primaryMac = primaryMac;
        this.shadowAddress = shadowAddress;
        this.shadowPort = shadowPort;
    }

    /** @return the client bytes MigWare hands to the replica itself: the replayed stream, or {@link #handOver} */
    public long handOverLength() {
        return replay != null ? replay.handOverLength() : handOver.length;
    }

    /**
     * The client and its shadow endpoint, as the log and {@code migware:connections} name the
     * connection. It reads only final fields, so a deferred log line may format it after the
     * engine's lock is released.
     */
    @Override
    public String toString() {
        return Ipv4Address.text(clientAddress) + ":" + clientPort + " (shadow " + Ipv4Address.text(shadowAddress) + ":" + shadowPort + ")";
    }

    /**
     * The window MigWare's own segments to the replica offer: the client's last, except while a
     * replay catches up, when it is fully open. MigWare then takes the regenerated bytes the client
     * already holds itself, whatever the client's window: a client whose window was closed at the
     * failover (a download read slower than it arrives) would otherwise hold the replica at a zero
     * window, and nothing would ever come.
     */
    public int windowToReplica() {
        if (replay != null && !replay.caughtUp()) {
            return 0xffff;
        }
        return Math.min(candidate.clientLastWindow(), 0xffff);
    }
}
