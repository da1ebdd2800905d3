package org.migware.proxy.internal.recovery;

import org.migware.proxy.internal.events.DeferredLog;
import org.migware.proxy.internal.keeper.ClientStreamKeeper;
import org.migware.proxy.internal.mapping.Mapping;
import org.migware.proxy.internal.mapping.MigrationCounters;
import org.migware.proxy.internal.mapping.RecoveryCandidate;
import org.migware.proxy.internal.mapping.Replica;
import org.migware.proxy.internal.replay.ChunkPool;
import org.migware.proxy.internal.replay.ReplayCatchUp;
import org.migware.proxy.internal.replay.ReplayStream;
import org.migware.proxy.internal.translation.ToReplica;
import org.migware.proxy.internal.wire.Ipv4TcpWriter;
import org.migware.api.wire.Ipv4Header;
import org.migware.api.wire.TcpHeader;





/**
 * The client bytes MigWare hands to the replica itself: what the keeper saw of the client's
 * stream (the head of the record in progress, what the primary had not acknowledged) becomes the
 * start of the replica's, written as the replica's window admits and repaired where it is lost.
 * A replayed connection hands over its whole kept stream instead, read from its off-heap chunks.
 */
public final class HandOver {

    private static final int REWRITE_AT_DUPLICATE = 2;
    private static final int REWRITE_EVERY_DUPLICATES = 8;

    private final Ipv4TcpWriter writer = new Ipv4TcpWriter();
    private final byte[] packet = new byte[Ipv4Header.MIN_HEADER_LENGTH + TcpHeader.MIN_HEADER_LENGTH
            + TcpHeader.MAX_OPTIONS_LENGTH + 0xffff];
    /** A replayed stream's bytes are copied here from their chunks, one segment at a time. */
    private final byte[] replayed = new byte[0xffff];
    private final Replica replica;
    private final ToReplica toReplica;
    private final MigrationCounters counters;
    private final DeferredLog log;

    HandOver(Replica replica, ToReplica toReplica, MigrationCounters counters, DeferredLog log) {
        this.replica = replica;
        this.toReplica = toReplica;
        this.counters = counters;
        this.log = log;
    }

    /** What the keeper saw of the client's stream becomes the start of the replica's. */
    void takeFrom(ClientStreamKeeper keeper, Mapping mapping, RecoveryCandidate c) {
        ClientStreamKeeper.Retained retained = keeper.retained(c.clientAddress(), c.clientPort(), c.primaryAddress(), c.primaryPort(), c.clientResume());
        mapping.streamStart = retained.firstSeq();
        mapping.handOver = retained.bytes();
        mapping.headProblem = retained.headProblem();
        mapping.lastClientTsval = c.clientLastTsval();
        counters.bytesHandedOver += retained.bytes().length;
        if (retained.firstSeq() != c.clientResume()) {
            counters.headsPrepended++;
        }
        if (retained.headProblem() != null) {
            counters.headsMissing++;
            log.warn("proxy: {}: record head not kept ({}): the replica's application may see a torn first record",
                    mapping, retained.headProblem());
        }
    }

    /**
     * A replayed connection: the replica's stream starts at the client's first byte, and the
     * client's whole kept stream is handed over, the bytes the primary never acknowledged included.
     */
    void takeReplay(Mapping mapping, RecoveryCandidate c, ReplayStream stream, ChunkPool pool) {
        mapping.replay = new ReplayCatchUp(stream, c.clientAck(), pool);
        mapping.streamStart = stream.clientIsn() + 1;
        mapping.handOver = Mapping.NOTHING;
        mapping.lastClientTsval = c.clientLastTsval();
        counters.bytesHandedOver += stream.client().end();
    }

