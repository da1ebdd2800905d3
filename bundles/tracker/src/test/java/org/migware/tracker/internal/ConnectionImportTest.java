package org.migware.tracker.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;

import org.junit.jupiter.api.Test;
import org.migware.api.connection.ConnectionKey;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.DirectionState;
import org.migware.api.connection.TcpState;
import org.migware.api.sync.HandshakeOrigin;
import org.migware.api.sync.ImportOutcome;
import org.migware.testing.TcpFrame;

/** The tracker's import of connections learnt through state sync: what a late-joining backup's capture could not see. */
class ConnectionImportTest {

    private static final int PSH = 0x08;

    /** The serving host's table: it saw the handshakes. */
    private final StoreHarness serving = new StoreHarness();
    /** The backup's table: it joined late. */
    private final StoreHarness backup = new StoreHarness();

    @Test
    void aConnectionTheBackupNeverSawIsAddedWithItsHandshakeAndTrackedFromItsNextSegments() {
        serving.handshake(40000, 1_000_000, 7_000_000);
        serving.feed(TcpFrame.fromClient(40000).seq(1_000_001).ack(7_000_001).flags(PSH).payload(100));
        ConnectionSnapshot sent = serving.connection(40000);

        long changesBefore = backup.store.membershipChanges();
        assertEquals(ImportOutcome.ADDED, backup.store.importHandshake(sent));
        assertTrue(backup.store.membershipChanges() > changesBefore, "the change count (ConnectionImport.changeCount) moves");

        ConnectionSnapshot held = backup.connection(40000);
        assertTrue(held.handshakeSeen());
        assertEquals(TcpState.ESTABLISHED, held.state());
        assertEquals(1_000_000, held.clientToServer().initialSequence());
        assertEquals(7_000_000, held.serverToClient().initialSequence());
        assertEquals(1460, held.serverToClient().mss());
        assertEquals(7, held.clientToServer().windowScale());
        assertTrue(held.sackNegotiated() && held.timestampsNegotiated());
        assertEquals(1_000_101, held.clientToServer().highestSequenceEnd());
        assertEquals(HandshakeOrigin.SYNC, backup.store.handshakeOrigins().get(StoreHarness.key(40000)));

        // 5,000 bytes went by while the message travelled: the next segment is still taken (picked up).
        backup.feed(TcpFrame.fromClient(40000).seq(1_005_101).ack(7_000_001).flags(PSH).payload(50));
        assertEquals(1_005_151, backup.connection(40000).clientToServer().highestSequenceEnd());
    }

    @Test
    void aConnectionSeenMidStreamGetsItsHandshakeFilledAndKeepsItsOwnPositions() {
        serving.handshake(40001, 500, 9_000);
        backup.feed(TcpFrame.fromClient(40001).seq(2_501).ack(9_001).flags(PSH).payload(10)); // mid-stream
        assertFalse(backup.connection(40001).handshakeSeen());
        assertEquals(HandshakeOrigin.MISSED, backup.store.handshakeOrigins().get(StoreHarness.key(40001)));

        long changesBefore = backup.store.membershipChanges();
        assertEquals(ImportOutcome.HANDSHAKE_FILLED, backup.store.importHandshake(serving.connection(40001)));
        assertTrue(backup.store.membershipChanges() > changesBefore, "a filled handshake is a change too");

        ConnectionSnapshot held = backup.connection(40001);
        assertTrue(held.handshakeSeen());
        assertEquals(500, held.clientToServer().initialSequence());
        assertEquals(9_000, held.serverToClient().initialSequence());
        assertEquals(2_511, held.clientToServer().highestSequenceEnd(), "the own capture's position, not the sent one (501)");
        assertEquals(HandshakeOrigin.SYNC, backup.store.handshakeOrigins().get(StoreHarness.key(40001)));
    }

