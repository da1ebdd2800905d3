package org.migware.tracker.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.TcpState;
import org.migware.testing.TcpFrame;
import org.migware.testing.TestBytes;

/**
 * Frames the primary's Linux stack would not believe change nothing in the table (issue 10,
 * points 3 to 5). Each test sets up a connection with a handshake (client ISN 100, server ISN
 * 900; the client advertises 502 << 7 = 64,256 bytes, the server 65,160 in its SYN-ACK), sends
 * the forged frame and compares the whole snapshot, times included, with the one before.
 */
class UntrustedFramesTest {

    private static final int FIN = 0x01;
    private static final int SYN = 0x02;
    private static final int RST = 0x04;
    private static final int PSH = 0x08;
    private static final int ACK = 0x10;
    private static final int ETHERNET = 14;
    private static final int TCP = ETHERNET + 20;

    private final StoreHarness h = new StoreHarness();

    /** Handshake, then 50 client bytes the server acknowledged and 10 server bytes the client did not yet. */
    private ConnectionSnapshot established() {
        h.handshake(40000, 100, 900);
        h.feed(TcpFrame.fromClient(40000).seq(101).ack(901).flags(PSH).payload(50).timestamps(1002, 5000));
        h.feed(TcpFrame.fromServer(40000).seq(901).ack(151).window(509).flags(PSH).payload(10).timestamps(5001, 1002));
        return h.connection(40000);
    }

    private long ignored(String reason) {
        Long count = h.store.statistics().packetsIgnored().get(reason);
        return count == null ? 0 : count;
    }

    @Test
    void rstInsideTheWindowButNotAtReceiveNextKeepsTheConnection() {
        ConnectionSnapshot before = established();
        h.feed(TcpFrame.fromServer(40000).seq(911 + 1000).flags(RST)); // in the client's window, 1000 past RCV.NXT
        h.feed(TcpFrame.fromClient(40000).seq(151 + 1).flags(RST | ACK).ack(911));
        assertEquals(before, h.connection(40000));
        assertEquals(2, ignored("rst-in-window-not-at-rcv-nxt"));
    }

    @Test
    void rstExactlyAtTheSendersNextSequenceResets() {
        established();
        h.feed(TcpFrame.fromServer(40000).seq(911).flags(RST));
        assertEquals(TcpState.RESET, h.connection(40000).state());
    }

    @Test
    void rstAtWhatTheReceiverAcknowledgedResets() {
        // The server's 10 bytes may not have arrived: the client's RCV.NXT may still be 901, what it acknowledged last.
        established();
        h.feed(TcpFrame.fromServer(40000).seq(901).flags(RST));
        assertEquals(TcpState.RESET, h.connection(40000).state());
    }

    @Test
    void finOutsideTheWindowIsNotBelieved() {
        ConnectionSnapshot before = established();
        h.feed(TcpFrame.fromServer(40000).seq(911 + 200_000).ack(151).flags(FIN));
        h.feed(TcpFrame.fromClient(40000).seq(151 - 100_000).ack(911).flags(FIN));
        assertEquals(before, h.connection(40000));
        assertEquals(TcpState.ESTABLISHED, h.connection(40000).state());
        assertEquals(1, ignored("segment-beyond-receive-window"));
        assertEquals(1, ignored("segment-before-receive-window"));
    }

    @Test
    void finInsideTheWindowButBeyondTheStreamIsHeldUntilTheReceiverAcknowledgesIt() {
        ConnectionSnapshot before = established();
        h.feed(TcpFrame.fromServer(40000).seq(911 + 3000).ack(151).flags(FIN)); // Linux queues it out of order
        assertEquals(before, h.connection(40000));
        assertEquals(1, ignored("fin-in-window-beyond-rcv-nxt"));
        // The client acknowledges the FIN: the 3,000 bytes before it were real, and lost by the mirror.
        h.feed(TcpFrame.fromClient(40000).seq(151).ack(911 + 3001));
        ConnectionSnapshot after = h.connection(40000);
        assertEquals(TcpState.CLOSING, after.state());
        assertEquals(911 + 3001, after.serverToClient().highestSequenceEnd());
        assertEquals(3010, after.serverToClient().bytes());
    }

    @Test
    void synAckWithoutWindowScaleOnAnEstablishedConnectionChangesNothing() {
        ConnectionSnapshot before = established();
        h.feed(TcpFrame.fromServer(40000).seq(555_555).ack(101).flags(SYN).window(1000)
                .synOptions(536, -1, false));
        h.feed(TcpFrame.fromServer(40000).seq(900).ack(101).flags(SYN).window(1000).synOptions(536, -1, false));
        h.feed(TcpFrame.fromClient(40000).seq(77).flags(SYN).synOptions(536, -1, false));
        assertEquals(before, h.connection(40000));
        assertTrue(h.connection(40000).windowScalingNegotiated());
        assertEquals(7, h.connection(40000).serverToClient().windowScale());
    }

