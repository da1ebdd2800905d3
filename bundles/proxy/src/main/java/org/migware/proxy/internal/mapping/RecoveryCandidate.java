package org.migware.proxy.internal.mapping;

import java.net.Inet4Address;

import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.DirectionState;
import org.migware.api.connection.TcpState;
import org.migware.api.failover.NotRecoverableReason;

/**
 * What the forged handshake of one tracked connection needs, taken from the tracker's snapshot
 * at the moment of failover — or why the connection cannot be re-created.
 *
 * @param snapshot the tracker's view
 * @param clientAddress client IPv4 address
 * @param clientPort client port
 * @param clientMac client MAC (low 48 bits)
 * @param primaryAddress the service address the client talks to
 * @param primaryPort the service port
 * @param primaryMac the primary's MAC, which frames to the client keep as their source
 * @param clientResume the first client byte the primary did not acknowledge (its highest ACK):
 *     the forged SYN's sequence number is {@code clientResume - 1}
 * @param clientAck the next server byte the client expects (its highest ACK)
 * @param clientMss the MSS of the client's SYN
 * @param clientWindowScale the client's window-scale shift when both sides negotiated scaling, else -1
 * @param primaryWindowScale the primary's shift when negotiated, else 0
 * @param sackPermitted whether both SYNs carried SACK-permitted
 * @param timestamps whether both SYNs carried timestamps
 * @param ecn whether client and primary negotiated RFC 3168 ECN: the forged SYN then asks the replica
 *     for it too, so that congestion marks on the client's path keep reaching a sender that reacts
 * @param clientLastTsval the client's last TSval (the forged SYN continues its clock)
 * @param primaryLastTsval the primary's last TSval (the replica's clock is shifted onto it)
 * @param clientLastWindow the client's last raw window
 */
public record RecoveryCandidate(
        ConnectionSnapshot snapshot,
        int clientAddress, int clientPort, long clientMac,
        int primaryAddress, int primaryPort, long primaryMac,
        int clientResume, int clientAck,
        int clientMss, int clientWindowScale, int primaryWindowScale,
        boolean sackPermitted, boolean timestamps, boolean ecn,
        int clientLastTsval, int primaryLastTsval, int clientLastWindow) {

    /** The outcome of looking at one snapshot. */
    public sealed interface Assessment permits Recoverable, NotRecoverable {
    }

    /** The connection can be re-created. */
    public record Recoverable(RecoveryCandidate candidate) implements Assessment {
    }

    /**
     * Why the connection is left alone; reported, never silently broken.
     *
     * @param detail the particulars (the TCP state), or {@code null}
     */
    public record NotRecoverable(ConnectionSnapshot snapshot, NotRecoverableReason reason, String detail) implements Assessment {

        NotRecoverable(ConnectionSnapshot snapshot, NotRecoverableReason reason) {
            this(snapshot, reason, null);
        }

        /** @return the reason in words, as the log says it */
        public String words() {
            return switch (reason) {
                case NOT_ESTABLISHED -> detail + ": only established connections are re-created";
                case HANDSHAKE_NOT_SEEN -> "handshake not seen: MSS, window scale and SACK unknown";
                case IPV6 -> "IPv6: the shadow path is IPv4 only";
                case NO_ACKNOWLEDGEMENT -> "no acknowledgement seen from both sides";
                case MAC_UNKNOWN -> "a MAC address was never seen";
                case NO_TIMESTAMP_VALUE -> "timestamps negotiated but no TSval seen";
            };
        }
    }

    /** Decides from the tracker's snapshot whether and how the connection can be re-created. */
    public static Assessment assess(ConnectionSnapshot c) {
        if (c.state() != TcpState.ESTABLISHED && !clientHalfClosed(c)) {
            return new NotRecoverable(c, NotRecoverableReason.NOT_ESTABLISHED, "state " + c.state());
        }
        if (!c.handshakeSeen()) {
            // Without the SYNs the window scale is unknown: guessing it would corrupt every window.
            return new NotRecoverable(c, NotRecoverableReason.HANDSHAKE_NOT_SEEN);
        }
        if (!(c.client().address() instanceof Inet4Address) || !(c.server().address() instanceof Inet4Address)) {
            return new NotRecoverable(c, NotRecoverableReason.IPV6);
        }
        DirectionState client = c.clientToServer();
        DirectionState server = c.serverToClient();
        if (server.highestAck() == DirectionState.UNKNOWN || client.highestAck() == DirectionState.UNKNOWN) {
            return new NotRecoverable(c, NotRecoverableReason.NO_ACKNOWLEDGEMENT);
        }
        if (c.client().mac() == null || c.server().mac() == null) {
            return new NotRecoverable(c, NotRecoverableReason.MAC_UNKNOWN);
        }
        boolean scaling = c.windowScalingNegotiated();
        boolean timestamps = c.timestampsNegotiated();
        if (timestamps && (client.lastTimestampValue() == DirectionState.UNKNOWN || server.lastTimestampValue() == DirectionState.UNKNOWN)) {
            return new NotRecoverable(c, NotRecoverableReason.NO_TIMESTAMP_VALUE);
        }
        return new Recoverable(new RecoveryCandidate(c,
                ipv4(c.client().address()), c.client().port(), mac(c.client().mac()),
                ipv4(c.server().address()), c.server().port(), mac(c.server().mac()),
                resumePoint(server.highestAck(), client.finSequence()), (int) client.highestAck(),
                client.mss() > 0 ? client.mss() : 536,
                scaling ? client.windowScale() : -1,
                scaling ? server.windowScale() : 0,
                c.sackNegotiated(), timestamps, client.classicEcnWith(server),
                (int) client.lastTimestampValue(), (int) server.lastTimestampValue(),
                Math.max(client.lastWindow(), 0)));
    }

    /**
     * Whether only the client has closed: its FIN was seen and the primary's was not. The client
     * (in FIN_WAIT) still reads, and waits for its answer: the connection is re-created, and its
     * FIN handed to the replica after its bytes. A connection the primary closed is not: the
     * replica's application cannot be made to close at the same point.
     */
    static boolean clientHalfClosed(ConnectionSnapshot c) {
        return c.state() == TcpState.CLOSING && c.clientToServer().finSeen() && !c.serverToClient().finSeen();
    }

    /**
     * The first client byte the primary did not acknowledge, never beyond the client's FIN: a FIN
     * the primary acknowledged still has to reach the replica, at its own sequence number.
     */
    static int resumePoint(long primaryAck, long clientFin) {
        if (clientFin != DirectionState.UNKNOWN && org.migware.api.wire.SequenceNumbers.after((int) primaryAck, (int) clientFin)) {
            return (int) clientFin;
        }
        return (int) primaryAck;
    }

    /** @return the sequence number of the client's FIN, seen before the failover, or {@link DirectionState#UNKNOWN} */
    public long clientFinSequence() {
        return snapshot == null ? DirectionState.UNKNOWN : snapshot.clientToServer().finSequence();
    }

    static int ipv4(java.net.InetAddress address) {
        byte[] b = address.getAddress();
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }

    static long mac(String text) {
        long value = 0;
        for (String octet : text.split(":")) {
            value = value << 8 | Integer.parseInt(octet, 16);
        }
        return value;
    }
}
