package org.migware.lab.oracles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WireAnalysisTest {

    private static final String CLIENT = "10.77.0.1";
    private static final String SERVER = "10.77.0.2";

    /** One line as tshark prints the FIELDS: time, src, sport, dst, dport, flags, seq, ack, len, payload. */
    private static String toServer(double t, int port, int flags, long seq, long ack, String payload) {
        String hex = HexFormat.of().formatHex(payload.getBytes(StandardCharsets.US_ASCII));
        return String.join("\t", Double.toString(t), CLIENT, Integer.toString(port), SERVER, "7000",
                String.format("0x%04x", flags), Long.toString(seq), Long.toString(ack), Integer.toString(payload.length()), hex);
    }

    private static String toClient(double t, int port, int flags, long seq, long ack) {
        return String.join("\t", Double.toString(t), SERVER, "7000", CLIENT, Integer.toString(port), String.format("0x%04x", flags),
                Long.toString(seq), Long.toString(ack), "0", "");
    }

    @Test
    void pshToAckPerSegmentRetransmissionsGiveNoSampleRecordsAreFound() {
        List<String> lines = new ArrayList<>();
        lines.add(toServer(1.000, 40000, 0x002, 1000, 0, ""));
        lines.add(toClient(1.0001, 40000, 0x012, 5000, 1001));
        lines.add(toServer(1.0002, 40000, 0x010, 1001, 5001, ""));
        lines.add(toServer(2.000, 40000, 0x018, 1001, 5001, "c7 r1 abc\n"));
        lines.add(toClient(2.040, 40000, 0x010, 5001, 1011));
        lines.add(toServer(2.500, 40000, 0x018, 1011, 5001, "c7 r2 abd\n"));
        lines.add(toServer(2.700, 40000, 0x018, 1011, 5001, "c7 r2 abd\n")); // sent again: its ACK cannot be matched
        lines.add(toClient(2.710, 40000, 0x010, 5001, 1021));
        lines.add(toServer(3.000, 40000, 0x018, 1021, 5001, "c7 r3 abe\nc7 r4 abf\n"));
        lines.add(toClient(3.001, 40000, 0x014, 5001, 1021)); // a reset, covering nothing

        WireAnalysis w = WireAnalysis.fromLines(lines, 7000);

        List<WireAnalysis.Segment> s = w.segments();
        assertEquals(3, s.size(), s.toString());
        assertEquals(40.0, s.get(0).latencyMillis(), 1e-6);
        assertTrue(s.get(1).retransmitted());
        assertTrue(Double.isNaN(s.get(1).latencyMillis()));
        assertTrue(Double.isNaN(s.get(2).ackEpochSeconds()), "never acknowledged");
        assertEquals(2, s.get(2).records().size());
        assertEquals(Map.of(40000, 3.001), w.resetsToClient());
        Map<String, WireAnalysis.RecordSend> records = w.records();
        assertEquals(List.of("7/1", "7/2", "7/3", "7/4"), List.copyOf(records.keySet()));
        assertEquals(2.5, records.get("7/2").sentEpochSeconds(), 1e-9, "a record's first transmission");
    }

    @Test
    void sequenceNumbersWrapAroundWithinAFlowAndFlowsStaySeparate() {
        List<String> lines = new ArrayList<>();
        long isn = 4294967290L;
        lines.add(toServer(1.0, 40001, 0x002, isn, 0, ""));
        lines.add(toServer(1.5, 40002, 0x002, 77, 0, ""));
        lines.add(toServer(2.0, 40001, 0x018, isn + 1, 1, "c1 r1 xyzab\n")); // bytes 4294967291 .. 6 (wrapped)
        lines.add(toServer(2.1, 40002, 0x018, 78, 1, "c2 r1 xyzab\n"));
        lines.add(toClient(2.2, 40002, 0x010, 1, 90));
        lines.add(toClient(2.3, 40001, 0x010, 1, (isn + 1 + 12) & 0xffff_ffffL));

        WireAnalysis w = WireAnalysis.fromLines(lines, 7000);

        assertEquals(2, w.segments().size());
        for (WireAnalysis.Segment s : w.segments()) {
            double expected = s.clientPort() == 40001 ? 300 : 100;
            assertEquals(expected, s.latencyMillis(), 1e-6, s.toString());
            assertFalse(s.retransmitted());
        }
    }

    @Test
    void onlyCompleteRecordHeadersCount() {
        String torn = HexFormat.of().formatHex("bc\nc12 r345 pad\nc9 r".getBytes(StandardCharsets.US_ASCII));
        List<long[]> found = WireAnalysis.parseRecords(torn);
        assertEquals(1, found.size(), "the tail before the first newline and the header cut by the end are not records");
        assertEquals(12, found.get(0)[0]);
        assertEquals(345, found.get(0)[1]);
        assertEquals(1, WireAnalysis.parseRecords("63:31:20:72:32:0a").size(), "older tsharks print colons");
    }
}
