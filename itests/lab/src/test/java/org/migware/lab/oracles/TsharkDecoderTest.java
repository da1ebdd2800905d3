package org.migware.lab.oracles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The aggregation over tshark's field output, with hand-written lines (no tshark needed). */
class TsharkDecoderTest {

    /** Builds one line in {@link TsharkDecoder#FIELDS} order. */
    private static String line(String src, int sport, String dst, int dport, String flags, long seq, long ack, int len,
                               String kinds, String mss, String ws, String sack, String tsval) {
        return String.join("\t", "1700000000.000100", src, "", Integer.toString(sport), dst, "", Integer.toString(dport),
                flags, Long.toString(seq), ack < 0 ? "" : Long.toString(ack), Integer.toString(len), kinds, mss, ws, sack,
                tsval, "");
    }

    @Test
    void handshakeOptionsAndByteCountsAcrossSequenceWrap() {
        long clientIsn = 4294967290L; // wraps after 5 bytes
        long serverIsn = 1000;
        List<String> lines = List.of(
                line("10.77.0.1", 40000, "10.77.0.2", 5000, "0x0002", clientIsn, -1, 0, "2,4,8,1,3", "1460", "7", "0402", "111"),
                line("10.77.0.2", 5000, "10.77.0.1", 40000, "0x0012", serverIsn, clientIsn + 1, 0, "2,4,8,1,3", "1460", "7", "0402", "222"),
                line("10.77.0.1", 40000, "10.77.0.2", 5000, "0x0010", 4294967291L, 1001, 0, "1,1,8", "", "", "", "112"),
                line("10.77.0.1", 40000, "10.77.0.2", 5000, "0x0018", 4294967291L, 1001, 64, "1,1,8", "", "", "", "113"),
                // a retransmission of the same bytes does not count twice
                line("10.77.0.1", 40000, "10.77.0.2", 5000, "0x0018", 4294967291L, 1001, 64, "1,1,8", "", "", "", "114"),
                line("10.77.0.2", 5000, "10.77.0.1", 40000, "0x0010", 1001, 59, 0, "1,1,8", "", "", "", "223"),
                line("10.77.0.1", 40000, "10.77.0.2", 5000, "0x0018", 59, 1001, 64, "1,1,8", "", "", "", "115"),
                line("10.77.0.1", 40000, "10.77.0.2", 5000, "0x0011", 123, 1001, 0, "1,1,8", "", "", "", "116"),
                line("10.77.0.2", 5000, "10.77.0.1", 40000, "0x0010", 1001, 124, 0, "1,1,8", "", "", "", "224"));
        List<TcpFlow> flows = TsharkDecoder.decodeLines(lines);
        assertEquals(1, flows.size());
        TcpFlow flow = flows.get(0);
        assertEquals(new FlowKey("10.77.0.1", 40000, "10.77.0.2", 5000), flow.key());
        assertTrue(flow.handshakeSeen());
        assertEquals(clientIsn, flow.client().isn());
        assertEquals(serverIsn, flow.server().isn());
        assertEquals(128, flow.client().payloadBytes());
        assertEquals(0, flow.server().payloadBytes());
        assertEquals(129, flow.server().ackedBytes()); // 128 bytes and the FIN
        assertEquals(124, flow.server().highestAck());
        SynOptions client = flow.client().synOptions();
        assertEquals(1460, client.mss().getAsInt());
        assertEquals(7, client.windowScale().getAsInt());
        assertTrue(client.sackPermitted());
        assertTrue(client.timestamps());
        assertEquals(111, client.tsval());
        assertEquals(List.of(2, 4, 8, 1, 3), client.kinds());
        assertEquals(116, flow.client().lastTsval());
        assertTrue(flow.client().finSeen());
        assertEquals(9, flow.packets());
    }

    @Test
    void flowWithoutCapturedHandshakeCountsFromItsFirstSegment() {
        List<TcpFlow> flows = TsharkDecoder.decodeLines(List.of(
                line("10.77.0.2", 5000, "10.77.0.1", 40001, "0x0010", 77, 500, 0, "", "", "", "", ""),
                line("10.77.0.1", 40001, "10.77.0.2", 5000, "0x0018", 500, 77, 100, "", "", "", "", ""),
                line("10.77.0.1", 40001, "10.77.0.2", 5000, "0x0018", 600, 77, 50, "", "", "", "", "")));
        TcpFlow flow = flows.get(0);
        assertEquals(new FlowKey("10.77.0.1", 40001, "10.77.0.2", 5000), flow.key()); // lower port = server
        assertFalse(flow.handshakeSeen());
        assertEquals(-1, flow.client().isn());
        assertEquals(150, flow.client().payloadBytes());
        assertEquals(SynOptions.NONE, flow.server().synOptions());
    }

    @Test
    void newSynOnAUsedFourTupleStartsANewFlow() {
        List<TcpFlow> flows = TsharkDecoder.decodeLines(List.of(
                line("10.77.0.1", 40002, "10.77.0.2", 5000, "0x0002", 10, -1, 0, "2", "1460", "", "", ""),
                line("10.77.0.1", 40002, "10.77.0.2", 5000, "0x0014", 11, 0, 0, "", "", "", "", ""),
                line("10.77.0.1", 40002, "10.77.0.2", 5000, "0x0002", 9000, -1, 0, "2", "1460", "", "", "")));
        assertEquals(2, flows.size());
        assertTrue(flows.get(0).client().resetSeen());
        assertEquals(9000, flows.get(1).client().isn());
    }

    @Test
    void sequenceComparisonWraps() {
        assertTrue(TsharkDecoder.seqAfter(5, 4294967290L));
        assertFalse(TsharkDecoder.seqAfter(4294967290L, 5));
        assertFalse(TsharkDecoder.seqAfter(7, 7));
    }
}
