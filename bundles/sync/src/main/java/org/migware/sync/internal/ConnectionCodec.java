package org.migware.sync.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.time.Instant;

import org.migware.api.connection.ConnectionKey;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.DirectionState;
import org.migware.api.connection.Endpoint;
import org.migware.api.connection.TcpState;

/**
 * The payloads of {@link MessageType#TRANSFER_ENTRY}, {@link MessageType#CONNECTION_NEW} and
 * {@link MessageType#CONNECTION_GONE}: what a backup needs to recover a connection whose handshake
 * it did not see (both sides' ISNs and SYN options), with the serving host's positions at the
 * time (highest ACK and sequence end, last TSval and window) and the MACs. Counters are not sent.
 *
 * <pre>
 * entry: family (1: 4 or 6) | client address (4 or 16) | client port (2) | server address | server port (2)
 *        | client MAC (1 known + 6) | server MAC (1 + 6) | state (1) | first seen, epoch ms (8)
 *        | client side | server side
 * side:  ISN (8, -1 unknown) | MSS (2, signed) | window shift (1, signed) | options (1: bit 0 SACK-permitted,
 *        bit 1 timestamps) | SYN ECN flags (2, signed) | highest ACK (8) | highest sequence end (8)
 *        | last TSval (8) | last window (4)
 * gone:  family | client address | client port | server address | server port | client ISN (8, -1 unknown)
 * </pre>
 *
 * Decoding checks every field's range and says what is wrong; it never throws on bad input.
 */
final class ConnectionCodec {

    /** A decoded payload, or why it is not one. */
    record Decoded<T>(T value, String problem) {
        static <T> Decoded<T> invalid(String problem) {
            return new Decoded<>(null, problem);
        }
    }

    /** A connection gone from the serving host's table: its key and the client's ISN of that incarnation. */
    record Gone(ConnectionKey key, long clientInitialSequence) {
    }

    private static final TcpState[] STATES = TcpState.values();
    private static final java.util.regex.Pattern MAC = java.util.regex.Pattern.compile("\\p{XDigit}{2}(:\\p{XDigit}{2}){5}");
    private static final long MAX_U32 = 0xffffffffL;

    private ConnectionCodec() {
    }

    static byte[] encodeEntry(ConnectionSnapshot c) {
        ByteBuffer b = ByteBuffer.allocate(256);
        putTuple(b, c.client().address(), c.client().port(), c.server().address(), c.server().port());
        putMac(b, c.client().mac());
        putMac(b, c.server().mac());
        b.put((byte) c.state().ordinal());
        b.putLong(c.firstSeen().toEpochMilli());
        putSide(b, c.clientToServer());
        putSide(b, c.serverToClient());
        return copy(b);
    }

    static byte[] encodeGone(ConnectionKey key, long clientInitialSequence) {
        ByteBuffer b = ByteBuffer.allocate(64);
        putTuple(b, key.clientAddress(), key.clientPort(), key.serverAddress(), key.serverPort());
        b.putLong(clientInitialSequence);
        return copy(b);
    }

    static Decoded<ConnectionSnapshot> decodeEntry(byte[] payload) {
        ByteBuffer b = ByteBuffer.wrap(payload);
        try {
            Tuple t = tuple(b);
            if (t.problem != null) {
                return Decoded.invalid(t.problem);
            }
            String clientMac = mac(b);
            String serverMac = mac(b);
            int state = b.get() & 0xff;
            if (state >= STATES.length) {
                return Decoded.invalid("unknown TCP state " + state);
            }
            long firstSeenMillis = b.getLong();
            if (firstSeenMillis < 0 || firstSeenMillis > Instant.parse("9999-01-01T00:00:00Z").toEpochMilli()) {
                return Decoded.invalid("first-seen time out of range: " + firstSeenMillis);
            }
            Decoded<DirectionState> client = side(b);
            if (client.problem != null) {
                return Decoded.invalid("client side: " + client.problem);
            }
            Decoded<DirectionState> server = side(b);
            if (server.problem != null) {
                return Decoded.invalid("server side: " + server.problem);
            }
            if (b.hasRemaining()) {
                return Decoded.invalid(b.remaining() + " bytes after the entry");
            }
            Instant firstSeen = Instant.ofEpochMilli(firstSeenMillis);
            return new Decoded<>(new ConnectionSnapshot(new Endpoint(t.client, t.clientPort, clientMac),
                    new Endpoint(t.server, t.serverPort, serverMac), client.value, server.value, STATES[state], true,
                    firstSeen, firstSeen), null);
        } catch (BufferUnderflowException e) {
            return Decoded.invalid("entry cut short at byte " + b.position() + " of " + payload.length);
        }
    }

