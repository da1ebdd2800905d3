package org.migware.proxy.internal.keeper;

import java.util.ArrayList;
import java.util.List;

import org.migware.api.failover.Delivery;
import org.migware.api.failover.NotReplayableReason;
import org.migware.api.failover.ReplayReadiness;
import org.migware.api.packet.ParsedPacket;
import org.migware.proxy.internal.mapping.PairKeyMap;
import org.migware.proxy.internal.replay.ChunkPool;
import org.migware.proxy.internal.replay.DeliveryPolicy;
import org.migware.proxy.internal.replay.ReplayStream;

/**
 * Keeps, for every connection to a port whose delivery is {@code replay} or {@code auto}, its
 * client's whole stream from the SYN and a digest of its server's ({@link ReplayStream}), in
 * chunks of one bounded {@link ChunkPool}: bounded per connection and in total. A connection that
 * outgrows a bound, shows a gap in its capture, was first seen after its SYN, or starts with TLS or
 * SSH, is marked not replayable with the reason, counted, and its chunks are given back.
 *
 * <p>Called by the {@code ClientStreamKeeper} on the capture thread, under its lock, for every
 * frame until failover; recovery then {@link #take takes} each connection's stream over. Nothing
 * is allocated per packet once a connection's chunk is assigned (a connection's first frame
 * allocates its holder).
 */
public final class ReplayKeeper {

    /** One kept connection's fields, copied under the lock for the report. */
    public record Kept(int clientAddress, int clientPort, int serviceAddress, int servicePort, Delivery delivery,
            ReplayReadiness readiness, NotReplayableReason reason, long clientBytes, long serverBytes, long serverBytesAcked) {
    }

    private final DeliveryPolicy policy;
    private final ChunkPool pool;
    private final int chunksPerConnection;
    private final int maxConnections;
    private final PairKeyMap<ReplayStream> streams = new PairKeyMap<>();
    private final int[] notReplayable = new int[NotReplayableReason.values().length];
    /** The owning keeper's clock, set by its idle sweep and stamped on every frame's stream (no clock read per frame). */
    private long clockNanos;

    /**
     * @param bytesPerConnection the most bytes one connection may hold (its client stream, its
     *     server flight and digest together)
     * @param maxConnections the most connections kept
     */
    public ReplayKeeper(DeliveryPolicy policy, ChunkPool pool, int bytesPerConnection, int maxConnections) {
        this.policy = policy;
        this.pool = pool;
        this.chunksPerConnection = (int) ((Math.max(0L, bytesPerConnection) + pool.chunkBytes() - 1) / pool.chunkBytes());
        this.maxConnections = maxConnections;
    }

    /** A segment from the client of the connection of the key {@code addresses}, {@code ports} ({@link org.migware.proxy.internal.mapping.ConnectionKey}). */
    public void fromClient(ParsedPacket p, long addresses, long ports) {
        int port = p.destinationPort();
        if (policy.forPort(port) == Delivery.RESUME) {
            return;
        }
        ReplayStream s = streams.get(addresses, ports);
        if (s != null) {
            s.seen(clockNanos);
        }
        if (p.hasFlags(ParsedPacket.RST) || p.hasFlags(ParsedPacket.FIN)) {
            // A reset connection is not re-created; a forged or out-of-order close changes nothing,
            // or a spoofed RST would make it not replayable. A client's FIN half-closes: the client
            // still waits for its answer, and its connection is re-created with its whole stream
            // (its FIN's own bytes included), until the server closes too.
            if (s != null && s.clientCloses(p.hasFlags(ParsedPacket.RST), p.sequenceNumber(), p.payloadLength())) {
                if (p.hasFlags(ParsedPacket.RST) || s.reason() != null || s.serverFinSeen()) {
                    remove(addresses, ports, s);
                } else {
                    int length = p.capturedPayloadLength();
                    if (length != p.payloadLength()) {
                        count(s.notReplayable(pool, NotReplayableReason.CAPTURE_GAP));
                    } else if (length > 0) {
                        count(s.clientBytes(pool, chunksPerConnection, p.sequenceNumber(), p.buffer(), p.payloadOffset(), length));
                    }
                    s.clientFinished();
                }
            }
            return;
        }
        if (p.hasFlags(ParsedPacket.SYN) && !p.hasFlags(ParsedPacket.ACK)) {
            if (s != null && s.clientIsn() == p.sequenceNumber() && s.reason() == null) {
                return; // the SYN again
            }
            remove(addresses, ports, s);
            if (streams.size() >= maxConnections) {
                return;
            }
            s = ReplayStream.of(p.sourceIpv4(), p.sourcePort(), p.destinationIpv4(), port);
            s.startAt(p.sequenceNumber());
            s.seen(clockNanos);
            streams.put(addresses, ports, s);
            return;
        }
        if (s == null) {
            // First seen after its SYN (or since MigWare started): its stream's start is unknown.
            if (streams.size() >= maxConnections) {
                return;
            }
            s = ReplayStream.of(p.sourceIpv4(), p.sourcePort(), p.destinationIpv4(), port);
            s.seen(clockNanos);
            s.clientSpoke();
            streams.put(addresses, ports, s);
            count(s.notReplayable(pool, NotReplayableReason.HANDSHAKE_MISSED));
            return;
        }
        s.clientSpoke();
        if (p.hasFlags(ParsedPacket.ACK)) {
            s.clientAcknowledged(pool, p.acknowledgementNumber());
        }
        int length = p.capturedPayloadLength();
        if (length > 0) {
            if (length != p.payloadLength()) {
                count(s.notReplayable(pool, NotReplayableReason.CAPTURE_GAP)); // cut by the snapshot length
                return;
            }
            count(s.clientBytes(pool, chunksPerConnection, p.sequenceNumber(), p.buffer(), p.payloadOffset(), length));
        }
    }

