package org.migware.proxy.internal.translation;

import org.migware.api.packet.ParseResult;
import org.migware.api.packet.RewritablePacket;
import org.migware.proxy.internal.mapping.ConnectionTranslation;
import org.migware.proxy.internal.mapping.Mapping;
import org.migware.proxy.internal.mapping.MappingTable;
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
    /** The longest frame taken: an IPv4 packet of the largest size, with its link header. */
    public static final int MAX_FRAME = 65_535 + ETHERNET_HEADER;

    private final byte[] frame = new byte[MAX_FRAME];
    private final RewritablePacket view;
    private final Replica replica;
    private final MappingTable table;
    private final ToReplica toReplica;

    public ClientToReplica(RewritablePacket view, Replica replica, MappingTable table, ToReplica toReplica) {
        this.view = view;
        this.replica = replica;
        this.table = table;
        this.toReplica = toReplica;
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

    /** Rewrites the frame parsed in {@link #view()} for the replica and writes its IP packet into the TUN. */
    public void forward(Mapping mapping) {
        RewritablePacket p = view;
        ConnectionTranslation t = mapping.translation;
        p.setSourceIpv4(mapping.shadowAddress);
        p.setSourcePort(mapping.shadowPort);
        p.setDestinationIpv4(replica.address());
        p.setDestinationPort(replica.portFor(mapping));
        p.setSequenceNumber(t.clientToReplicaSeq(p.sequenceNumber()));
        if (p.hasFlags(RewritablePacket.ACK)) {
            int ack = t.clientToReplicaAck(p.acknowledgementNumber());
            p.setAcknowledgementNumber(ack);
            if (ack - mapping.lastAckToReplica > 0) {
                mapping.lastAckToReplica = ack;
            }
        }
        for (int i = 0; i < p.sackBlockCount(); i++) {
            p.setSackBlock(i, t.clientToReplicaSackEdge(p.sackBlockLeft(i)), t.clientToReplicaSackEdge(p.sackBlockRight(i)));
        }
        if (p.hasTimestamps()) {
            if (p.timestampValue() - mapping.lastClientTsval > 0) {
                mapping.lastClientTsval = p.timestampValue();
            }
            p.setTimestamps(p.timestampValue(), t.clientToReplicaTsecr(p.timestampEchoReply()));
        }
        p.replaceUnknownOptionsWithNops();
        p.updateIpv4HeaderChecksum();
        p.updateTcpChecksum();
        int ipLength = p.tcpOffset() - p.ipOffset() + p.tcpHeaderLength() + p.payloadLength();
        toReplica.write(frame, p.ipOffset(), ipLength);
        mapping.toReplica++;
        if (p.hasFlags(RewritablePacket.RST)) {
            table.close(mapping, "the client reset it");
        } else if (p.hasFlags(RewritablePacket.FIN)) {
            mapping.clientFin = true;
            table.lingerIfClosed(mapping);
        }
    }
}
