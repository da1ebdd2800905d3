package org.migware.lab.oracles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Round trips on the wire from a synthetic capture: known timestamps in, known quantiles out. */
class WireRoundTripsTest {

    private static final String CLIENT = "10.77.0.1";
    private static final String SERVER = "10.77.0.2";
    private static final double EPS = 1e-6;
    private static final int PSH_ACK = 0x018;
    private static final int ACK = 0x010;

    /** A client segment as tshark prints WireAnalysis.FIELDS: time, src, sport, dst, dport, flags, seq, ack, len, payload. */
    private static String toServer(double t, int port, int flags, long seq, String payload) {
        String hex = HexFormat.of().formatHex(payload.getBytes(StandardCharsets.US_ASCII));
        return String.join("\t", Double.toString(t), CLIENT, Integer.toString(port), SERVER, "7000",
                String.format("0x%04x", flags), Long.toString(seq), "5001", Integer.toString(payload.length()), hex);
    }

    /** A segment from the service side: {@code len} > 0 is an answer, 0 a pure ACK. */
    private static String toClient(double t, int port, int flags, long ack, int len) {
        return String.join("\t", Double.toString(t), SERVER, "7000", CLIENT, Integer.toString(port), String.format("0x%04x", flags),
                "5001", Long.toString(ack), Integer.toString(len), "");
    }

    private static void handshake(List<String> lines, double t, int port) {
        lines.add(toServer(t, port, 0x002, 1000, ""));
        lines.add(toClient(t + 0.00001, port, 0x012, 1001, 0));
        lines.add(toServer(t + 0.00002, port, ACK, 1001, ""));
    }

    /** Ten requests of 10 bytes, the i-th answered (data + ACK in one segment) (i + 1) × 100 µs later; the 4th gets a pure ACK first. */
    private static List<String> tenRequests() {
        List<String> lines = new ArrayList<>();
        handshake(lines, 9.0, 40000);
        for (int i = 0; i < 10; i++) {
            double sent = 10.0 + i;
            long end = 1001 + 10L * (i + 1);
            lines.add(toServer(sent, 40000, PSH_ACK, end - 10, "c0 r" + i + " xxx\n"));
            if (i == 3) {
                lines.add(toClient(sent + 0.0004, 40000, ACK, end, 0)); // the kernel's ACK first
                lines.add(toClient(sent + 0.0020, 40000, PSH_ACK, end, 12)); // then the application's answer
            } else {
                lines.add(toClient(sent + (i + 1) * 0.0001, 40000, PSH_ACK, end, 12));
            }
        }
        return lines;
    }

    @Test
    void knownTimestampsGiveKnownNearestRankQuantiles() {
        WireRoundTrips rt = new WireRoundTrips().add(WireAnalysis.fromLines(tenRequests(), 7000), 0, 100);

        LatencyStats ack = rt.pshToAck();
        assertEquals(10, ack.count());
        assertEquals(0.5, ack.median(), EPS, "the 5th of 0.1 .. 1.0 ms");
        assertEquals(0.9, ack.p90(), EPS);
        assertEquals(1.0, ack.p99(), EPS);
        assertEquals(1.0, ack.max(), EPS);

        // the 4th request's answer came 2.0 ms after it, its ACK 0.4 ms: only the answer's figures change
        LatencyStats answer = rt.pshToAnswer();
        assertEquals(10, answer.count());
        assertEquals(0.6, answer.median(), EPS, "0.1 0.2 0.3 0.5 [0.6] 0.7 0.8 0.9 1.0 2.0");
        assertEquals(1.0, answer.p90(), EPS);
        assertEquals(2.0, answer.p99(), EPS);
        assertEquals(1, rt.answerAfterAck());
        assertEquals(0, rt.excluded());
        assertEquals(0, rt.unacknowledged());
    }

    @Test
    void theWindowSelectsBySendTimeAndRoundsAddUp() {
        WireAnalysis wire = WireAnalysis.fromLines(tenRequests(), 7000);
        WireRoundTrips before = new WireRoundTrips().add(wire, 10.0, 15.0); // requests 0..4
        WireRoundTrips after = new WireRoundTrips().add(wire, 15.0, Double.POSITIVE_INFINITY); // 5..9

        assertEquals(5, before.pshToAck().count());
        assertEquals(0.5, before.pshToAck().max(), EPS);
        assertEquals(0.6, after.pshToAck().min(), EPS);
        assertEquals(0.8, after.pshToAck().median(), EPS);

        WireRoundTrips pooled = new WireRoundTrips().addAll(before).addAll(after);
        assertEquals(10, pooled.pshToAck().count());
        assertEquals(0.5, pooled.pshToAck().median(), EPS);
        assertEquals(1, pooled.answerAfterAck());
    }

