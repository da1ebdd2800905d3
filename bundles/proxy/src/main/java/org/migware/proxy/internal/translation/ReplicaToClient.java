package org.migware.proxy.internal.translation;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.migware.api.packet.ParseResult;

import org.migware.api.packet.RewritablePacket;
import org.migware.proxy.internal.events.DeferredLog;
import org.migware.proxy.internal.mapping.DropReason;
import org.migware.proxy.internal.mapping.ConnectionTranslation;
import org.migware.proxy.internal.mapping.Mapping;
import org.migware.proxy.internal.mapping.MappingState;
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

    /**
     * Segments held per connection while its client's acknowledgement is awaited: a round trip of
     * the replica's output (its initial window is 10 segments).
     */
    static final int MAX_HELD_PER_CONNECTION = 64;

    private final byte[] frame = new byte[ClientToReplica.MAX_FRAME];
    /** Connections with segments held (some may have been released already: removed at the next {@link #releaseSettled}). */
    private final List<Mapping> holding = new ArrayList<>();
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
     * Keeps a copy of the frame in {@link #frame()} until {@link #releaseHeld}; beyond
     * {@link #MAX_HELD_PER_CONNECTION} it is dropped (counted): the replica sends it again.
     */
    private void hold(Mapping mapping, int frameLength) {
        if (mapping.heldForClientAck == null) {
            mapping.heldForClientAck = new ArrayDeque<>();
            holding.add(mapping);
        }
        if (mapping.heldForClientAck.size() < MAX_HELD_PER_CONNECTION) {
            mapping.heldForClientAck.add(Arrays.copyOf(frame, frameLength));
            counters.heldForClientAck++;
        } else {
            counters.drop(DropReason.AWAITING_CLIENT_ACK);
        }
    }

    /**
     * Sends, in order, the segments held for {@code mapping} once its client's acknowledgement has
     * settled ({@link Mapping#clientAckPending} false), translated as it now stands; discards them
     * if the connection ended meanwhile. Reuses {@link #frame()} and {@link #view()}.
     */
    public void releaseHeld(Mapping mapping) {
        ArrayDeque<byte[]> held = mapping.heldForClientAck;
        if (held == null || mapping.clientAckPending) {
            return;
        }
        mapping.heldForClientAck = null;
        for (byte[] copy : held) {
            if (mapping.state != MappingState.ESTABLISHED) {
                return; // reset or failed meanwhile: nothing more goes to its client
            }
            System.arraycopy(copy, 0, frame, 0, copy.length);
            if (view.parse(frame, 0, copy.length) == ParseResult.TCP) {
                translate(mapping, copy.length);
            }
        }
    }

    /** @return whether no segment is held for a client's acknowledgement */
    public boolean holdsNone() {
        return holding.isEmpty();
    }

    /** Releases what is held for every connection whose wait has ended (the pacer's tick: a wait that ran out). */
    public void releaseSettled() {
        for (int i = holding.size() - 1; i >= 0; i--) {
            Mapping m = holding.get(i);
            if (m.heldForClientAck == null) {
                holding.remove(i);
            } else if (!m.clientAckPending || m.state != MappingState.ESTABLISHED) {
                holding.remove(i);
                releaseHeld(m);
                m.heldForClientAck = null;
            }
        }
    }

    /**
     * Rewrites the packet parsed in {@link #view()} for the client and sends it.
     *
     * @param frameLength the frame's length, link header included
     */
    public void translate(Mapping mapping, int frameLength) {
        RewritablePacket p = view;
        if (mapping.clientAckPending && (p.payloadLength() > 0 || p.hasFlags(RewritablePacket.FIN))) {
            if (mapping.clientAckMayCorrect()) {
                // Where its bytes land in the client's stream waits for the client's own acknowledgement,
                // and so does the segment: held, not dropped. Dropped, the replica's first answer after
                // the hand-over (written as soon as the handed-over request reached it, often before the
                // client's answer to the probe) came only with its retransmission, 200 ms or more later.
                hold(mapping, frameLength);
                return;
            }
            // The client had acknowledged all the primary sent: its acknowledgement cannot move the
            // offset, which stands as seen, and the replica's answer need not wait for it (that wait
            // is a round trip through the capture, tens of milliseconds under load).
            mapping.clientAckPending = false;
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