    /**
     * Writes the hand-over bytes the replica's window admits, from its acknowledgement on. The
     * client will never send the record head again, so only MigWare can repair its loss: when the
     * replica repeats an acknowledgement inside the hand-over (its second duplicate, then every
     * eighth), the segment at that point is written again — one segment, never the whole window, as
     * a bulk client's retransmissions make the replica repeat its acknowledgement many times.
     *
     * @param replicaAck the replica's acknowledgement (client space; d1 is 0)
     * @param windowBytes the replica's window in bytes
     */
    public void continueHandOver(Mapping mapping, int replicaAck, long windowBytes, long now) {
        int total = (int) mapping.handOverLength();
        if (total == 0) {
            handOverFin(mapping, replicaAck, now);
            return;
        }
        int acked = replicaAck - mapping.streamStart;
        if (acked >= total) {
            // all delivered
            if (mapping.replay != null) {
                mapping.replay.handOverDone();
            } else {
                mapping.handOver = Mapping.NOTHING;
            }
            handOverFin(mapping, replicaAck, now);
            return;
        }
        if (acked < 0) {
            acked = 0;
        }
        if (replicaAck - mapping.handOverAck > 0) {
            mapping.handOverAck = replicaAck;
            mapping.handOverDuplicates = 0;
        } else if (replicaAck == mapping.handOverAck && acked < mapping.handOverSent
                && ++mapping.handOverDuplicates % REWRITE_EVERY_DUPLICATES == REWRITE_AT_DUPLICATE) {
            write(mapping, acked, Math.min(mapping.segmentSize, mapping.handOverSent - acked));
        }
        int from = Math.max(mapping.handOverSent, acked);
        int limit = (int) Math.min(total, acked + Math.max(0, windowBytes));
        while (from < limit) {
            int length = Math.min(mapping.segmentSize, limit - from);
            write(mapping, from, length);
            from += length;
        }
        mapping.handOverSent = Math.max(mapping.handOverSent, from);
    }

    /**
     * The client had half-closed: once the replica holds every byte before the client's FIN, the
     * FIN follows, so that the replica's application reads EOF after the request and answers.
     * Written once here; {@link #finAgain} repeats it until the replica acknowledges it.
     *
     * @param replicaAck the replica's acknowledgement (client space)
     */
    void handOverFin(Mapping mapping, int replicaAck, long now) {
        if (!mapping.finToHandOver) {
            return;
        }
        if (replicaAck - mapping.finSequence > 0) {
            mapping.finToHandOver = false; // the replica has it
        } else if (replicaAck == mapping.finSequence && mapping.finSentNanos == 0) {
            writeFin(mapping, now);
        }
    }

    /** Writes the client's FIN again when the replica has not acknowledged it since {@code since}. */
    void finAgain(Mapping mapping, long now, long since) {
        if (mapping.finToHandOver && mapping.finSentNanos != 0 && now - mapping.finSentNanos >= since) {
            if (mapping.lastReplicaAck - mapping.finSequence > 0) {
                mapping.finToHandOver = false;
            } else {
                writeFin(mapping, now);
            }
        }
    }

    private void writeFin(Mapping mapping, long now) {
        writer.begin(packet, 0)
                .source(mapping.shadowAddress, mapping.shadowPort)
                .destination(replica.address(), replica.portFor(mapping))
                .sequence(mapping.finSequence)
                .acknowledgement(mapping.lastAckToReplica)
                .flags(TcpHeader.ACK | TcpHeader.FIN)
                .window(mapping.windowToReplica());
        if (mapping.candidate.timestamps()) {
            writer.nop().nop().timestamps(mapping.lastClientTsval, mapping.lastReplicaTsval);
        }
        toReplica.write(packet, 0, writer.finish());
        mapping.finSentNanos = now == 0 ? 1 : now;
        counters.finsHandedOver++;
    }

    private void write(Mapping mapping, int from, int length) {
        RecoveryCandidate c = mapping.candidate;
        int total = (int) mapping.handOverLength();
        writer.begin(packet, 0)
                .source(mapping.shadowAddress, mapping.shadowPort)
                .destination(replica.address(), replica.portFor(mapping))
                .sequence(mapping.streamStart + from)
                .acknowledgement(mapping.lastAckToReplica)
                .flags(TcpHeader.ACK | (from + length == total ? TcpHeader.PSH : 0))
                .window(mapping.windowToReplica());
        if (c.timestamps()) {
            writer.nop().nop().timestamps(mapping.lastClientTsval, mapping.lastReplicaTsval);
        }
        if (mapping.replay != null) {
            mapping.replay.stream().client().copy(from, replayed, 0, length);
            writer.payload(replayed, 0, length);
        } else {
            writer.payload(mapping.handOver, from, length);
        }
        toReplica.write(packet, 0, writer.finish());
    }
}
