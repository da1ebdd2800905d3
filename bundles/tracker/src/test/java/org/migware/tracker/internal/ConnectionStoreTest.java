package org.migware.tracker.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.DirectionState;
import org.migware.api.connection.TcpState;
import org.migware.testing.TcpFrame;

class ConnectionStoreTest {

    private static final int FIN = 0x01;
    private static final int SYN = 0x02;
    private static final int RST = 0x04;
    private static final int PSH = 0x08;

    private final StoreHarness h = new StoreHarness();

    @Test
    void handshakeRecordsIsnsOptionsMacsAndEstablishes() {
        h.handshake(40000, 1_000_000, 7_000_000);
        ConnectionSnapshot c = h.connection(40000);
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertTrue(c.handshakeSeen());
        assertEquals(1_000_000, c.clientToServer().initialSequence());
        assertEquals(7_000_000, c.serverToClient().initialSequence());
        assertEquals(1460, c.clientToServer().mss());
        assertEquals(7, c.clientToServer().windowScale());
        assertTrue(c.sackNegotiated());
        assertTrue(c.timestampsNegotiated());
        assertTrue(c.windowScalingNegotiated());
        assertEquals("02:00:00:00:00:01", c.client().mac());
        assertEquals("02:00:00:00:00:02", c.server().mac());
        assertEquals(7_000_001, c.clientToServer().highestAck());
        assertEquals(1_000_001, c.serverToClient().highestAck());
        assertEquals(1001, c.clientToServer().lastTimestampValue());
        assertEquals(5000, c.serverToClient().lastTimestampValue());
        assertEquals(502, c.clientToServer().lastWindow());
        assertEquals(0, c.clientToServer().bytes());
    }

    @Test
    void bytesCountSequenceSpaceSoRetransmissionsCountOnce() {
        h.handshake(40000, 100, 900);
        h.feed(TcpFrame.fromClient(40000).seq(101).ack(901).flags(PSH).payload(20));
        h.feed(TcpFrame.fromClient(40000).seq(101).ack(901).flags(PSH).payload(20)); // retransmission
        h.feed(TcpFrame.fromServer(40000).seq(901).ack(121));
        h.feed(TcpFrame.fromServer(40000).seq(901).ack(121).payload(5));
        DirectionState client = h.connection(40000).clientToServer();
        assertEquals(20, client.bytes());
        assertEquals(1, client.retransmissions());
        assertEquals(121, client.highestSequenceEnd());
        assertEquals(5, h.connection(40000).serverToClient().bytes());
        assertEquals(121, h.connection(40000).serverToClient().highestAck());
    }

    @Test
    void reorderedSegmentsCountOnceAndAreFlagged() {
        h.handshake(40000, 100, 900);
        h.feed(TcpFrame.fromClient(40000).seq(111).ack(901).payload(10)); // arrives first
        h.feed(TcpFrame.fromClient(40000).seq(101).ack(901).payload(10)); // the earlier one, late
        DirectionState client = h.connection(40000).clientToServer();
        assertEquals(20, client.bytes());
        assertEquals(1, client.outOfOrder());
        assertEquals(121, client.highestSequenceEnd());
    }

    @Test
    void keepAliveAndZeroWindowProbeAddNoBytes() {
        h.handshake(40000, 100, 900);
        h.feed(TcpFrame.fromClient(40000).seq(101).ack(901).payload(10));
        h.feed(TcpFrame.fromClient(40000).seq(110).ack(901)); // keep-alive: seq = snd.una - 1, no data
        h.feed(TcpFrame.fromServer(40000).seq(901).ack(111).window(0));
        h.feed(TcpFrame.fromClient(40000).seq(110).ack(901)); // zero-window probe (Linux: an old seq, no data)
        ConnectionSnapshot c = h.connection(40000);
        assertEquals(10, c.clientToServer().bytes());
        assertEquals(111, c.clientToServer().highestSequenceEnd());
        assertEquals(0, c.serverToClient().lastWindow());
        assertEquals(TcpState.ESTABLISHED, c.state());
    }

