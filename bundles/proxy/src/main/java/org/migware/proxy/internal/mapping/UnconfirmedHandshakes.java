package org.migware.proxy.internal.mapping;

import java.net.Inet4Address;

import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.DirectionState;
import org.migware.api.connection.TcpState;
import org.migware.api.packet.RewritablePacket;

/**
 * Connections whose handshake's final ACK the capture missed, and which sent nothing since: the
 * tracker saw the client's SYN and the primary's SYN-ACK, nothing after. The client may be
 * ESTABLISHED (the ACK went by unseen) or still in SYN-SENT (the SYN-ACK never reached it). Forging
 * them at the failover would carry every SYN-ACK the primary sent to a spoofed SYN; so they wait
 * here, and the client's first segment decides, as Linux's SYN cookies decide from the final ACK:
 * an ACK of exactly the primary's ISN + 1 at the client's ISN + 1 proves it holds the SYN-ACK, and
 * the connection is re-created as established from there (no byte was exchanged, so nothing is
 * handed over). A SYN sent again (the SYN-ACK was lost) makes a new connection instead; anything
 * else is answered with a reset, as before.
 *
 * <p>At most {@value #MAX_ENTRIES}, beyond which they are counted and forgotten; held until
 * confirmed or replaced by a new SYN on the tuple. Not in the proxy's state file: after a restart
 * such a client is reset at its first segment.
 */
public final class UnconfirmedHandshakes {

    /** Held at most: a SYN flood's half-open entries must not grow this without bound. */
    public static final int MAX_ENTRIES = 16_384;

    private final PairKeyMap<ConnectionSnapshot> byClient = new PairKeyMap<>();
    private long notKept;
    private long confirmed;

    /** @return whether {@code c} is such a handshake, and is now held */
    public boolean remember(ConnectionSnapshot c) {
        DirectionState client = c.clientToServer();
        DirectionState server = c.serverToClient();
        if (c.state() != TcpState.HANDSHAKE || !c.handshakeSeen()
                || !(c.client().address() instanceof Inet4Address) || !(c.server().address() instanceof Inet4Address)
                || c.client().mac() == null || c.server().mac() == null
                || client.initialSequence() == DirectionState.UNKNOWN || server.initialSequence() == DirectionState.UNKNOWN
                || client.highestAck() != DirectionState.UNKNOWN
                || server.highestAck() != (client.initialSequence() + 1 & 0xffff_ffffL)
                || client.finSeen() || server.finSeen()) {
            return false;
        }
        if (byClient.size() >= MAX_ENTRIES) {
            notKept++;
            return false;
        }
        byClient.put(key(c), ConnectionKey.ports(c.client().port(), c.server().port()), c);
        return true;
    }

    private static long key(ConnectionSnapshot c) {
        return ConnectionKey.addresses(RecoveryCandidate.ipv4(c.client().address()), RecoveryCandidate.ipv4(c.server().address()));
    }

    /**
     * The client's segment of no mapping: if it confirms a held handshake, the handshake is taken
     * out and returned as an established connection at its start; a SYN on the tuple forgets it.
     *
     * @return the connection to re-create, or {@code null}
     */
    public ConnectionSnapshot confirm(RewritablePacket segment) {
        if (byClient.size() == 0) {
            return null;
        }
        long addresses = ConnectionKey.addresses(segment.sourceIpv4(), segment.destinationIpv4());
        long ports = ConnectionKey.ports(segment.sourcePort(), segment.destinationPort());
        ConnectionSnapshot c = byClient.get(addresses, ports);
        if (c == null) {
            return null;
        }
        if (segment.hasFlags(RewritablePacket.SYN)) {
            byClient.remove(addresses, ports); // sent again: the client never got the SYN-ACK, a new connection follows
            return null;
        }
        DirectionState client = c.clientToServer();
        DirectionState server = c.serverToClient();
        if (segment.hasFlags(RewritablePacket.RST) || !segment.hasFlags(RewritablePacket.ACK)
                || segment.acknowledgementNumber() != (int) (server.initialSequence() + 1)
                || segment.sequenceNumber() != (int) (client.initialSequence() + 1)) {
            return null; // not the proof: left for a reset, the entry kept for the true client
        }
        byClient.remove(addresses, ports);
        confirmed++;
        long tsval = c.timestampsNegotiated() && segment.hasTimestamps() ? segment.timestampValue() & 0xffff_ffffL
                : client.lastTimestampValue();
        DirectionState established = new DirectionState(client.initialSequence(), client.mss(), client.windowScale(),
                client.sackPermitted(), client.timestamps(), server.initialSequence() + 1 & 0xffff_ffffL,
                client.highestSequenceEnd(), tsval, segment.window(), 0, client.packets() + 1, client.retransmissions(),
                client.outOfOrder(), client.synEcnFlags(), DirectionState.UNKNOWN);
        return new ConnectionSnapshot(c.client(), c.server(), established, server, TcpState.ESTABLISHED, true, c.firstSeen(),
                c.lastActivity());
    }

    /** @return the handshakes held */
    public int size() {
        return byClient.size();
    }

    /** @return those beyond {@link #MAX_ENTRIES}, forgotten */
    public long notKept() {
        return notKept;
    }

    /** @return those confirmed by their client's first segment */
    public long confirmed() {
        return confirmed;
    }
}
