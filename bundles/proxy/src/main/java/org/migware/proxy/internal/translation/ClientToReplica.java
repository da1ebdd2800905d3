package org.migware.proxy.internal.translation;

import org.migware.api.packet.ParseResult;
import org.migware.api.packet.RewritablePacket;
import org.migware.proxy.internal.events.DeferredLog;
import org.migware.proxy.internal.mapping.ConnectionTranslation;
import org.migware.proxy.internal.mapping.Mapping;
import org.migware.proxy.internal.mapping.MappingTable;
import org.migware.proxy.internal.mapping.MigrationCounters;
import org.migware.proxy.internal.mapping.Replica;

/**
 * Client → replica: a captured frame to the service, rewritten to come from the connection's
 * shadow endpoint and go to the replica (ack and SACK shifted by D2, TSecr back onto the
 * replica's clock, options MigWare cannot carry turned into NOPs), written into the TUN.
 *
 * <p>The frame is rewritten in place in a buffer of its own (other listeners read the same
 * capture buffer): {@link #frame()} and {@link #view()} are that buffer and the view over it,
 * reused for every frame.
 */
public final class ClientToReplica {

    private static final int ETHERNET_HEADER = 14;
    /** The longest frame taken: an IPv4 packet of the largest size, with its link header and two VLAN tags. */
    public static final int MAX_FRAME = 65_535 + ETHERNET_HEADER + 2 * 4;

    private final byte[] frame = new byte[MAX_FRAME];
    private final RewritablePacket view;
    private final Replica replica;
    private final MappingTable table;
    private final ToReplica toReplica;
    private final MigrationCounters counters;
    private final DeferredLog log;

    public ClientToReplica(RewritablePacket view, Replica replica, MappingTable table, ToReplica toReplica, MigrationCounters counters,
            DeferredLog log) {
        this.view = view;
        this.replica = replica;
        this.table = table;
        this.toReplica = toReplica;
        this.counters = counters;
        this.log = log;
    }

    /** @return the buffer client frames are copied into */
    public byte[] frame() {
        return frame;
    }

    /** @return the view over {@link #frame()} */
    public RewritablePacket view() {
        return view;
    }

    /** Forwards a frame that waited for its connection's handshake: copied into {@link #frame()} first. */
    public void forwardWaiting(Mapping mapping, byte[] waiting) {
        System.arraycopy(waiting, 0, frame, 0, waiting.length);
        if (view.parse(frame, 0, waiting.length) != ParseResult.TCP) {
            return;
        }
        forward(mapping);
    }

    /**
     * The client's first acknowledgement in PROXY against the one the capture saw last: when the
     * client holds more (its last ACKs were lost on the mirror) and no more than the primary sent,
     * the replica's next byte is mapped to the client's next expected byte instead, before any
     * replica byte has gone out (replica data waits for this). Evidence that arrives later wins.
     *
     * @return the connection's translation from now on
     */
    private ConnectionTranslation confirmClientAck(Mapping mapping, int clientAck) {
        mapping.clientAckPending = false;
        int seen = mapping.translation.replicaToClientSeq(mapping.replicaIsn + 1);
        if (!correctTo(mapping, clientAck) && clientAck != seen) {
            log.warn("proxy: {}: the client acknowledges {} where the capture saw {} and the primary sent up to {}; kept as seen",
                    mapping, Integer.toUnsignedString(clientAck), Integer.toUnsignedString(seen),
                    Integer.toUnsignedString(mapping.primarySentEnd));
        }
        return mapping.translation;
    }

    /**
     * Maps the replica's next byte to the client's next expected byte when the client holds more
     * than the capture saw it acknowledge, and no more than the primary sent.
     *
     * @return whether the translation was corrected
     */
    private boolean correctTo(Mapping mapping, int clientAck) {
        ConnectionTranslation t = mapping.translation;
        int seen = t.replicaToClientSeq(mapping.replicaIsn + 1);
        if (clientAck - seen <= 0 || mapping.primarySentEnd - clientAck < 0) {
            return false;
        }
        mapping.translation = t.withClientAck(mapping.replicaIsn, clientAck);
        counters.clientAckCorrections++;
        log.info("proxy: {}: the client holds {} bytes more than the capture saw it acknowledge; the replica's output"
                + " now starts at its next expected byte", mapping, clientAck - seen);
        return true;
    }