    @Test
    void sequenceNumbersWrapAround() {
        long isn = 0xffff_fff0L;
        h.handshake(40000, isn, 0xffff_ffffL);
        h.feed(TcpFrame.fromClient(40000).seq(isn + 1).ack(0).payload(100));
        h.feed(TcpFrame.fromServer(40000).seq(0).ack(isn + 101).payload(3));
        ConnectionSnapshot c = h.connection(40000);
        assertEquals(100, c.clientToServer().bytes());
        assertEquals((isn + 101) & 0xffff_ffffL, c.clientToServer().highestSequenceEnd());
        assertEquals(3, c.serverToClient().bytes());
        assertEquals((isn + 101) & 0xffff_ffffL, c.serverToClient().highestAck());
        assertEquals(TcpState.ESTABLISHED, c.state());
    }

    @Test
    void bothFinsAcknowledgedCloseTheConnection() {
        h.handshake(40000, 100, 900);
        h.feed(TcpFrame.fromClient(40000).seq(101).ack(901).flags(FIN).payload(4));
        assertEquals(TcpState.CLOSING, h.connection(40000).state());
        h.feed(TcpFrame.fromServer(40000).seq(901).ack(106).flags(FIN));
        assertEquals(TcpState.CLOSING, h.connection(40000).state());
        h.feed(TcpFrame.fromClient(40000).seq(106).ack(902));
        ConnectionSnapshot c = h.connection(40000);
        assertEquals(TcpState.CLOSED, c.state());
        assertEquals(4, c.clientToServer().bytes());
        assertEquals(106, c.clientToServer().highestSequenceEnd());
    }

    /**
     * A client that half-closed (issue 10, point 7): the snapshot says whose FIN was seen and where,
     * so that recovery can re-create the connection and hand the FIN to the replica after the bytes.
     */
    @Test
    void theSnapshotSaysWhichSideHalfClosedAndWhereItsFinLies() {
        h.handshake(40000, 100, 900);
        h.feed(TcpFrame.fromClient(40000).seq(101).ack(901).flags(FIN).payload(4));
        h.feed(TcpFrame.fromServer(40000).seq(901).ack(106).payload(30)); // the answer goes on
        ConnectionSnapshot c = h.connection(40000);
        assertEquals(TcpState.CLOSING, c.state());
        assertTrue(c.clientToServer().finSeen());
        assertEquals(105, c.clientToServer().finSequence(), "after its 4 bytes");
        assertFalse(c.serverToClient().finSeen(), "the server still sends");
        assertEquals(DirectionState.UNKNOWN, c.serverToClient().finSequence());
        h.feed(TcpFrame.fromServer(40000).seq(931).ack(106).flags(FIN));
        assertEquals(931, h.connection(40000).serverToClient().finSequence());
    }

    @Test
    void inWindowRstResetsButSpoofedRstDoesNot() {
        h.handshake(40000, 100, 900);
        h.feed(TcpFrame.fromServer(40000).seq(900 + 1 + 1_000_000).flags(RST)); // far outside the client's window
        assertEquals(TcpState.ESTABLISHED, h.connection(40000).state());
        h.feed(TcpFrame.fromServer(40000).seq(901).flags(RST));
        assertEquals(TcpState.RESET, h.connection(40000).state());
    }

    @Test
    void rstForUnknownConnectionCreatesNothing() {
        h.feed(TcpFrame.fromClient(40001).seq(5).flags(RST));
        assertEquals(0, h.store.size());
        assertEquals(1L, h.store.statistics().packetsIgnored().get("fin-or-rst-for-unknown-connection"));
    }

    @Test
    void midStreamConnectionIsTrackedButMarkedMissingItsHandshake() {
        h.feed(TcpFrame.fromClient(40000).seq(5000).ack(9000).payload(10));
        ConnectionSnapshot c = h.connection(40000);
        assertFalse(c.handshakeSeen());
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertEquals(DirectionState.UNKNOWN, c.clientToServer().initialSequence());
        assertEquals(-1, c.clientToServer().mss());
        assertEquals(10, c.clientToServer().bytes());
    }

    @Test
    void newSynAfterCloseStartsANewIncarnation() {
        h.handshake(40000, 100, 900);
        h.feed(TcpFrame.fromClient(40000).seq(101).ack(901).flags(RST));
        assertEquals(TcpState.RESET, h.connection(40000).state());
        h.handshake(40000, 50_000, 60_000);
        ConnectionSnapshot c = h.connection(40000);
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertEquals(50_000, c.clientToServer().initialSequence());
        assertEquals(1, h.store.size());
    }