    /** A segment from the service to the client of the connection of the key {@code addresses}, {@code ports} ({@link org.migware.proxy.internal.mapping.ConnectionKey}). */
    public void fromService(ParsedPacket p, long addresses, long ports) {
        ReplayStream s = streams.get(addresses, ports);
        if (s == null) {
            return;
        }
        s.seen(clockNanos);
        if (p.hasFlags(ParsedPacket.RST)) {
            if (s.serverResets(p.sequenceNumber())) {
                remove(addresses, ports, s);
            }
            return;
        }
        if (p.hasFlags(ParsedPacket.SYN)) {
            s.serverStartsAt(p.sequenceNumber());
            return;
        }
        int length = p.capturedPayloadLength();
        if (length > 0) {
            if (length != p.payloadLength()) {
                count(s.notReplayable(pool, NotReplayableReason.CAPTURE_GAP));
                return;
            }
            count(s.serverBytes(pool, chunksPerConnection, p.sequenceNumber(), p.buffer(), p.payloadOffset(), length));
        }
        if (p.hasFlags(ParsedPacket.FIN) && s.serverCloses(p.sequenceNumber(), p.payloadLength())) {
            if (s.clientFinSeen() || s.reason() != null) {
                remove(addresses, ports, s); // closed both ways: nothing of it is re-created
            } else {
                s.serverFinished();
            }
        }
    }

    private void remove(long addresses, long ports, ReplayStream s) {
        if (s != null) {
            s.release(pool);
            streams.remove(addresses, ports);
        }
    }

    private void count(NotReplayableReason reason) {
        if (reason != null) {
            notReplayable[reason.ordinal()]++;
        }
    }

    // ---- the owning keeper's idle sweep (IdleExpiry), under the keeper's lock ----

    /** Sets the clock stamped on the streams of the frames from now on. */
    void clock(long nanos) {
        clockNanos = nanos;
    }

    /** Walks a bounded piece of the table from {@code start}; see {@link PairKeyMap#forEachFrom}. */
    int forEachFrom(int start, int slots, PairKeyMap.SlotVisitor<ReplayStream> visitor) {
        return streams.forEachFrom(start, slots, visitor);
    }

    /** @return the stream of one connection, or {@code null} */
    ReplayStream get(long addresses, long ports) {
        return streams.get(addresses, ports);
    }

    /** Frees one connection's stream, its chunks given back to the pool. */
    void expire(long addresses, long ports) {
        remove(addresses, ports, streams.get(addresses, ports));
    }

    /**
     * Hands one connection's stream over to recovery, which owns it (and gives its chunks back)
     * from then on.
     *
     * @return the stream, or {@code null} when none was kept (its port resumes, or it was not seen from its SYN)
     */
    public ReplayStream take(long addresses, long ports) {
        ReplayStream s = streams.get(addresses, ports);
        if (s != null) {
            streams.remove(addresses, ports);
        }
        return s;
    }

    /** Gives back the chunks of every stream recovery did not take: nothing is kept after failover. */
    public void releaseAll() {
        long[] addresses = new long[streams.size()];
        long[] ports = new long[streams.size()];
        int[] count = {0};
        streams.forEach((a, p, s) -> {
            s.release(pool);
            addresses[count[0]] = a;
            ports[count[0]++] = p;
        });
        for (int i = 0; i < count[0]; i++) {
            streams.remove(addresses[i], ports[i]);
        }
    }

    /** @return the delivery of the service port */
    public Delivery deliveryFor(int servicePort) {
        return policy.forPort(servicePort);
    }

    /** @return what a failover now would do with a connection of {@code delivery} whose stream is {@code kept} ({@code null}: none) */
    public static ReplayReadiness readiness(Delivery delivery, NotReplayableReason reason, boolean kept) {
        boolean replayable = kept && reason == null;
        return switch (delivery) {
            case RESUME -> ReplayReadiness.RESUMABLE_ONLY;
            case AUTO -> replayable ? ReplayReadiness.REPLAYABLE : ReplayReadiness.RESUMABLE_ONLY;
            case REPLAY -> replayable ? ReplayReadiness.REPLAYABLE : ReplayReadiness.NOT_MIGRATABLE;
        };
    }

    /** @return every kept connection's fields, copied */
    public List<Kept> copy() {
        List<Kept> copied = new ArrayList<>(streams.size());
        streams.forEachValue(s -> {
            Delivery delivery = policy.forPort(s.servicePort());
            copied.add(new Kept(s.clientAddress(), s.clientPort(), s.serviceAddress(), s.servicePort(), delivery,
                    readiness(delivery, s.reason(), true), s.reason(), s.client().end(), s.digest().seen(), s.acked()));
        });
        return copied;
    }

    /** @return connections found not replayable since start, by reason (indexed by ordinal) */
    public int[] notReplayableCounts() {
        return notReplayable.clone();
    }

    /** @return the pool every kept stream takes its chunks from */
    public ChunkPool pool() {
        return pool;
    }

    /** @return the deliveries, as the configuration writes them */
    public DeliveryPolicy policy() {
        return policy;
    }
}