    @Test
    void synAckThatDoesNotAcknowledgeTheSynIsNotBelieved() {
        h.feed(TcpFrame.fromClient(40000).seq(100).flags(SYN).synOptions(1460, 7, true));
        h.feed(TcpFrame.fromServer(40000).seq(900).ack(12345).flags(SYN).synOptions(1460, 7, true));
        assertEquals(-1, h.connection(40000).serverToClient().initialSequence());
        assertEquals(1, ignored("syn-ack-not-acknowledging-the-syn"));
    }

    @Test
    void ackOfDataNeverSentIsNotBelieved() {
        ConnectionSnapshot before = established();
        h.feed(TcpFrame.fromClient(40000).seq(151).ack(911 + (1L << 30)).timestamps(1003, 5001));
        h.feed(TcpFrame.fromServer(40000).seq(911).ack(151 + (1L << 30)).timestamps(5002, 1003));
        assertEquals(before, h.connection(40000));
        assertEquals(2, ignored("ack-of-data-not-sent"));
    }

    @Test
    void ackOlderThanTheLargestWindowIsNotBelieved() {
        ConnectionSnapshot before = established();
        h.feed(TcpFrame.fromServer(40000).seq(911).ack(151 - (1L << 20)));
        assertEquals(before, h.connection(40000));
        assertEquals(1, ignored("ack-older-than-window"));
    }

    @Test
    void timestampFarAheadIsNotBelieved() {
        ConnectionSnapshot before = established();
        h.feed(TcpFrame.fromClient(40000).seq(151).ack(911).timestamps(1002 + (1L << 30), 5001));
        assertEquals(before, h.connection(40000));
        assertEquals(1, ignored("tsval-jump-not-believable"));
        h.feed(TcpFrame.fromClient(40000).seq(151).ack(911).timestamps(1003, 5001));
        assertEquals(1003, h.connection(40000).clientToServer().lastTimestampValue());
    }

    @Test
    void segmentWithAWrongChecksumIsDroppedAndCounted() {
        ConnectionSnapshot before = established();
        byte[] frame = TcpFrame.fromServer(40000).seq(911).ack(151).flags(FIN).build();
        frame[TCP + 16] ^= 0x40;
        h.feed(frame);
        byte[] badIpHeader = TcpFrame.fromServer(40000).seq(911).ack(151).flags(FIN).build();
        badIpHeader[ETHERNET + 10] ^= 0x01;
        h.feed(badIpHeader);
        assertEquals(before, h.connection(40000));
        assertEquals(1, ignored("tcp-checksum-wrong"));
        assertEquals(1, ignored("ipv4-header-checksum-wrong"));
    }

    @Test
    void partialChecksumOfAnOffloadingSenderIsTakenAndCounted() {
        established();
        byte[] frame = TcpFrame.fromServer(40000).seq(911).ack(151).flags(FIN).build();
        int tcpLength = frame.length - TCP;
        // What Linux writes with checksum offload: the folded pseudo-header sum (not complemented).
        int pseudoHeaderSum = ~TestBytes.internetChecksum(frame, ETHERNET + 12, TCP, 6 + tcpLength) & 0xffff;
        frame[TCP + 16] = (byte) (pseudoHeaderSum >>> 8);
        frame[TCP + 17] = (byte) pseudoHeaderSum;
        h.feed(frame);
        assertEquals(TcpState.CLOSING, h.connection(40000).state());
        assertEquals(1, h.store.offloadedChecksumsTaken());
        assertEquals(0, h.store.statistics().packetsIgnored().values().stream().mapToLong(Long::longValue).sum(),
                "taken, so not counted as ignored");
    }

    @Test
    void partialChecksumIsRefusedWhenOffloadIsNotAccepted() {
        StoreHarness strict = new StoreHarness(new FrameIntegrity(true, false));
        strict.handshake(40000, 100, 900);
        byte[] frame = TcpFrame.fromServer(40000).seq(901).ack(101).flags(FIN).build();
        int pseudoHeaderSum = ~TestBytes.internetChecksum(frame, ETHERNET + 12, TCP, 6 + frame.length - TCP) & 0xffff;
        frame[TCP + 16] = (byte) (pseudoHeaderSum >>> 8);
        frame[TCP + 17] = (byte) pseudoHeaderSum;
        strict.feed(frame);
        assertEquals(TcpState.ESTABLISHED, strict.connection(40000).state());
        assertEquals(1L, strict.store.statistics().packetsIgnored().get("tcp-checksum-wrong"));
    }

    @Test
    void ipTotalLengthBeyondTheCapturedFrameIsDroppedAndCounted() {
        ConnectionSnapshot before = established();
        byte[] frame = TcpFrame.fromServer(40000).seq(911).ack(151).flags(PSH).payload(100).build();
        byte[] cut = java.util.Arrays.copyOf(frame, frame.length - 40);
        h.feed(cut);
        assertEquals(before, h.connection(40000));
        assertEquals(1, ignored("ip-length-beyond-captured-frame"));
    }