    /** The proxy asks the replica for ECN only when client and primary agreed on RFC 3168 ECN. */
    @Test
    void theSynsEcnFlagsAreKeptPerSide() {
        h.feed(TcpFrame.fromClient(40000).seq(100).flags(SYN | DirectionState.ECE | DirectionState.CWR).synOptions(1460, 7, true));
        h.feed(TcpFrame.fromServer(40000).seq(900).ack(101).flags(SYN | DirectionState.ECE).synOptions(1460, 7, true));
        h.feed(TcpFrame.fromClient(40000).seq(101).ack(901));
        ConnectionSnapshot classic = h.connection(40000);
        assertEquals(DirectionState.ECE | DirectionState.CWR, classic.clientToServer().synEcnFlags());
        assertEquals(DirectionState.ECE, classic.serverToClient().synEcnFlags());
        assertTrue(classic.clientToServer().classicEcnWith(classic.serverToClient()));

        // Accurate ECN (RFC 9768): AE, CWR and ECE on the SYN; the SYN-ACK answers with another combination.
        h.feed(TcpFrame.fromClient(40001).seq(100).flags(SYN | DirectionState.AE | DirectionState.ECE | DirectionState.CWR)
                .synOptions(1460, 7, true));
        h.feed(TcpFrame.fromServer(40001).seq(900).ack(101).flags(SYN | DirectionState.AE).synOptions(1460, 7, true));
        ConnectionSnapshot accurate = h.connection(40001);
        assertEquals(DirectionState.AE | DirectionState.ECE | DirectionState.CWR, accurate.clientToServer().synEcnFlags());
        assertEquals(DirectionState.AE, accurate.serverToClient().synEcnFlags());
        assertFalse(accurate.clientToServer().classicEcnWith(accurate.serverToClient()));

        // The default Linux client (tcp_ecn=2) asks for nothing; a handshake not seen says nothing.
        h.handshake(40002, 100, 900);
        assertEquals(0, h.connection(40002).clientToServer().synEcnFlags());
        assertFalse(h.connection(40002).clientToServer().classicEcnWith(h.connection(40002).serverToClient()));
        h.feed(TcpFrame.fromClient(40003).seq(5000).ack(7000).payload(10));
        assertEquals(-1, h.connection(40003).clientToServer().synEcnFlags());
    }

    @Test
    void synInsideAnEstablishedConnectionIsIgnored() {
        h.handshake(40000, 100, 900);
        h.feed(TcpFrame.fromClient(40000).seq(777).flags(SYN).synOptions(1460, 7, true));
        assertEquals(100, h.connection(40000).clientToServer().initialSequence());
        assertEquals(TcpState.ESTABLISHED, h.connection(40000).state());
    }

    @Test
    void trafficOfOtherServicesIsIgnored() {
        h.feed(TcpFrame.fromClient(40000).seq(1).flags(SYN).build()); // to 10.77.0.2:7000: tracked
        byte[] otherPort = TcpFrame.fromClient(40000).seq(1).flags(SYN).build();
        otherPort[14 + 20 + 3] = 81; // destination port 7000 -> 6993
        h.feed(otherPort);
        assertEquals(1, h.store.size());
        assertEquals(1L, h.store.statistics().packetsIgnored().get("not-to-or-from-service"));
    }

    @Test
    void tableBoundEvictsAndCounts() {
        StoreHarness small = new StoreHarness(10);
        for (int port = 1000; port < 1025; port++) {
            small.handshake(port, port * 1000L, port * 7000L);
        }
        assertEquals(10, small.store.size());
        assertEquals(15, small.store.statistics().evictedForCapacity());
        assertEquals(25, small.store.statistics().created());
    }

    @Test
    void closedConnectionsLingerThenExpireAndIdleOnesExpire() {
        h.handshake(40000, 100, 900);
        h.handshake(40001, 100, 900);
        h.feed(TcpFrame.fromClient(40000).seq(101).ack(901).flags(RST));
        h.monotonic.addAndGet(TimeUnit.SECONDS.toNanos(61));
        assertEquals(1, h.store.expire());
        assertEquals(1, h.store.statistics().expiredClosed());
        h.monotonic.addAndGet(TimeUnit.SECONDS.toNanos(7200));
        assertEquals(1, h.store.expire());
        assertEquals(1, h.store.statistics().expiredIdle());
        assertEquals(0, h.store.size());
    }

