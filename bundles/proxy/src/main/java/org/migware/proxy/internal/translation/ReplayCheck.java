package org.migware.proxy.internal.translation;

import java.util.function.LongSupplier;

import org.migware.api.packet.RewritablePacket;
import org.migware.api.wire.TcpHeader;
import org.migware.proxy.internal.events.DeferredLog;
import org.migware.proxy.internal.mapping.DropReason;
import org.migware.proxy.internal.mapping.Mapping;
import org.migware.proxy.internal.mapping.MigrationCounters;
import org.migware.proxy.internal.mapping.RecoveryCandidate;
import org.migware.proxy.internal.mapping.Replica;
import org.migware.proxy.internal.replay.ReplayCatchUp;
import org.migware.proxy.internal.wire.Ipv4TcpWriter;

/**
 * Replica → client, for a replayed connection while it catches up: each replica segment is
 * checked against the primary's digest ({@link ReplayCatchUp}) before it may go on. A segment the
 * client already holds is dropped and acknowledged to the replica from the shadow endpoint (the
 * client will never acknowledge it, and the replica would otherwise stall on its window and
 * retransmit). A mismatch resets the client and the replica's connection, and nothing of the
 * replica reaches the client after it.
 *
 * <p>While the replica catches up, the client is kept from timing out by the replica itself: the
 * client's retransmissions and probes go on to it (client sequence numbers pass unchanged), and its
 * pure ACKs answering them are moved up to the client's next expected byte, so that the client
 * takes them (a zero-length segment below its receive window is dropped unread, RFC 9293 3.10.7.4).
 * The replica regenerates at local speed (hundreds of MB/s), well inside the client's
 * retransmission timeouts; a client waiting for a response only sees it arrive later.
 *
 * <p>Called under the engine's lock; allocates nothing.
 */
public final class ReplayCheck {

    private final Ipv4TcpWriter writer = new Ipv4TcpWriter();
    private final byte[] forged = new byte[128];
    private final Replica replica;
    private final ToReplica toReplica;
    private final ConnectionReset reset;
    private final MigrationCounters counters;
    private final LongSupplier nanos;
    private final DeferredLog log;

    public ReplayCheck(Replica replica, ToReplica toReplica, ConnectionReset reset, MigrationCounters counters, LongSupplier nanos,
            DeferredLog log) {
        this.replica = replica;
        this.toReplica = toReplica;
        this.reset = reset;
        this.counters = counters;
        this.nanos = nanos;
        this.log = log;
    }

    /**
     * Judges the replica segment parsed in {@code p} (not translated yet).
     *
     * @return whether it goes on to the client
     */
    public boolean letThrough(Mapping mapping, RewritablePacket p) {
        ReplayCatchUp r = mapping.replay;
        if (r == null) {
            return true;
        }
        if (r.diverged()) {
            return false;
        }
        if (r.checkingOver()) {
            return true;
        }
        int length = p.payloadLength();
        if (length == 0) {
            if (!r.caughtUp() && !p.hasFlags(RewritablePacket.SYN) && !p.hasFlags(RewritablePacket.FIN) && mapping.translation != null) {
                int d2 = mapping.translation.d2();
                if (p.sequenceNumber() - d2 - r.clientAck() < 0) {
                    p.setSequenceNumber(r.clientAck() + d2);
                }
            }
            return true;
        }
        long at = r.replicaOffset(p.sequenceNumber(), mapping.replicaIsn);
        if (at < 0) {
            counters.drop(DropReason.REPLAY_CHECK); // before the replica's first byte: not a segment of this stream
            return false;
        }
        long verifiedBefore = r.bytesVerified();
        ReplayCatchUp.Verdict verdict = r.check(p.buffer(), p.payloadOffset(), length, at);
        counters.replayBytesVerified += r.bytesVerified() - verifiedBefore;
        switch (verdict) {
            case FORWARD -> {
                finishIfCaughtUp(mapping, r);
                return true;
            }
            case DROP -> {
                counters.replayBytesDropped += length;
                acknowledge(mapping, p, mapping.replicaIsn + 1 + (int) (at + length));
                finishIfCaughtUp(mapping, r);
                return false;
            }
            case HOLE -> {
                counters.drop(DropReason.REPLAY_CHECK);
                return false;
            }
            default -> {
                diverged(mapping, p, r);
                return false;
            }
        }
    }

    private void finishIfCaughtUp(Mapping mapping, ReplayCatchUp r) {
        if (r.caughtUp() && !r.finished() && !r.diverged()) {
            r.finished(nanos.getAsLong());
            counters.replayCaughtUp++;
            log.info("proxy: {}: replay caught up: {} bytes the primary had sent regenerated and matched", mapping, r.primarySent());
        }
    }

    /** Acknowledges replica bytes the client already holds, from the shadow endpoint. */
    private void acknowledge(Mapping mapping, RewritablePacket p, int ack) {
        RecoveryCandidate c = mapping.candidate;
        writer.begin(forged, 0)
                .source(mapping.shadowAddress, mapping.shadowPort)
                .destination(replica.address(), replica.portFor(mapping))
                .sequence(p.acknowledgementNumber())
                .acknowledgement(ack)
                .flags(TcpHeader.ACK)
                .window(mapping.windowToReplica());
        if (c.timestamps() && p.hasTimestamps()) {
            writer.nop().nop().timestamps(mapping.lastClientTsval, p.timestampValue());
        }
        toReplica.write(forged, 0, writer.finish());
        if (ack - mapping.lastAckToReplica > 0) {
            mapping.lastAckToReplica = ack;
        }
    }

    /** The replica is not deterministic for this connection: both ends are reset, nothing more is forwarded. */
    private void diverged(Mapping mapping, RewritablePacket p, ReplayCatchUp r) {
        counters.replayDiverged++;
        r.finished(nanos.getAsLong());
        log.warn("proxy: {}: the replica's output differs from the primary's (at server byte {} of {}): the replica is not"
                + " deterministic for this connection (TLS, SSH, a greeting, other content); its client is reset", mapping,
                r.divergedAt(), r.primarySent());
        reset.resetBoth(mapping, r.clientAck(), p.acknowledgementNumber(), "the replica's output diverged from the primary's");
    }
}
