package org.migware.proxy.internal.keeper;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.migware.api.connection.ServiceEndpoints;
import org.migware.parser.internal.PacketParserComponent;
import org.migware.testing.TcpFrame;
import org.migware.proxy.internal.wire.Ipv4TcpWriter;
import org.migware.api.wire.TcpHeader;

/** What the keeper hands over at failover, for each framing, from frames as they pass on the wire. */
public class ClientStreamKeeperTest {

    private static final int ISN = 999;
    static final ServiceEndpoints SERVICE =
            ServiceEndpoints.parse(new String[] {"10.77.0.2"}, new int[] {TcpFrame.SERVICE_PORT});

    public static ClientStreamKeeper keeper(RecordFraming framing, int maxBytes) {
        return new ClientStreamKeeper(framing, maxBytes, 1000,
                () -> SERVICE,
                new PacketParserComponent().newView());
    }

    /** A segment of the client's connection from the client, with the ACK flag as every one after its SYN. */
    public static TcpFrame client(int seq, int ack) {
        return TcpFrame.fromClient(TcpFrame.CLIENT_PORT).seq(seq).ack(ack);
    }

    /** A segment of the client's connection from the primary, with the ACK flag. */
    public static TcpFrame primary(int seq, int ack) {
        return TcpFrame.fromServer(TcpFrame.CLIENT_PORT).seq(seq).ack(ack);
    }

    public static void see(ClientStreamKeeper keeper, TcpFrame segment) {
        byte[] frame = segment.build();
        keeper.observe(frame, 0, frame.length);
    }

    public static void handshake(ClientStreamKeeper keeper) {
        see(keeper, TcpFrame.fromClient(TcpFrame.CLIENT_PORT).seq(ISN).flags(TcpHeader.SYN));
        see(keeper, primary(5000, ISN + 1).flags(TcpHeader.SYN | TcpHeader.ACK));
    }

    public static ClientStreamKeeper.Retained retained(ClientStreamKeeper keeper, int resume) {
        return keeper.retained(TcpFrame.CLIENT_IP, TcpFrame.CLIENT_PORT, TcpFrame.SERVER_IP, TcpFrame.SERVICE_PORT, resume);
    }

