package org.migware.proxy.internal.recovery;

import org.migware.api.connection.DirectionState;
import org.migware.api.packet.RewritablePacket;
import org.migware.proxy.internal.mapping.ConnectionTranslation;
import org.migware.proxy.internal.mapping.Mapping;
import org.migware.proxy.internal.mapping.MigrationCounters;
import org.migware.proxy.internal.mapping.RecoveryCandidate;
import org.migware.proxy.internal.mapping.Replica;
import org.migware.proxy.internal.translation.ToReplica;
import org.migware.proxy.internal.wire.Ipv4TcpWriter;
import org.migware.api.wire.TcpHeader;

/**
 * The handshake MigWare forges from a connection's shadow endpoint to the replica: a SYN that
 * carries the client's options and clock, and, once the replica answers, the translation its
 * SYN-ACK fixes and the ACK that completes it.
 */
final class ForgedHandshake {

    /** The MSS TCP assumes when a SYN-ACK carries none (RFC 9293 3.7.1). */
    private static final int DEFAULT_MSS = 536;
    private static final int TIMESTAMPS_OPTION_SPACE = 12;

    private final Ipv4TcpWriter writer = new Ipv4TcpWriter();
    private final byte[] forged = new byte[128];
    private final Replica replica;
    private final ToReplica toReplica;
    private final MigrationCounters counters;

    ForgedHandshake(Replica replica, ToReplica toReplica, MigrationCounters counters) {
        this.replica = replica;
        this.toReplica = toReplica;
        this.counters = counters;
    }

    void sendSyn(Mapping mapping, long now) {
        RecoveryCandidate c = mapping.candidate;
        writer.begin(forged, 0)
                .source(mapping.shadowAddress, mapping.shadowPort)
                .destination(replica.address(), replica.portFor(mapping))
                .sequence(mapping.streamStart - 1)
                .acknowledgement(0)
                // RFC 3168's ECN-setup SYN, when the client's own SYN was one.
                .flags(c.ecn() ? TcpHeader.SYN | TcpHeader.ECE | TcpHeader.CWR : TcpHeader.SYN)
                .window(0xffff)
                .mss(c.clientMss());
        if (c.sackPermitted()) {
            writer.sackPermitted();
        }
        if (c.timestamps()) {
            // The client's own clock: the replica's PAWS check then accepts the client's next segments.
            writer.timestamps(c.clientLastTsval(), 0);
        }
        if (c.clientWindowScale() >= 0) {
            writer.nop().windowScale(c.clientWindowScale());
        }
        int length = writer.finish();
        mapping.synSentNanos = now;
        mapping.synAttempts++;
        toReplica.write(forged, 0, length);
    }

    /** The replica's SYN-ACK fixes the connection's translation; the forged ACK completes the handshake. */
    void complete(Mapping mapping, RewritablePacket synAck) {
        RecoveryCandidate c = mapping.candidate;
        int replicaIsn = synAck.sequenceNumber();
        int replicaShift = c.clientWindowScale() >= 0 && synAck.windowScale() >= 0 ? synAck.windowScale() : 0;
        int tsOffset = c.timestamps() && synAck.hasTimestamps()
                ? ConnectionTranslation.timestampOffset(c.primaryLastTsval(), synAck.timestampValue()) : 0;
        mapping.translation = ConnectionTranslation.builder()
                .client(mapping.clientAddress, mapping.clientPort)
                .service(mapping.primaryAddress, mapping.primaryPort)
                .shadow(mapping.shadowAddress, mapping.shadowPort)
                .replica(replica.address(), replica.portFor(mapping))
                .clientSequence(mapping.streamStart - 1, mapping.streamStart)
                // Replayed, the replica regenerates the server's stream from its first byte: the
                // primary's first byte maps to the replica's, and the bytes the client holds are
                // dropped on the way (D2' = replicaIsn - primaryIsn); resumed, the replica's first
                // byte is the one the client expects next.
                .serverSequence(replicaIsn, mapping.replay != null ? mapping.replay.stream().serverIsn() + 1 : c.clientAck())
                .timestampOffset(tsOffset)
                .windowShifts(c.primaryWindowScale(), replicaShift)
                .build();
        mapping.replicaIsn = replicaIsn;
        mapping.replicaWindowShift = replicaShift;
        if (c.ecn() && (synAck.flags() & (DirectionState.AE | DirectionState.CWR | DirectionState.ECE)) != DirectionState.ECE) {
            // The client goes on believing in ECN; the replica ignores its marks. The connection
            // works, but congestion on the client's path is then seen only through losses.
            mapping.ecnRefused = true;
            counters.ecnRefused++;
        }
        mapping.lastReplicaTsval = synAck.hasTimestamps() ? synAck.timestampValue() : 0;
        mapping.lastAckToReplica = replicaIsn + 1;
        mapping.handOverAck = mapping.streamStart;
        mapping.segmentSize = Math.max(1, Math.min(c.clientMss() > 0 ? c.clientMss() : DEFAULT_MSS,
                synAck.mss() > 0 ? synAck.mss() : DEFAULT_MSS) - (c.timestamps() ? TIMESTAMPS_OPTION_SPACE : 0));
        sendAck(mapping, synAck);
    }

    /** The ACK of the replica's SYN-ACK; sent again when the replica repeats its SYN-ACK. */
    void sendAck(Mapping mapping, RewritablePacket synAck) {
        RecoveryCandidate c = mapping.candidate;
        writer.begin(forged, 0)
                .source(mapping.shadowAddress, mapping.shadowPort)
                .destination(replica.address(), replica.portFor(mapping))
                .sequence(mapping.streamStart)
                .acknowledgement(synAck.sequenceNumber() + 1)
                .flags(TcpHeader.ACK)
                .window(mapping.windowToReplica());
        if (c.timestamps() && synAck.hasTimestamps()) {
            writer.nop().nop().timestamps(mapping.lastClientTsval, synAck.timestampValue());
        }
        toReplica.write(forged, 0, writer.finish());
    }
}
