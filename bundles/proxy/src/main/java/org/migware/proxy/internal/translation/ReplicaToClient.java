package org.migware.proxy.internal.translation;

import java.io.IOException;

import org.migware.api.packet.RewritablePacket;
import org.migware.proxy.internal.events.DeferredLog;
import org.migware.proxy.internal.mapping.DropReason;
import org.migware.proxy.internal.mapping.ConnectionTranslation;
import org.migware.proxy.internal.mapping.Mapping;
import org.migware.proxy.internal.mapping.MappingTable;
import org.migware.proxy.internal.mapping.MigrationCounters;
import org.migware.proxy.internal.wire.WirePort;

/**
 * Replica → client: an IPv4 packet read from the TUN, rewritten to come from the primary (its
 * address, port and MAC) to the client (seq shifted by D2, TSval onto the primary's clock,
 * window rescaled), sent on the wire.
 *
 * <p>The packet is copied behind a link header into a buffer of its own: {@link #frame()} and
 * {@link #view()} are that buffer and the view over it, reused for every packet.
 */
public final class ReplicaToClient {

    /** Where the IP packet starts in {@link #frame()}: after the Ethernet header it is given. */
    public static final int ETHERNET_HEADER = 14;

    private final byte[] frame = new byte[ClientToReplica.MAX_FRAME];
    private final RewritablePacket view;
    private final MappingTable table;
    private final WirePort wire;
    private final MigrationCounters counters;
    private final DeferredLog log;

    public ReplicaToClient(RewritablePacket view, MappingTable table, WirePort wire, MigrationCounters counters, DeferredLog log) {
        this.view = view;
        this.table = table;
        this.wire = wire;
        this.counters = counters;
        this.log = log;
        // The replica's packets come from the TUN without a link header: give them one, once.
        frame[12] = 0x08;
        frame[13] = 0x00;
    }

    /** @return the buffer replica packets are copied into, at {@link #ETHERNET_HEADER} */
    public byte[] frame() {
        return frame;
    }

    /** @return the view over {@link #frame()} */
    public RewritablePacket view() {
        return view;
    }

    /**
     * Rewrites the packet parsed in {@link #view()} for the client and sends it.
     *
     * @param frameLength the frame's length, link header included
     */
    public void translate(Mapping mapping, int frameLength) {
        RewritablePacket p = view;
        if (mapping.clientAckPending && (p.payloadLength() > 0 || p.hasFlags(RewritablePacket.FIN))) {
            // Where its bytes land in the client's stream waits for the client's own acknowledgement:
            // dropped unacknowledged, the segment comes again (the replica's retransmission).
            counters.drop(DropReason.AWAITING_CLIENT_ACK);
            return;
        }
        if (p.hasTimestamps() && p.timestampValue() - mapping.lastReplicaTsval > 0) {
            mapping.lastReplicaTsval = p.timestampValue();
        }
        ConnectionTranslation t = mapping.translation;
        p.setSourceMac(mapping.primaryMac);
        p.setDestinationMac(mapping.clientMac);
        p.setSourceIpv4(mapping.primaryAddress);
        p.setSourcePort(mapping.primaryPort);
        p.setDestinationIpv4(mapping.clientAddress);
        p.setDestinationPort(mapping.clientPort);
        p.setSequenceNumber(t.replicaToClientSeq(p.sequenceNumber()));
        if (p.hasFlags(RewritablePacket.ACK)) {
            p.setAcknowledgementNumber(t.replicaToClientAck(p.acknowledgementNumber()));
        }
        for (int i = 0; i < p.sackBlockCount(); i++) {
            p.setSackBlock(i, t.replicaToClientSackEdge(p.sackBlockLeft(i)), t.replicaToClientSackEdge(p.sackBlockRight(i)));
        }
        if (p.hasTimestamps()) {
            p.setTimestamps(t.replicaToClientTsval(p.timestampValue()), p.timestampEchoReply());
        }
        if (!p.hasFlags(RewritablePacket.SYN)) {
            // A SYN's window is never scaled (RFC 7323 2.2).
            p.setWindow(t.replicaToClientWindow(p.window()));
        }
        p.updateIpv4HeaderChecksum();
        p.updateTcpChecksum();
        try {
            wire.send(frame, 0, frameLength);
            mapping.toClient++;
            counters.packetsToClient++;
            counters.bytesToClient += p.payloadLength();
        } catch (IOException e) {
            counters.drop(DropReason.SEND_FAILED);
            log.warn("proxy: cannot send to {}: {}", mapping, e.toString());
        }
        if (p.hasFlags(RewritablePacket.RST)) {
            table.close(mapping, "the replica reset it");
        } else if (p.hasFlags(RewritablePacket.FIN)) {
            mapping.replicaFin = true;
            table.lingerIfClosed(mapping);
        }
    }
}