    @Test
    void oneAckCoveringSeveralSegmentsTimesEachFromItsOwnSend() {
        List<String> lines = new ArrayList<>();
        handshake(lines, 19.0, 40001);
        lines.add(toServer(20.000, 40001, PSH_ACK, 1001, "c1 r1 aaa\n"));
        lines.add(toServer(20.001, 40001, PSH_ACK, 1011, "c1 r2 bbb\n"));
        lines.add(toClient(20.005, 40001, ACK, 1021, 0)); // covers both
        lines.add(toClient(20.006, 40001, PSH_ACK, 1021, 24)); // both answers in one segment

        WireRoundTrips rt = new WireRoundTrips().add(WireAnalysis.fromLines(lines, 7000), 0, 100);

        assertEquals(2, rt.pshToAck().count());
        assertEquals(4.0, rt.pshToAck().min(), EPS);
        assertEquals(5.0, rt.pshToAck().max(), EPS);
        assertEquals(5.0, rt.pshToAnswer().min(), EPS);
        assertEquals(6.0, rt.pshToAnswer().max(), EPS);
        assertEquals(2, rt.answerAfterAck());
    }

    @Test
    void aRetransmittedSegmentAndOneQueuedBehindItGiveNoSample() {
        List<String> lines = new ArrayList<>();
        handshake(lines, 29.0, 40002);
        lines.add(toServer(30.000, 40002, PSH_ACK, 1001, "c2 r1 aaa\n")); // lost
        lines.add(toServer(30.100, 40002, PSH_ACK, 1011, "c2 r2 bbb\n")); // behind it
        lines.add(toClient(30.1001, 40002, ACK, 1001, 0)); // a duplicate ACK: covers neither
        lines.add(toServer(30.200, 40002, PSH_ACK, 1001, "c2 r1 aaa\n")); // sent again
        lines.add(toClient(30.201, 40002, PSH_ACK, 1021, 24)); // covers both: 201 ms and 101 ms, neither the path's
        lines.add(toServer(30.300, 40002, PSH_ACK, 1021, "c2 r3 ccc\n")); // clean again
        lines.add(toClient(30.3002, 40002, PSH_ACK, 1031, 12));
        lines.add(toServer(30.400, 40002, PSH_ACK, 1031, "c2 r4 ddd\n")); // never acknowledged

        WireAnalysis wire = WireAnalysis.fromLines(lines, 7000);
        List<WireAnalysis.Segment> s = wire.segments();
        assertTrue(s.get(0).retransmitted());
        assertFalse(s.get(1).retransmitted());
        assertTrue(s.get(1).queuedBehindRetransmission());
        assertTrue(s.get(2).clean());

        WireRoundTrips rt = new WireRoundTrips().add(wire, 0, 100);
        assertEquals(1, rt.pshToAck().count(), "only the clean, acknowledged segment");
        assertEquals(0.2, rt.pshToAck().max(), EPS);
        assertEquals(2, rt.excluded());
        assertEquals(1, rt.unacknowledged());
    }

    @Test
    void aSegmentSentAfterTheLostOneWasAcknowledgedIsClean() {
        List<String> lines = new ArrayList<>();
        handshake(lines, 39.0, 40003);
        lines.add(toServer(40.000, 40003, PSH_ACK, 1001, "c3 r1 aaa\n"));
        lines.add(toServer(40.200, 40003, PSH_ACK, 1001, "c3 r1 aaa\n"));
        lines.add(toClient(40.2003, 40003, PSH_ACK, 1011, 12));
        lines.add(toServer(40.500, 40003, PSH_ACK, 1011, "c3 r2 bbb\n"));
        lines.add(toClient(40.5001, 40003, PSH_ACK, 1021, 12));

        WireRoundTrips rt = new WireRoundTrips().add(WireAnalysis.fromLines(lines, 7000), 0, 100);

        assertEquals(1, rt.excluded());
        assertEquals(1, rt.pshToAck().count());
        assertEquals(0.1, rt.pshToAck().median(), EPS);
    }
}
