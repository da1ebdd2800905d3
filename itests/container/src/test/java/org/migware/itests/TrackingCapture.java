package org.migware.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;

import org.migware.api.connection.ConnectionKey;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.ConnectionTable;
import org.migware.api.connection.DirectionState;
import org.migware.api.connection.TcpState;

/**
 * The real capture in {@code src/test/resources/captures} (made by
 * {@code make-tracking-capture.sh}: Linux clients and server in network namespaces, captured
 * behind a flooding bridge) and what is known about it. Every expected value below was read
 * from tshark's decode of the same files ({@code tshark -r … -o tcp.relative_sequence_numbers:FALSE}),
 * not from MigWare's parser.
 */
final class TrackingCapture {

    static final String SERVER = "10.77.0.2";
    static final int PORT = 7000;
    static final String CLIENT_MAC = "f2:31:55:06:0a:c3";
    static final String SERVER_MAC = "6e:b8:f4:52:dc:73";
    /** Linux 6.x SYN options on both sides of every captured handshake. */
    static final int MSS = 1460;
    static final int WINDOW_SCALE = 10;

    static final int A = 41001;
    static final int B = 41002;
    static final int C = 41003;
    static final int D = 41004;

    static final int PART1_PACKETS = 22;
    static final int PART2_PACKETS = 15;

    private TrackingCapture() {
    }

    static Path part(int number) {
        Path file = Path.of("src", "test", "resources", "captures", "tracking-part" + number + ".pcap").toAbsolutePath();
        assertTrue("missing capture " + file, Files.isRegularFile(file));
        return file;
    }

    static ConnectionKey key(int clientPort) {
        try {
            return new ConnectionKey(InetAddress.getByName("10.77.0.1"), clientPort, InetAddress.getByName(SERVER), PORT);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    static ConnectionSnapshot connection(ConnectionTable table, int clientPort) {
        return table.find(key(clientPort)).orElseThrow(() -> new AssertionError("connection " + key(clientPort)
                + " is not in the table; table: " + table.connections()));
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
    }

    /** The table after tracking-part1.pcap, field by field. */
    static void assertPart1(ConnectionTable table) {
        assertEquals(4, table.size());

        ConnectionSnapshot a = connection(table, A);
        assertEquals(TcpState.ESTABLISHED, a.state());
        assertTrue(a.handshakeSeen());
        assertEquals(CLIENT_MAC, a.client().mac());
        assertEquals(SERVER_MAC, a.server().mac());
        assertSide(a.clientToServer(), 2313735184L, true, 3174810137L, 2313735195L, 1704988458L, 63, 10, 4);
        assertSide(a.serverToClient(), 3174810133L, true, 2313735195L, 3174810137L, 176654843L, 64, 3, 3);
        assertTrue(a.sackNegotiated() && a.timestampsNegotiated() && a.windowScalingNegotiated());

        ConnectionSnapshot b = connection(table, B);
        assertEquals(TcpState.ESTABLISHED, b.state());
        assertSide(b.clientToServer(), 3326127694L, true, 3084089377L, 3326127795L, 2062211116L, 63, 100, 3);
        assertSide(b.serverToClient(), 3084089376L, true, 3326127795L, 3084089377L, 1487091125L, 64, 0, 2);

        ConnectionSnapshot c = connection(table, C);
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertSide(c.clientToServer(), 3073898256L, true, 3694828218L, 3073898267L, 867210063L, 63, 10, 4);
        assertSide(c.serverToClient(), 3694828214L, true, 3073898267L, 3694828218L, 328341866L, 64, 3, 3);

        // 41004 was opened before the capture began: tracked, but known to lack its handshake.
        ConnectionSnapshot d = connection(table, D);
        assertEquals(TcpState.ESTABLISHED, d.state());
        assertFalse(d.handshakeSeen());
        assertSide(d.clientToServer(), DirectionState.UNKNOWN, false, 2207150774L, 154884132L, 3951137821L, 63, 10, 2);
        assertSide(d.serverToClient(), DirectionState.UNKNOWN, false, 154884132L, 2207150774L, 89498699L, 64, 3, 1);
    }

    /** The table after tracking-part2.pcap followed part 1. */
    static void assertPart2(ConnectionTable table) {
        assertEquals(4, table.size());

        ConnectionSnapshot a = connection(table, A);
        assertEquals(TcpState.CLOSED, a.state());
        // the FIN counts one in sequence space, not as a byte
        assertEquals(29, a.clientToServer().bytes());
        assertEquals(2313735215L, a.clientToServer().highestSequenceEnd());
        assertEquals(6, a.serverToClient().bytes());
        assertEquals(3174810141L, a.serverToClient().highestSequenceEnd());
        assertEquals(3174810141L, a.clientToServer().highestAck());

        ConnectionSnapshot b = connection(table, B);
        assertEquals(TcpState.RESET, b.state());
        assertEquals(150, b.clientToServer().bytes());

        ConnectionSnapshot c = connection(table, C);
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertEquals(20, c.clientToServer().bytes());
        assertEquals(6, c.serverToClient().bytes());
        assertEquals(867213588L, c.clientToServer().lastTimestampValue());

        ConnectionSnapshot d = connection(table, D);
        assertEquals(TcpState.ESTABLISHED, d.state());
        assertEquals(20, d.clientToServer().bytes());
        assertEquals(6, d.serverToClient().bytes());
    }

    private static void assertSide(DirectionState side, long isn, boolean synOptions, long highestAck, long highestEnd,
            long lastTsVal, int lastWindow, long bytes, long packets) {
        assertEquals("ISN", isn, side.initialSequence());
        assertEquals("MSS", synOptions ? MSS : -1, side.mss());
        assertEquals("window scale", synOptions ? WINDOW_SCALE : -1, side.windowScale());
        assertEquals("SACK permitted", synOptions, side.sackPermitted());
        assertEquals("timestamps", synOptions, side.timestamps());
        assertEquals("highest ACK", highestAck, side.highestAck());
        assertEquals("highest seq+len", highestEnd, side.highestSequenceEnd());
        assertEquals("last TSval", lastTsVal, side.lastTimestampValue());
        assertEquals("last window", lastWindow, side.lastWindow());
        assertEquals("bytes", bytes, side.bytes());
        assertEquals("packets", packets, side.packets());
    }
}