    @Test
    void manyConnectionsSurviveRemovalsFromTheHashTable() {
        for (int port = 1; port <= 5000; port++) {
            h.handshake(port, port, port + 100_000L);
        }
        for (int port = 1; port <= 5000; port += 2) {
            h.feed(TcpFrame.fromClient(port).seq(port + 1L).ack(port + 100_001L).flags(RST));
        }
        h.monotonic.addAndGet(TimeUnit.SECONDS.toNanos(61));
        assertEquals(2500, h.store.expire());
        for (int port = 2; port <= 5000; port += 2) {
            assertEquals(port, h.connection(port).clientToServer().initialSequence());
        }
        assertEquals(2500, h.store.size());
    }

    @Test
    void stateCodecRoundTripsEveryField() throws IOException {
        h.handshake(40000, 0xffff_fff0L, 900);
        h.feed(TcpFrame.fromClient(40000).seq(0xffff_fff1L).ack(901).payload(33).timestamps(1234, 5000));
        h.feed(TcpFrame.fromClient(40002).seq(5000).ack(9000).payload(10));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StateCodec.write(new DataOutputStream(bytes), h.store.connectionsForPersistence(), h.store.latestCaptureNanos(), h.store.created());
        StateCodec.Restored restored = StateCodec.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));

        StoreHarness other = new StoreHarness();
        other.store.restore(restored.connections(), restored.latestCaptureNanos(), restored.created());
        assertEquals(h.store.size(), other.store.size());
        assertEquals(h.connection(40000), other.connection(40000));
        assertEquals(h.connection(40002), other.connection(40002));
        // and tracking goes on from the restored state
        other.feed(TcpFrame.fromClient(40000).seq(0xffff_fff1L + 33).ack(901).payload(7));
        assertEquals(40, other.connection(40000).clientToServer().bytes());
    }

    /**
     * An update of the tracker bundle during a live capture: the table is saved, a new store reads
     * it back while the clients keep sending, the expiry sweep runs, and the failover that follows
     * must still find every connection with its handshake and the options of its SYNs.
     */
    @Test
    void aTableRestoredDuringALiveCaptureKeepsEveryHandshake() throws IOException {
        for (int port = 41000; port < 41020; port++) {
            h.handshake(port, port * 1000L, port * 7000L);
        }
        for (int round = 0; round < 3; round++) {
            liveTraffic(h, round);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StateCodec.write(new DataOutputStream(bytes), h.store.connectionsForPersistence(), h.store.latestCaptureNanos(), h.store.created());

        // The new revision starts 300 ms later on the same clocks; the capture has moved on meanwhile.
        StoreHarness restarted = new StoreHarness();
        restarted.monotonic.set(h.monotonic.get() + TimeUnit.MILLISECONDS.toNanos(300));
        restarted.captureNanos = h.captureNanos + TimeUnit.MILLISECONDS.toNanos(300);
        StateCodec.Restored restored = StateCodec.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        restarted.store.restore(restored.connections(), restored.latestCaptureNanos(), restored.created());
        for (int round = 3; round < 8; round++) {
            liveTraffic(restarted, round);
            restarted.monotonic.addAndGet(TimeUnit.SECONDS.toNanos(1));
            restarted.store.expire();
        }

        assertEquals(20, restarted.store.size());
        assertEquals(20, restarted.store.snapshots().size());
        for (int port = 41000; port < 41020; port++) {
            ConnectionSnapshot c = restarted.connection(port);
            assertTrue(c.handshakeSeen(), c::toString);
            assertEquals(TcpState.ESTABLISHED, c.state());
            assertEquals(port * 1000L, c.clientToServer().initialSequence());
            assertEquals(1460, c.clientToServer().mss());
            assertEquals(7, c.clientToServer().windowScale());
            assertTrue(c.sackNegotiated());
            assertEquals(h.connection(port).firstSeen(), c.firstSeen());
            assertEquals(8 * 100, c.clientToServer().bytes());
        }
        assertEquals(20, restarted.store.statistics().created());
        assertEquals(0, restarted.store.statistics().expiredIdle());
    }

    /** One 100-byte record from each of the 20 clients and the server's ACK of it, 10 ms apart as a live link sends them. */
    private static void liveTraffic(StoreHarness harness, int round) {
        for (int port = 41000; port < 41020; port++) {
            long clientSeq = port * 1000L + 1 + round * 100L;
            long serverSeq = port * 7000L + 1;
            harness.monotonic.addAndGet(TimeUnit.MILLISECONDS.toNanos(10));
            harness.feed(TcpFrame.fromClient(port).seq(clientSeq).ack(serverSeq).flags(PSH).payload(100).timestamps(2000 + round, 5000));
            harness.feed(TcpFrame.fromServer(port).seq(serverSeq).ack(clientSeq + 100).timestamps(6000 + round, 2000 + round));
        }
    }

    /**
     * A crash: the table comes back from a snapshot taken before 10 MB went each way unseen. Without
     * the pickup, the window and ACK rules would refuse every later segment of the connection
     * (checked on the store that never stopped, which refuses the same segments); with it, the first
     * segment of each side is believed and the rules hold again from the next on.
     */
    @Test
    void aConnectionRestoredAfterAnUnseenGapIsPickedUpFromItsNextSegments() throws IOException {
        h.handshake(42000, 1000, 7000);
        h.feed(TcpFrame.fromClient(42000).seq(1001).ack(7001).flags(PSH).payload(100).timestamps(2000, 5000));
        h.feed(TcpFrame.fromServer(42000).seq(7001).ack(1101).payload(200).timestamps(6000, 2000));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StateCodec.write(new DataOutputStream(bytes), h.store.connectionsForPersistence(), h.store.latestCaptureNanos(), h.store.created());
        StoreHarness restarted = new StoreHarness();
        StateCodec.Restored restored = StateCodec.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        restarted.store.restore(restored.connections(), restored.latestCaptureNanos(), restored.created());

        long gap = 10L << 20;
        TcpFrame clientAfterGap = TcpFrame.fromClient(42000).seq(1101 + gap).ack(7201 + gap).flags(PSH).payload(100).timestamps(3000, 7000);
        TcpFrame serverAfterGap = TcpFrame.fromServer(42000).seq(7201 + gap).ack(1201 + gap).payload(50).timestamps(7001, 3000);
        long ignoredBefore = ignored(h);
        h.feed(clientAfterGap);
        h.feed(serverAfterGap);
        assertEquals(ignoredBefore + 2, ignored(h), "the store that saw no gap refuses both");

        restarted.feed(clientAfterGap);
        restarted.feed(serverAfterGap);
        ConnectionSnapshot c = restarted.connection(42000);
        assertEquals(0, ignored(restarted), c::toString);
        assertEquals(2, restarted.store.pickedUp());
        assertEquals((int) (1201 + gap), (int) c.clientToServer().highestSequenceEnd(), c::toString);
        assertEquals((int) (7251 + gap), (int) c.serverToClient().highestSequenceEnd(), c::toString);
        assertEquals(1000, c.clientToServer().initialSequence());

        // From the second segment on, the rules hold: an ACK 2^30 ahead is refused again.
        restarted.feed(TcpFrame.fromClient(42000).seq(1201 + gap).ack(7251 + gap + (1L << 30)).payload(10).timestamps(3001, 7001));
        assertEquals(1, ignored(restarted));
    }

    private static long ignored(StoreHarness harness) {
        return harness.store.statistics().packetsIgnored().values().stream().mapToLong(Long::longValue).sum();
    }

    /** What a restart needs changes only with the connections and their states: the periodic snapshot skips the rest. */
    @Test
    void membershipChangesCountNewConnectionsAndStateChangesNotTraffic() {
        long start = h.store.membershipChanges();
        h.handshake(43000, 1000, 7000);
        long afterHandshake = h.store.membershipChanges();
        assertEquals(start + 2, afterHandshake, "added, then established");
        h.feed(TcpFrame.fromClient(43000).seq(1001).ack(7001).flags(PSH).payload(100).timestamps(2000, 5000));
        h.feed(TcpFrame.fromServer(43000).seq(7001).ack(1101).payload(200).timestamps(6000, 2000));
        assertEquals(afterHandshake, h.store.membershipChanges(), "traffic changes nothing a restart needs");
        h.feed(TcpFrame.fromClient(43000).seq(1101).ack(7201).flags(0x11).timestamps(2001, 6000));
        assertEquals(afterHandshake + 1, h.store.membershipChanges(), "closing");
    }

    @Test
    void stateCodecRefusesAForeignFile() {
        byte[] garbage = {1, 2, 3, 4, 5, 6, 7, 8};
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> StateCodec.read(new DataInputStream(new ByteArrayInputStream(garbage))));
        assertTrue(e.getMessage().contains("magic"));
    }
}