    /** Rewrites the frame parsed in {@link #view()} for the replica and writes its IP packet into the TUN. */
    public void forward(Mapping mapping) {
        RewritablePacket p = view;
        ConnectionTranslation t = mapping.translation;
        boolean partialChecksum = p.isTcpChecksumPartial(); // asked before the addresses change
        int clientSeq = p.sequenceNumber();
        int clientEnd = clientSeq + p.payloadLength() + (p.hasFlags(RewritablePacket.FIN) ? 1 : 0);
        if (!p.hasFlags(RewritablePacket.RST) && clientEnd - mapping.clientNext > 0) {
            mapping.clientNext = clientEnd;
        }
        p.setSourceIpv4(mapping.shadowAddress);
        p.setSourcePort(mapping.shadowPort);
        p.setDestinationIpv4(replica.address());
        p.setDestinationPort(replica.portFor(mapping));
        if (mapping.clientAckPending && p.hasFlags(RewritablePacket.ACK)) {
            t = confirmClientAck(mapping, p.acknowledgementNumber());
        }
        p.setSequenceNumber(t.clientToReplicaSeq(p.sequenceNumber()));
        if (p.hasFlags(RewritablePacket.ACK)) {
            int ack = t.clientToReplicaAck(p.acknowledgementNumber());
            if (mapping.replay != null) {
                // Catching up: never acknowledge replica bytes the check has not seen (see ReplayCatchUp).
                ack = mapping.replay.replicaAckLimit(ack, mapping.replicaIsn);
            }
            p.setAcknowledgementNumber(ack);
            if (ack - mapping.lastAckToReplica > 0) {
                mapping.lastAckToReplica = ack;
            }
        }
        for (int i = 0; i < p.sackBlockCount(); i++) {
            int left = t.clientToReplicaSackEdge(p.sackBlockLeft(i));
            int right = t.clientToReplicaSackEdge(p.sackBlockRight(i));
            if (mapping.replay != null) {
                // A SACKed byte is not sent again either: a block beyond the check's position is cut
                // there, and one wholly beyond it becomes empty, which the replica ignores.
                left = mapping.replay.replicaAckLimit(left, mapping.replicaIsn);
                right = mapping.replay.replicaAckLimit(right, mapping.replicaIsn);
            }
            p.setSackBlock(i, left, right);
        }
        if (p.hasTimestamps()) {
            if (p.timestampValue() - mapping.lastClientTsval > 0) {
                mapping.lastClientTsval = p.timestampValue();
            }
            p.setTimestamps(p.timestampValue(), t.clientToReplicaTsecr(p.timestampEchoReply()));
        }
        p.replaceUnknownOptionsWithNops();
        // Carried, not recomputed (RFC 1624): a segment damaged before the capture saw it, which the
        // primary would have dropped, keeps its wrong checksum and is dropped by the replica too; the
        // client sends it again. A recomputed checksum would hand the damage over as valid. A partial
        // checksum (an offloading sender on a veth or bridge, GRO on the capturing interface) is
        // completed instead, as the NIC or the receiving stack would have.
        p.adjustIpv4HeaderChecksum();
        if (partialChecksum) {
            p.updateTcpChecksum();
        } else {
            p.adjustTcpChecksum();
        }
        int ipLength = p.tcpOffset() - p.ipOffset() + p.tcpHeaderLength() + p.payloadLength();
        toReplica.write(frame, p.ipOffset(), ipLength);
        mapping.toReplica++;
        counters.packetsToReplica++;
        counters.bytesToReplica += p.payloadLength();
        if (p.hasFlags(RewritablePacket.RST)) {
            // The replica's stack takes a reset only at its next expected byte (RFC 5961); any other
            // it answers with a challenge ACK, which reaches the client through the mapping, and a
            // real client answers that with an exact reset. A forged one must not end the mapping.
            if (clientSeq == mapping.lastReplicaAck || clientSeq == mapping.clientNext) {
                table.close(mapping, "the client reset it");
            } else {
                counters.resetsNotAtNextByte++;
            }
        } else if (p.hasFlags(RewritablePacket.FIN)) {
            mapping.clientFin = true;
            table.lingerIfClosed(mapping);
        }
    }
}
