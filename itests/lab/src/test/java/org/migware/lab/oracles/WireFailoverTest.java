package org.migware.lab.oracles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The per-connection failover figures computed from tshark's field lines of a synthetic capture. */
class WireFailoverTest {

    private static final String CLIENT = "10.77.0.1";
    private static final String SERVER = "10.77.0.2";
    private static final Instant PULL = Instant.ofEpochSecond(1_000, 0);
    /** {@code ip} returned 5 ms after the pull started. */
    private static final Instant DOWN = PULL.plusMillis(5);

    /** A frame the client sent, as tshark prints WireAnalysis.FIELDS (time relative to second 1,000). */
    private static String toServer(double t, int port, int flags, long seq, long ack, String payload) {
        String hex = HexFormat.of().formatHex(payload.getBytes(StandardCharsets.US_ASCII));
        return String.join("\t", String.format(java.util.Locale.ROOT, "%.6f", 1000 + t), CLIENT, Integer.toString(port), SERVER,
                "7000", String.format("0x%04x", flags), Long.toString(seq), Long.toString(ack), Integer.toString(payload.length()), hex);
    }

    /** A frame the server side sent, carrying {@code len} bytes. */
    private static String toClient(double t, int port, int flags, long seq, long ack, int len) {
        return String.join("\t", String.format(java.util.Locale.ROOT, "%.6f", 1000 + t), SERVER, "7000", CLIENT,
                Integer.toString(port), String.format("0x%04x", flags), Long.toString(seq), Long.toString(ack),
                Integer.toString(len), "");
    }

    /** SYN, SYN+ACK, ACK two seconds before the pull. */
    private static void handshake(List<String> lines, int port, long clientIsn, long serverIsn) {
        lines.add(toServer(-2.0, port, 0x002, clientIsn, 0, ""));
        lines.add(toClient(-1.9999, port, 0x012, serverIsn, clientIsn + 1, 0));
        lines.add(toServer(-1.9998, port, 0x010, clientIsn + 1, serverIsn + 1, ""));
    }

    @Test
    void fromThePullToTheReplicasFirstAckAndFirstNewAnswerPerConnection() {
        List<String> lines = new ArrayList<>();
        // connection 40000: handshake, a request answered by the primary before the pull
        handshake(lines, 40000, 1000, 5000);
        lines.add(toServer(-1.0, 40000, 0x018, 1001, 5001, "c1 r1 aaa\n"));
        lines.add(toClient(-0.9999, 40000, 0x018, 5001, 1011, 6)); // ACK and the answer: bytes 5001..5006
        lines.add(toServer(-0.9998, 40000, 0x010, 1011, 5007, ""));
        // a request just before the pull: the primary never acknowledges it
        lines.add(toServer(-0.05, 40000, 0x018, 1011, 5007, "c1 r2 bbb\n"));
        // while the pull is under way (before ip returned) the primary can still acknowledge and
        // answer: neither is the replica's
        lines.add(toServer(0.002, 40000, 0x018, 1021, 5007, "c1 r3 ccc\n"));
        lines.add(toClient(0.003, 40000, 0x010, 5007, 1031, 0));
        lines.add(toClient(0.004, 40000, 0x018, 5007, 1031, 6));
        // after the pull: an old answer byte again (not new)
        lines.add(toClient(0.220, 40000, 0x018, 5001, 1031, 6));
        // the first segment first sent after the link went down, its ACK, then the replica's new answer
        lines.add(toServer(0.300, 40000, 0x018, 1031, 5013, "c1 r4 ddd\n"));
        lines.add(toClient(0.310, 40000, 0x010, 5013, 1041, 0));
        lines.add(toClient(0.320, 40000, 0x018, 5013, 1041, 6));
        // connection 40001: sends after the pull, nothing comes back
        handshake(lines, 40001, 3000, 9000);
        lines.add(toServer(-1.0, 40001, 0x018, 3001, 9001, "c2 r1 aaa\n"));
        lines.add(toClient(-0.9999, 40001, 0x010, 9001, 3011, 0));
        lines.add(toServer(0.400, 40001, 0x018, 3011, 9001, "c2 r2 bbb\n"));

        List<WireFailover.Connection> c = WireFailover.of(lines, 7000, PULL, DOWN);

        assertEquals(2, c.size(), c.toString());
        WireFailover.Connection first = c.get(0);
        assertEquals(40000, first.clientPort());
        assertEquals(300.0, first.sentMillis(), 0.01, "the first segment first sent after the link went down");
        assertEquals(310.0, first.ackedMillis(), 0.01, "its ACK's capture time");
        assertEquals(320.0, first.answerMillis(), 0.01, "neither the primary's answer during the pull nor a byte the client held counts");
        assertTrue(first.complete());
        WireFailover.Connection second = c.get(1);
        assertEquals(40001, second.clientPort());
        assertTrue(Double.isNaN(second.ackedMillis()) && Double.isNaN(second.answerMillis()), second.toString());
        assertFalse(second.complete());
    }

    @Test
    void anAckBeforeThePullIsNotTheReplicas() {
        List<String> lines = new ArrayList<>();
        handshake(lines, 40000, 1000, 5000);
        lines.add(toServer(-0.5, 40000, 0x018, 1001, 5001, "c1 r1 aaa\n"));
        lines.add(toClient(-0.4, 40000, 0x018, 5001, 1011, 6));

        WireFailover.Connection only = WireFailover.of(lines, 7000, PULL, DOWN).get(0);

        assertTrue(Double.isNaN(only.ackedMillis()), only.toString());
        assertTrue(Double.isNaN(only.answerMillis()), only.toString());
    }
}