    /**
     * One client port used toward two service addresses at once is two connections: each keeps its
     * own bytes, and neither hands over the other's (issue 10, point 6).
     */
    @Test
    void oneClientPortToTwoServiceAddressesKeepsTwoStreams() {
        int second = 0x0a4d_0003; // 10.77.0.3
        ClientStreamKeeper keeper = new ClientStreamKeeper(RecordFraming.NONE, 1 << 20, 1000,
                () -> ServiceEndpoints.parse(new String[] {"10.77.0.2", "10.77.0.3"}, new int[] {TcpFrame.SERVICE_PORT}),
                new PacketParserComponent().newView());
        handshake(keeper);
        see(keeper, TcpFrame.fromClient(TcpFrame.CLIENT_PORT).to(second, TcpFrame.SERVICE_PORT).seq(ISN).flags(TcpHeader.SYN));
        see(keeper, TcpFrame.fromServer(TcpFrame.CLIENT_PORT).from(second, TcpFrame.SERVICE_PORT).seq(7000).ack(ISN + 1)
                .flags(TcpHeader.SYN | TcpHeader.ACK));
        see(keeper, client(1000, 5001).payload("to-the-first\n".getBytes(StandardCharsets.US_ASCII)));
        see(keeper, TcpFrame.fromClient(TcpFrame.CLIENT_PORT).to(second, TcpFrame.SERVICE_PORT).seq(1000).ack(7001)
                .payload("SECOND\n".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("to-the-first\n", text(retained(keeper, 1000).bytes()));
        assertEquals("SECOND\n", text(keeper.retained(TcpFrame.CLIENT_IP, TcpFrame.CLIENT_PORT, second, TcpFrame.SERVICE_PORT, 1000).bytes()));
    }

    /**
     * Forged closes for a kept connection (issue 10, point 3): RSTs and FINs in the window but not
     * where the receiving stack would take them change nothing, neither the kept bytes nor the
     * stream kept for replay; the real close, at the next byte, ends both.
     */
    @Test
    void onlyACloseTheStackWouldTakeEndsAKeptStream() {
        org.migware.proxy.internal.replay.ChunkPool pool = new org.migware.proxy.internal.replay.ChunkPool(4096, 1 << 20);
        ReplayKeeper replay = new ReplayKeeper(org.migware.proxy.internal.replay.DeliveryPolicy.parse("replay", java.util.Map.of()),
                pool, 1 << 16, 1000);
        ClientStreamKeeper keeper = new ClientStreamKeeper(RecordFraming.NONE, 1 << 20, 1000, () -> SERVICE,
                new PacketParserComponent().newView(), replay);
        handshake(keeper);
        see(keeper, client(1000, 5001).payload("request\n".getBytes(StandardCharsets.US_ASCII)));
        // the primary's data, its acknowledgement still short of the request (which stays kept)
        see(keeper, primary(5001, 1000).payload("answer".getBytes(StandardCharsets.US_ASCII)));
        see(keeper, client(1008 + 500, 5007).flags(TcpHeader.RST));
        see(keeper, client(1008 + 3, 5007).flags(TcpHeader.FIN | TcpHeader.ACK));
        see(keeper, primary(5007 + 100, 1000).flags(TcpHeader.RST));
        see(keeper, primary(5007 - 3, 1000).flags(TcpHeader.RST));
        assertEquals("request\n", text(retained(keeper, 1000).bytes()), "forged closes leave the kept bytes");
        assertEquals(1, keeper.keptForReplay().size());
        assertNull(keeper.keptForReplay().get(0).reason(), "and the stream replayable");

        see(keeper, primary(5007, 1000).flags(TcpHeader.RST));
        assertEquals(0, retained(keeper, 1000).bytes().length, "the server's reset at the client's next byte ends it");
        assertEquals(0, keeper.keptForReplay().size());
    }

    @Test
    void aClientCloseAtItsNextByteEndsAKeptStream() {
        ClientStreamKeeper keeper = keeper(RecordFraming.NONE, 1 << 20);
        handshake(keeper);
        see(keeper, client(1000, 5001).payload("request\n".getBytes(StandardCharsets.US_ASCII)));
        see(keeper, client(1008, 5001).flags(TcpHeader.FIN | TcpHeader.ACK));
        assertEquals(0, retained(keeper, 1000).bytes().length);
    }

    /**
     * A spoofed SYN flood on a full keeper (issue 10, floods and bounds): the SYNs nobody follows
     * up make room for each other and for a real connection opened after the flood, and never
     * for an established one. Before, the flood filled the table for good: every later
     * connection's bytes went unkept ("connections not kept") until a restart.
     */
    @Test
    void spoofedSynsNeverFollowedUpMakeRoomForLaterConnectionsButEstablishedOnesStay() {
        int bound = 10;
        ClientStreamKeeper keeper = new ClientStreamKeeper(RecordFraming.NEWLINE, 1 << 20, bound, () -> SERVICE,
                new PacketParserComponent().newView());
        for (int port = 40_000; port < 40_005; port++) {
            see(keeper, TcpFrame.fromClient(port).seq(ISN).flags(TcpHeader.SYN));
            see(keeper, TcpFrame.fromServer(port).seq(5000).ack(ISN + 1).flags(TcpHeader.SYN | TcpHeader.ACK));
            see(keeper, TcpFrame.fromClient(port).seq(ISN + 1).ack(5001).payload(("established " + port + "\n")
                    .getBytes(StandardCharsets.US_ASCII)));
        }
        for (int i = 0; i < 1000; i++) {
            int spoofed = 0xc612_0000 + i; // 198.18.x.y
            see(keeper, TcpFrame.fromClient(1024 + i).from(spoofed, 1024 + i).seq(i * 7919).flags(TcpHeader.SYN));
        }
        assertEquals(bound, keeper.connections(), "the bound holds");
        see(keeper, TcpFrame.fromClient(50_000).seq(ISN).flags(TcpHeader.SYN));
        see(keeper, TcpFrame.fromClient(50_000).seq(ISN + 1).ack(5001).payload("after the flood\n".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("after the flood\n", text(keeper.retained(TcpFrame.CLIENT_IP, 50_000, TcpFrame.SERVER_IP, TcpFrame.SERVICE_PORT,
                ISN + 1).bytes()), "a connection opened after the flood is kept");
        for (int port = 40_000; port < 40_005; port++) {
            assertEquals("established " + port + "\n", text(keeper.retained(TcpFrame.CLIENT_IP, port, TcpFrame.SERVER_IP,
                    TcpFrame.SERVICE_PORT, ISN + 1).bytes()), "an established connection is never evicted");
        }
        assertEquals(0, keeper.connectionsNotKept());
        assertEquals(1000 + 1 - (bound - 5), keeper.halfOpenEvicted());
        assertEquals(bound, keeper.connections());
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    @Test
    void newlineFramingHandsOverTheWholeRecordInProgressAndWhatFollows() {
        ClientStreamKeeper keeper = keeper(RecordFraming.NEWLINE, 1 << 20);
        handshake(keeper);
        see(keeper, client(1000, 5001).payload("c1 r1 aaa\n"));
        see(keeper, primary(5001, 1010));
        see(keeper, client(1010, 5001).payload("c1 r2 bb"));
        see(keeper, primary(5001, 1018)); // the primary acknowledged half a record, then died
        see(keeper, client(1018, 5001).payload("b\nc1 r3"));

        ClientStreamKeeper.Retained r = retained(keeper, 1018);
        assertEquals(1010, r.firstSeq(), "from the start of record 2");
        assertEquals("c1 r2 bbb\nc1 r3", text(r.bytes()));
        assertNull(r.headProblem());
    }

    @Test
    void withoutFramingTheHandOverStartsAtTheResumePoint() {
        ClientStreamKeeper keeper = keeper(RecordFraming.NONE, 1 << 20);
        handshake(keeper);
        see(keeper, client(1000, 5001).payload("0123456789"));
        see(keeper, primary(5001, 1004));
        see(keeper, client(1010, 5001).payload("abc"));

        ClientStreamKeeper.Retained r = retained(keeper, 1004);
        assertEquals(1004, r.firstSeq());
        assertEquals("456789abc", text(r.bytes()), "the unacknowledged flight, for the replica to acknowledge at once");
        assertNull(r.headProblem());
    }

    @Test
    void retransmissionsAndOverlapsAreKeptOnce() {
        ClientStreamKeeper keeper = keeper(RecordFraming.NEWLINE, 1 << 20);
        handshake(keeper);
        see(keeper, client(1000, 5001).payload("abcd"));
        see(keeper, client(1000, 5001).payload("abcd"));
        see(keeper, client(1002, 5001).payload("cdef\n"));
        assertEquals("abcdef\n", text(retained(keeper, 1000).bytes()));
    }

    @Test
    void lengthPrefixedRecordsAreFollowedAcrossSegmentsThatSplitTheirPrefix() {
        ClientStreamKeeper keeper = keeper(RecordFraming.LENGTH_PREFIXED_2, 1 << 20);
        handshake(keeper);
        // [0,3]"abc" [0,5]"hello" [0,0] [0,2]"xy": split inside the second prefix and inside a body
        byte[] stream = {0, 3, 'a', 'b', 'c', 0, 5, 'h', 'e', 'l', 'l', 'o', 0, 0, 0, 2, 'x', 'y'};
        see(keeper, client(1000, 5001).payload(java.util.Arrays.copyOfRange(stream, 0, 6)));
        see(keeper, client(1006, 5001).payload(java.util.Arrays.copyOfRange(stream, 6, 9)));
        see(keeper, primary(5001, 1009)); // inside "hello"
        see(keeper, client(1009, 5001).payload(java.util.Arrays.copyOfRange(stream, 9, 18)));

        ClientStreamKeeper.Retained inHello = retained(keeper, 1009);
        assertEquals(1005, inHello.firstSeq(), "the record starts at its prefix");
        assertArrayEquals(java.util.Arrays.copyOfRange(stream, 5, 18), inHello.bytes());

        see(keeper, primary(5001, 1015)); // inside the prefix of "xy"
        ClientStreamKeeper.Retained inPrefix = retained(keeper, 1015);
        assertEquals(1014, inPrefix.firstSeq(), "the empty record ended at 1014");
        assertArrayEquals(java.util.Arrays.copyOfRange(stream, 14, 18), inPrefix.bytes());
    }

    @Test
    void bytesMissedByTheCaptureLoseALengthPrefixedStreamForGoodAndSaySo() {
        ClientStreamKeeper keeper = keeper(RecordFraming.LENGTH_PREFIXED_4, 1 << 20);
        handshake(keeper);
        see(keeper, client(1000, 5001).payload(new byte[] {0, 0, 0, 2, 'a', 'b'}));
        // 1006..1010 never captured
        see(keeper, client(1010, 5001).payload(new byte[] {0, 0, 0, 1, 'z'}));
        see(keeper, primary(5001, 1012));
        ClientStreamKeeper.Retained r = retained(keeper, 1012);
        assertNotNull(r.headProblem());
        assertEquals(1012, r.firstSeq(), "without a known record start, resume at the acknowledgement");
        assertEquals(1, keeper.gaps());
    }

    @Test
    void aNewlineStreamResynchronisesAtTheNextNewlineAfterAGap() {
        ClientStreamKeeper keeper = keeper(RecordFraming.NEWLINE, 1 << 20);
        handshake(keeper);
        see(keeper, client(1000, 5001).payload("r1\n"));
        see(keeper, client(1010, 5001).payload("tail\nr3 "));
        see(keeper, primary(5001, 1016));
        ClientStreamKeeper.Retained r = retained(keeper, 1016);
        assertNull(r.headProblem());
        assertEquals(1015, r.firstSeq());
        assertEquals("r3 ", text(r.bytes()));
    }

    @Test
    void aFlightLargerThanTheLimitIsNotKeptButTheKeeperCarriesOnAfterIt() {
        ClientStreamKeeper keeper = keeper(RecordFraming.NONE, 8);
        handshake(keeper);
        see(keeper, client(1000, 5001).payload("01234567"));
        see(keeper, client(1008, 5001).payload("89")); // over the limit: not kept
        assertEquals("01234567", text(retained(keeper, 1000).bytes()), "what fits is still contiguous and usable");
        assertEquals(1, keeper.overflows());
        see(keeper, primary(5001, 1010));
        see(keeper, client(1010, 5001).payload("ab"));
        ClientStreamKeeper.Retained r = retained(keeper, 1010);
        assertEquals(1010, r.firstSeq());
        assertEquals("ab", text(r.bytes()));
    }

    @Test
    void aResetOrFinForgetsTheConnection() {
        ClientStreamKeeper keeper = keeper(RecordFraming.NONE, 1 << 20);
        handshake(keeper);
        see(keeper, client(1000, 5001).payload("abc"));
        assertEquals(1, keeper.connections());
        see(keeper, client(1003, 5001).flags(TcpHeader.FIN | TcpHeader.ACK));
        assertEquals(0, keeper.connections());
        assertEquals(0, retained(keeper, 1003).bytes().length);
    }

    // ---- whether the server was held back by the client's window (a download in progress) ----

    /** A download to a slow reader: MSS 1000, window scale 2 on both SYNs, the request, then the primary fills each window offered. */
    private static ClientStreamKeeper download() {
        ClientStreamKeeper keeper = keeper(RecordFraming.NONE, 1 << 20);
        see(keeper, TcpFrame.fromClient(TcpFrame.CLIENT_PORT).seq(ISN).flags(TcpHeader.SYN).synOptions(1000, 2, false));
        see(keeper, primary(5000, ISN + 1).flags(TcpHeader.SYN | TcpHeader.ACK).synOptions(1460, 7, false));
        see(keeper, client(1000, 5001).payload("GET /big\n").window(2000)); // offers 8,000 bytes: up to 13001
        return keeper;
    }

    private static boolean heldByWindow(ClientStreamKeeper keeper) {
        return keeper.serverHeldByWindow(TcpFrame.CLIENT_IP, TcpFrame.CLIENT_PORT, TcpFrame.SERVER_IP, TcpFrame.SERVICE_PORT);
    }

    @Test
    void aServerThatFilledTheClientsScaledWindowWasHeldBackEvenAfterTheClientAcknowledgedAllAndOpenedIt() {
        ClientStreamKeeper keeper = download();
        for (int at = 5001; at < 13001; at += 1000) {
            see(keeper, primary(at, 1009).payload(new byte[1000]));
        }
        assertTrue(heldByWindow(keeper), "the primary stopped at the window's edge");
        // the client reads, acknowledges everything and opens its window: on the wire this looks
        // like a finished response, but the primary was only waiting for the window
        see(keeper, client(1009, 13001).window(2000));
        assertTrue(heldByWindow(keeper));
    }

    /**
     * A download caught just after the client opened its window wide, while the server's next
     * flight (its send buffer, not the window, the limit) stopped short of the new edge: on the
     * wire, a response that ended. It was held by the window before and still is: ReplayLabTest's
     * resume run left one of four downloads waiting forever on this.
     */
    @Test
    void aServerOnceHeldByTheWindowStaysHeldUntilTheClientsNextRequest() {
        ClientStreamKeeper keeper = download();
        for (int at = 5001; at < 13001; at += 1000) {
            see(keeper, primary(at, 1009).payload(new byte[1000]));
        }
        see(keeper, client(1009, 13001).window(20000)); // reads, opens up to 173001
        see(keeper, primary(13001, 1009).payload(new byte[1000])); // far short of the new edge
        see(keeper, client(1009, 14001).window(20000));
        assertTrue(heldByWindow(keeper), "the download goes on although its latest flight stopped short of the window");
        see(keeper, client(1009, 14001).payload("GET /next\n").window(20000));
        assertFalse(heldByWindow(keeper), "the client's next request ends the server's turn");
    }

    @Test
    void aResponseThatEndedInsideTheWindowWasNotHeldBack() {
        ClientStreamKeeper keeper = download();
        see(keeper, primary(5001, 1009).payload(new byte[1000]));
        see(keeper, primary(6001, 1009).payload(new byte[500])); // 5,500 bytes short of the edge
        see(keeper, client(1009, 6501).window(2000));
        assertFalse(heldByWindow(keeper));
    }

    @Test
    void theClientsNextRequestEndsTheServersTurn() {
        ClientStreamKeeper keeper = download();
        for (int at = 5001; at < 13001; at += 1000) {
            see(keeper, primary(at, 1009).payload(new byte[1000]));
        }
        see(keeper, client(1009, 13001).payload("GET /next\n").window(2000));
        assertFalse(heldByWindow(keeper), "a new request: the replica answers it, resume is right");
    }

    @Test
    void withoutTheWindowScaleOnBothSynsTheWindowIsTakenUnscaled() {
        ClientStreamKeeper keeper = keeper(RecordFraming.NONE, 1 << 20);
        see(keeper, TcpFrame.fromClient(TcpFrame.CLIENT_PORT).seq(ISN).flags(TcpHeader.SYN).synOptions(1000, 2, false));
        see(keeper, primary(5000, ISN + 1).flags(TcpHeader.SYN | TcpHeader.ACK).synOptions(1460, -1, false));
        see(keeper, client(1000, 5001).payload("GET /big\n").window(8000)); // unscaled: up to 13001
        for (int at = 5001; at < 10001; at += 1000) {
            see(keeper, primary(at, 1009).payload(new byte[1000]));
        }
        assertFalse(heldByWindow(keeper), "3,000 bytes short of 13001, more than two segments");
        see(keeper, primary(10001, 1009).payload(new byte[1000]));
        assertTrue(heldByWindow(keeper), "2,000 bytes short: within two segments of the unscaled edge (scaled, it would be 37001)");
    }

    @Test
    void aConnectionPickedUpMidStreamIsNeverJudgedItsWindowsScaleIsUnknown() {
        ClientStreamKeeper keeper = keeper(RecordFraming.NONE, 1 << 20);
        see(keeper, client(1000, 5001).payload("GET /big\n").window(1));
        see(keeper, primary(5001, 1009).payload(new byte[1000]));
        assertFalse(heldByWindow(keeper));
    }
}