    static Decoded<Gone> decodeGone(byte[] payload) {
        ByteBuffer b = ByteBuffer.wrap(payload);
        try {
            Tuple t = tuple(b);
            if (t.problem != null) {
                return Decoded.invalid(t.problem);
            }
            long isn = b.getLong();
            if (isn < -1 || isn > MAX_U32) {
                return Decoded.invalid("client ISN out of range: " + isn);
            }
            if (b.hasRemaining()) {
                return Decoded.invalid(b.remaining() + " bytes after the connection");
            }
            return new Decoded<>(new Gone(new ConnectionKey(t.client, t.clientPort, t.server, t.serverPort), isn), null);
        } catch (BufferUnderflowException e) {
            return Decoded.invalid("connection cut short at byte " + b.position() + " of " + payload.length);
        }
    }

    // ---- parts ----

    private record Tuple(InetAddress client, int clientPort, InetAddress server, int serverPort, String problem) {
    }

    private static void putTuple(ByteBuffer b, InetAddress client, int clientPort, InetAddress server, int serverPort) {
        byte[] c = client.getAddress();
        byte[] s = server.getAddress();
        if (c.length != s.length) {
            throw new IllegalArgumentException("client " + client + " and server " + server + " of different families");
        }
        b.put((byte) (c.length == 4 ? 4 : 6));
        b.put(c).putShort((short) clientPort).put(s).putShort((short) serverPort);
    }

    private static Tuple tuple(ByteBuffer b) {
        int family = b.get() & 0xff;
        if (family != 4 && family != 6) {
            return new Tuple(null, 0, null, 0, "address family " + family + ", neither 4 nor 6");
        }
        byte[] c = new byte[family == 4 ? 4 : 16];
        b.get(c);
        int clientPort = b.getShort() & 0xffff;
        byte[] s = new byte[c.length];
        b.get(s);
        int serverPort = b.getShort() & 0xffff;
        try {
            return new Tuple(InetAddress.getByAddress(c), clientPort, InetAddress.getByAddress(s), serverPort, null);
        } catch (UnknownHostException e) {
            return new Tuple(null, 0, null, 0, "address of " + c.length + " bytes");
        }
    }

    private static void putMac(ByteBuffer b, String mac) {
        if (mac == null || !MAC.matcher(mac).matches()) {
            b.put((byte) 0).put(new byte[6]);
            return;
        }
        b.put((byte) 1);
        for (String octet : mac.split(":")) {
            b.put((byte) Integer.parseInt(octet, 16));
        }
    }

    private static String mac(ByteBuffer b) {
        boolean known = b.get() != 0;
        byte[] octets = new byte[6];
        b.get(octets);
        if (!known) {
            return null;
        }
        StringBuilder text = new StringBuilder(17);
        for (int i = 0; i < 6; i++) {
            text.append(i == 0 ? "" : ":").append(String.format("%02x", octets[i] & 0xff));
        }
        return text.toString();
    }

    private static void putSide(ByteBuffer b, DirectionState d) {
        b.putLong(d.initialSequence());
        b.putShort((short) d.mss());
        b.put((byte) d.windowScale());
        b.put((byte) ((d.sackPermitted() ? 1 : 0) | (d.timestamps() ? 2 : 0)));
        b.putShort((short) d.synEcnFlags());
        b.putLong(d.highestAck());
        b.putLong(d.highestSequenceEnd());
        b.putLong(d.lastTimestampValue());
        b.putInt(d.lastWindow());
    }

    private static Decoded<DirectionState> side(ByteBuffer b) {
        long isn = b.getLong();
        int mss = b.getShort() & 0xffff;
        int shift = b.get();
        int options = b.get() & 0xff;
        int ecn = b.getShort();
        long ack = b.getLong();
        long end = b.getLong();
        long tsval = b.getLong();
        int window = b.getInt();
        if (isn < 0 || isn > MAX_U32) {
            return Decoded.invalid("ISN out of range or unknown: " + isn);
        }
        if (mss == 0xffff) {
            mss = -1; // as sent: -1 for "not announced"
        }
        if (shift < -1 || shift > 14) {
            return Decoded.invalid("window shift " + shift + " (RFC 7323 allows 0 to 14)");
        }
        if ((options & ~3) != 0) {
            return Decoded.invalid("unknown option bits " + options);
        }
        if (ecn < -1 || (ecn > 0 && (ecn & ~(DirectionState.AE | DirectionState.CWR | DirectionState.ECE)) != 0)) {
            return Decoded.invalid("SYN ECN flags " + ecn);
        }
        for (long value : new long[] {ack, end, tsval}) {
            if (value < -1 || value > MAX_U32) {
                return Decoded.invalid("sequence or timestamp value out of range: " + value);
            }
        }
        if (window < -1 || window > 0xffff) {
            return Decoded.invalid("window " + window + " out of range");
        }
        return new Decoded<>(new DirectionState(isn, mss, shift, (options & 1) != 0, (options & 2) != 0, ack, end, tsval,
                window, 0, 0, 0, 0, ecn), null);
    }

    private static byte[] copy(ByteBuffer b) {
        byte[] out = new byte[b.position()];
        System.arraycopy(b.array(), 0, out, 0, out.length);
        return out;
    }
}