    /** A restart keeps where each handshake came from: the state file carries the mark with the handshake. */
    @Test
    void theOriginOfEveryHandshakeOutlivesARestart() throws java.io.IOException {
        serving.handshake(40010, 1_000, 2_000);
        assertEquals(ImportOutcome.ADDED, backup.store.importHandshake(serving.connection(40010)));
        backup.handshake(40011, 3_000, 4_000);
        backup.feed(TcpFrame.fromClient(40012).seq(5_001).ack(6_001).flags(PSH).payload(10)); // mid-stream: missed
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        StateCodec.write(new java.io.DataOutputStream(bytes), backup.store.connectionsForPersistence(), backup.store.latestCaptureNanos(),
                backup.store.created());
        StateCodec.Restored restored = StateCodec.read(new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray())));

        StoreHarness after = new StoreHarness();
        after.store.restore(restored.connections(), restored.latestCaptureNanos(), restored.created());
        assertEquals(HandshakeOrigin.SYNC, after.store.handshakeOrigins().get(StoreHarness.key(40010)));
        assertEquals(HandshakeOrigin.CAPTURE, after.store.handshakeOrigins().get(StoreHarness.key(40011)));
        assertEquals(HandshakeOrigin.MISSED, after.store.handshakeOrigins().get(StoreHarness.key(40012)));
    }

    @Test
    void theBackupsOwnHandshakeWins() {
        serving.handshake(40002, 100, 900);
        backup.handshake(40002, 100, 900);
        ConnectionSnapshot doctored = withClientIsn(serving.connection(40002), 12345);

        assertEquals(ImportOutcome.ALREADY_KNOWN, backup.store.importHandshake(doctored));
        assertEquals(100, backup.connection(40002).clientToServer().initialSequence());
        assertEquals(HandshakeOrigin.CAPTURE, backup.store.handshakeOrigins().get(StoreHarness.key(40002)));
    }

    @Test
    void closedRemovesOnlyTheSameIncarnation() {
        serving.handshake(40003, 100, 900);
        backup.store.importHandshake(serving.connection(40003));
        ConnectionKey key = StoreHarness.key(40003);

        assertFalse(backup.store.importClosed(key, 101), "another ISN is another incarnation");
        assertTrue(backup.store.find(key).isPresent());
        assertTrue(backup.store.importClosed(key, 100));
        assertTrue(backup.store.find(key).isEmpty());
        assertFalse(backup.store.importClosed(key, DirectionState.UNKNOWN));
    }

    @Test
    void refusesWhatItCannotUse() throws Exception {
        backup.feed(TcpFrame.fromClient(40004).seq(2_501).ack(9_001).flags(PSH).payload(10));
        ConnectionSnapshot midStream = backup.connection(40004);
        StoreHarness empty = new StoreHarness();
        assertEquals(ImportOutcome.REFUSED_NO_HANDSHAKE, empty.store.importHandshake(midStream));

        serving.handshake(40005, 100, 900);
        ConnectionSnapshot c = serving.connection(40005);
        ConnectionSnapshot otherService = new ConnectionSnapshot(c.client(),
                new org.migware.api.connection.Endpoint(InetAddress.getByName("10.77.0.9"), 7000, null),
                c.clientToServer(), c.serverToClient(), c.state(), true, c.firstSeen(), c.lastActivity());
        assertEquals(ImportOutcome.REFUSED_NOT_SERVICE, empty.store.importHandshake(otherService));
        assertEquals(0, empty.store.size());
    }

    private static ConnectionSnapshot withClientIsn(ConnectionSnapshot c, long isn) {
        DirectionState d = c.clientToServer();
        DirectionState changed = new DirectionState(isn, d.mss(), d.windowScale(), d.sackPermitted(), d.timestamps(),
                d.highestAck(), d.highestSequenceEnd(), d.lastTimestampValue(), d.lastWindow(), d.bytes(), d.packets(),
                d.retransmissions(), d.outOfOrder(), d.synEcnFlags());
        return new ConnectionSnapshot(c.client(), c.server(), changed, c.serverToClient(), c.state(), c.handshakeSeen(),
                c.firstSeen(), c.lastActivity());
    }
}