    @Test
    void synFloodOnAFullTableNeverEvictsAnEstablishedConnection() {
        StoreHarness small = new StoreHarness(20);
        for (int port = 41000; port < 41010; port++) {
            small.handshake(port, port * 10L, port * 20L);
        }
        for (int n = 0; n < 2_000; n++) { // spoofed SYNs from 2,000 source ports
            small.feed(TcpFrame.fromClient(20000 + n).seq(n).flags(SYN).synOptions(1460, 7, true));
        }
        for (int port = 41000; port < 41010; port++) {
            assertEquals(TcpState.ESTABLISHED, small.connection(port).state());
        }
        assertTrue(small.store.size() <= 20);
        assertTrue(small.store.statistics().evictedForCapacity() > 0, "half-open ones make room for each other");
    }

    @Test
    void synIsRefusedAndCountedWhenOnlyEstablishedConnectionsCouldMakeRoom() {
        StoreHarness small = new StoreHarness(10);
        for (int port = 41000; port < 41010; port++) {
            small.handshake(port, port * 10L, port * 20L);
        }
        small.feed(TcpFrame.fromClient(20000).seq(1).flags(SYN).synOptions(1460, 7, true));
        assertEquals(10, small.store.size());
        assertEquals(1L, small.store.statistics().packetsIgnored().get("syn-refused-table-full-of-established"));
        assertEquals(0, small.store.statistics().evictedForCapacity());
    }

    @Test
    void halfOpenConnectionsExpireLongBeforeIdleEstablishedOnes() {
        established();
        h.feed(TcpFrame.fromClient(40001).seq(1).flags(SYN).synOptions(1460, 7, true));
        h.monotonic.addAndGet(TimeUnit.SECONDS.toNanos(TrackerLimits.DEFAULT_HALF_OPEN_TIMEOUT_SECONDS + 1));
        h.store.expire();
        assertTrue(h.store.find(StoreHarness.key(40001)).isEmpty());
        assertEquals(TcpState.ESTABLISHED, h.connection(40000).state());
        assertEquals(1, h.store.statistics().expiredIdle());
    }

    @Test
    void hashDependsOnTheStoresSeed() {
        int a = TrackedConnection.hash(1L, 0, 0xffff_0a4d_0001L, 40000, 0, 0xffff_0a4d_0002L, 7000);
        int b = TrackedConnection.hash(2L, 0, 0xffff_0a4d_0001L, 40000, 0, 0xffff_0a4d_0002L, 7000);
        assertNotEquals(a, b);
    }

    @Test
    void anAckOfDataTheMirrorLostIsBelievedOnceTheSenderGoesPastIt() {
        established();
        // The server's next 100 bytes (911..1011) never reach the capture; the client acknowledges them.
        h.feed(TcpFrame.fromClient(40000).seq(151).ack(1011).timestamps(1003, 5001));
        assertEquals(901, h.connection(40000).clientToServer().highestAck(), "not believed yet");
        h.feed(TcpFrame.fromServer(40000).seq(1011).ack(151).payload(10).timestamps(5003, 1003));
        assertEquals(1011, h.connection(40000).clientToServer().highestAck());
        assertEquals(1021, h.connection(40000).serverToClient().highestSequenceEnd());
        assertEquals(120, h.connection(40000).serverToClient().bytes());
    }

    @Test
    void anAckTheMirrorDeliversBeforeTheDataItAcknowledgesIsBelievedOnceTheDataIsSeen() {
        established();
        h.feed(TcpFrame.fromClient(40000).seq(151).ack(1011).timestamps(1003, 5002));
        h.feed(TcpFrame.fromServer(40000).seq(911).ack(151).payload(100).timestamps(5002, 1002));
        assertEquals(1011, h.connection(40000).clientToServer().highestAck());
        assertEquals(1011, h.connection(40000).serverToClient().highestSequenceEnd());
    }

    @Test
    void dataBeyondAWindowUpdateTheMirrorLostIsBelievedOnceAcknowledged() {
        established();
        // The client's window update to 3,000,000 bytes is lost; the server fills it.
        long edge = 901 + (502L << 7); // the client's ACK 901 and window 502, scaled by 7
        h.feed(TcpFrame.fromServer(40000).seq(edge + 1000).ack(151).payload(1000));
        assertEquals(911, h.connection(40000).serverToClient().highestSequenceEnd());
        h.feed(TcpFrame.fromClient(40000).seq(151).ack(edge + 2000).window(23437));
        ConnectionSnapshot after = h.connection(40000);
        assertEquals(edge + 2000, after.clientToServer().highestAck());
        assertEquals(edge + 2000, after.serverToClient().highestSequenceEnd());
        h.feed(TcpFrame.fromServer(40000).seq(edge + 2000).ack(151).payload(1000));
        assertEquals(edge + 3000, h.connection(40000).serverToClient().highestSequenceEnd());
        assertNull(h.store.statistics().packetsIgnored().get("ack-of-data-not-sent"));
    }
}
