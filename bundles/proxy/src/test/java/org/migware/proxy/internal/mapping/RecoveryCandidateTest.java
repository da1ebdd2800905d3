package org.migware.proxy.internal.mapping;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.DirectionState;
import org.migware.api.connection.Endpoint;
import org.migware.api.connection.TcpState;

class RecoveryCandidateTest {

    private static ConnectionSnapshot snapshot(TcpState state, boolean handshakeSeen, int clientShift, int serverShift) throws Exception {
        return snapshot(state, handshakeSeen, clientShift, serverShift, 0, 0);
    }
    private static ConnectionSnapshot snapshot(TcpState state, boolean handshakeSeen, int clientShift, int serverShift,
            int clientSynEcn, int serverSynEcn) throws Exception {
        return new ConnectionSnapshot(
                new Endpoint(InetAddress.getByName("10.77.0.1"), 40000, "02:00:00:00:00:01"),
                new Endpoint(InetAddress.getByName("10.77.0.2"), 7000, "02:00:00:00:00:02"),
                new DirectionState(handshakeSeen ? 100 : DirectionState.UNKNOWN, 1460, clientShift, true, true,
                        0xffff_fff0L, 151, 4_000_000_000L, 502, 50, 10, 0, 0, clientSynEcn),
                new DirectionState(handshakeSeen ? 0xffff_ff00L : DirectionState.UNKNOWN, 1460, serverShift, true, true,
                        151, 0xffff_fff0L, 77, 509, 0xef, 8, 0, 0, serverSynEcn),
                state, handshakeSeen, Instant.EPOCH, Instant.EPOCH);
    }
    @Test
    void anEstablishedConnectionBecomesACandidateWithTheTrackersValues() throws Exception {
        RecoveryCandidate.Assessment assessment = RecoveryCandidate.assess(snapshot(TcpState.ESTABLISHED, true, 7, 10));
        RecoveryCandidate c = assertInstanceOf(RecoveryCandidate.Recoverable.class, assessment).candidate();
        assertEquals(0x0a4d_0001, c.clientAddress());
        assertEquals(0x0a4d_0002, c.primaryAddress());
        assertEquals(0x0200_0000_0001L, c.clientMac());
        assertEquals(0x0200_0000_0002L, c.primaryMac());
        assertEquals(151, c.clientResume(), "the primary's highest ACK");
        assertEquals(0xffff_fff0, c.clientAck(), "the client's highest ACK");
        assertEquals(7, c.clientWindowScale());
        assertEquals(10, c.primaryWindowScale());
        assertEquals((int) 4_000_000_000L, c.clientLastTsval());
        assertEquals(77, c.primaryLastTsval());
        assertTrue(c.sackPermitted() && c.timestamps());
        assertFalse(c.ecn(), "no ECN flags on either SYN");
    }
    @Test
    void ecnIsAskedOfTheReplicaOnlyWhenClientAndPrimaryAgreedOnRfc3168() throws Exception {
        int ece = DirectionState.ECE;
        int cwr = DirectionState.CWR;
        int ae = DirectionState.AE;
        assertTrue(candidate(ece | cwr, ece).ecn());
        assertFalse(candidate(ece | cwr, 0).ecn(), "the primary did not agree");
        assertFalse(candidate(ae | ece | cwr, ae).ecn(), "Accurate ECN: its counters cannot be carried over");
        assertFalse(candidate(0, ece).ecn(), "an ECE the client never asked for");
    }
    private static RecoveryCandidate candidate(int clientSynEcn, int serverSynEcn) throws Exception {
        return ((RecoveryCandidate.Recoverable) RecoveryCandidate.assess(
                snapshot(TcpState.ESTABLISHED, true, 7, 7, clientSynEcn, serverSynEcn))).candidate();
    }
    @Test
    void withoutScalingOnBothSidesNeitherShiftApplies() throws Exception {
        RecoveryCandidate c = ((RecoveryCandidate.Recoverable) RecoveryCandidate.assess(snapshot(TcpState.ESTABLISHED, true, 7, -1))).candidate();
        assertEquals(-1, c.clientWindowScale());
        assertEquals(0, c.primaryWindowScale());
    }
    @Test
    void connectionsThatCannotBeRecreatedSayWhy() throws Exception {
        RecoveryCandidate.NotRecoverable missed = assertInstanceOf(RecoveryCandidate.NotRecoverable.class,
                RecoveryCandidate.assess(snapshot(TcpState.ESTABLISHED, false, 7, 7)));
        assertEquals(org.migware.api.failover.NotRecoverableReason.HANDSHAKE_NOT_SEEN, missed.reason());
        assertTrue(missed.words().contains("handshake not seen"), missed.words());
        RecoveryCandidate.NotRecoverable closing = assertInstanceOf(RecoveryCandidate.NotRecoverable.class,
                RecoveryCandidate.assess(snapshot(TcpState.CLOSING, true, 7, 7)));
        assertEquals(org.migware.api.failover.NotRecoverableReason.NOT_ESTABLISHED, closing.reason());
        assertTrue(closing.detail().contains("CLOSING"), closing.detail());
        assertTrue(closing.words().contains("CLOSING"), closing.words());
    }
    /** Issue 10, point 7: only a client that half-closed (its FIN seen, the primary's not) is re-created. */
    @Test
    void aClientThatHalfClosedIsRecreatedUpToItsFinAndOneThePrimaryClosedIsNot() throws Exception {
        RecoveryCandidate c = assertInstanceOf(RecoveryCandidate.Recoverable.class,
                RecoveryCandidate.assess(closing(150, DirectionState.UNKNOWN))).candidate();
        assertEquals(150, c.clientResume(), "the primary acknowledged the FIN (151): the replica's stream still ends at it");
        assertEquals(150, c.clientFinSequence());
        for (long[] fins : new long[][] {{DirectionState.UNKNOWN, 0xffff_ffe0L}, {150, 0xffff_ffe0L}}) {
            RecoveryCandidate.NotRecoverable not = assertInstanceOf(RecoveryCandidate.NotRecoverable.class,
                    RecoveryCandidate.assess(closing(fins[0], fins[1])));
            assertEquals(org.migware.api.failover.NotRecoverableReason.NOT_ESTABLISHED, not.reason());
        }
    }
    private static ConnectionSnapshot closing(long clientFin, long serverFin) throws Exception {
        ConnectionSnapshot s = snapshot(TcpState.CLOSING, true, 7, 7);
        DirectionState a = s.clientToServer();
        DirectionState b = s.serverToClient();
        return new ConnectionSnapshot(s.client(), s.server(),
                new DirectionState(a.initialSequence(), a.mss(), a.windowScale(), a.sackPermitted(), a.timestamps(), a.highestAck(),
                        a.highestSequenceEnd(), a.lastTimestampValue(), a.lastWindow(), a.bytes(), a.packets(), a.retransmissions(),
                        a.outOfOrder(), a.synEcnFlags(), clientFin),
                new DirectionState(b.initialSequence(), b.mss(), b.windowScale(), b.sackPermitted(), b.timestamps(), b.highestAck(),
                        b.highestSequenceEnd(), b.lastTimestampValue(), b.lastWindow(), b.bytes(), b.packets(), b.retransmissions(),
                        b.outOfOrder(), b.synEcnFlags(), serverFin),
                s.state(), true, Instant.EPOCH, Instant.EPOCH);
    }
}
