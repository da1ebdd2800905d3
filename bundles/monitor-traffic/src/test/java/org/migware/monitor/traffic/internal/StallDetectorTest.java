package org.migware.monitor.traffic.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.migware.api.health.HealthStatus;
import org.migware.api.health.HealthVerdict;
import org.migware.testing.TcpFrame;

/**
 * The detector and the verdict state machine together, on a fake clock, with frames through
 * the real parser. The workload is the thesis's: clients push a small record every 500 ms and the
 * server only acknowledges.
 */
class StallDetectorTest {

    private static final long ISN = 1_000_000L;

    /** Half a second of the thesis workload: every client sends a record, the server ACKs it 1 ms later. */
    private static void healthyRound(Harness h, List<Harness.Connection> connections) {
        for (Harness.Connection c : connections) {
            c.data(100);
        }
        h.advance(1);
        for (Harness.Connection c : connections) {
            c.serverAcksAll();
        }
        h.advance(499);
    }

    /** The primary is gone: each client sends a record and retransmits it with doubling RTO. */
    private static void deadRound(Harness h, List<Harness.Connection> connections, long millis) {
        for (Harness.Connection c : connections) {
            c.data(100);
        }
        long rto = 200;
        long elapsed = 0;
        while (elapsed + rto <= millis) {
            h.advance(rto);
            elapsed += rto;
            for (Harness.Connection c : connections) {
                c.retransmit();
            }
            rto *= 2;
        }
        h.advance(millis - elapsed);
    }

    private static List<Harness.Connection> established(Harness h, int count) {
        List<Harness.Connection> connections = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            connections.add(h.connection(40000 + i, ISN + 1_000_000L * i).handshake());
        }
        return connections;
    }

    @Test
    void healthyExchangeStaysUp() {
        Harness h = new Harness();
        List<Harness.Connection> connections = established(h, 3);
        for (int round = 0; round < 40; round++) {
            healthyRound(h, connections);
            assertEquals(HealthStatus.UP, h.status(), () -> h.lastEvidence().reason());
        }
        assertFalse(h.everDown());
        assertEquals(1, h.changes.size(), "one change, UNKNOWN to UP: " + h.changes);
        assertEquals(3, h.detector.size());
    }

    @Test
    void clientsRetransmittingIntoSilenceGoDownAfterMisses() {
        Harness h = new Harness();
        List<Harness.Connection> connections = established(h, 3);
        for (int round = 0; round < 4; round++) {
            healthyRound(h, connections);
        }
        assertEquals(HealthStatus.UP, h.status());
        int before = h.evidence.size();

        deadRound(h, connections, 3000);

        List<Evidence> after = h.evidence.subList(before, h.evidence.size());
        int firstDown = indexOf(after, HealthStatus.DOWN);
        assertTrue(firstDown >= 0, "DOWN-evidence expected: " + after);
        // stallMillis of silence and of unacknowledged data, then misses (3) evaluations in a row
        assertTrue(firstDown * Harness.EVALUATE_MILLIS >= 1000, "no DOWN-evidence before stallMillis: " + firstDown);
        for (int i = firstDown; i < after.size(); i++) {
            assertEquals(HealthStatus.DOWN, after.get(i).status(), "DOWN-evidence stays while the server is silent");
        }
        HealthVerdict down = h.changes.get(h.changes.size() - 1);
        assertEquals(HealthStatus.DOWN, down.status());
        assertEquals(HealthStatus.DOWN, h.status());
        // exactly the third DOWN-evidence turned the verdict
        Evidence third = after.get(firstDown + 2);
        assertTrue(down.reason().startsWith(third.reason()), down.reason());
        assertTrue(down.reason().contains("3 of 3 connections"), down.reason());
        assertTrue(down.reason().contains("(3 consecutive misses)"), down.reason());
    }

    @Test
    void fewerThanMissesDownEvidenceIsNotDown() {
        Harness h = new Harness(DetectorSettings.DEFAULTS, 30, 1);
        List<Harness.Connection> connections = established(h, 1);
        healthyRound(h, connections);
        deadRound(h, connections, 1000 + 29 * Harness.EVALUATE_MILLIS);
        assertEquals(HealthStatus.DOWN, h.lastEvidence().status());
        assertNotEquals(HealthStatus.DOWN, h.status(), "29 of 30 misses: " + h.changes);
        h.advance(Harness.EVALUATE_MILLIS);
        assertEquals(HealthStatus.DOWN, h.status());
    }

    @Test
    void idleServiceNeverGoesDown() {
        Harness h = new Harness();
        // no traffic at all
        h.advance(10_000);
        assertEquals(HealthStatus.UNKNOWN, h.status());
        assertEquals(Evidence.NOTHING_TO_JUDGE, h.lastEvidence().reason());

        // established connections, every byte acknowledged, then a long silence of both sides
        List<Harness.Connection> connections = established(h, 5);
        for (Harness.Connection c : connections) {
            c.data(10);
            c.serverAcksAll();
        }
        h.advance(60_000);
        assertFalse(h.everDown());
        assertEquals(HealthStatus.UNKNOWN, h.lastEvidence().status());
        assertEquals(Evidence.NOTHING_TO_JUDGE, h.lastEvidence().reason());
        assertEquals(HealthStatus.UNKNOWN, h.status(), "idle: the verdict says it cannot tell");
    }

    @Test
    void healthyThenIdleBecomesUnknownNeverDown() {
        Harness h = new Harness();
        List<Harness.Connection> connections = established(h, 2);
        for (int round = 0; round < 4; round++) {
            healthyRound(h, connections);
        }
        assertEquals(HealthStatus.UP, h.status());
        h.advance(30_000);
        assertEquals(HealthStatus.UNKNOWN, h.status());
        assertEquals(Evidence.NOTHING_TO_JUDGE, h.machine.current().reason());
        assertFalse(h.everDown());
    }

    @Test
    void keepalivesOfAnIdleConnectionAreNotRetransmissions() {
        Harness h = new Harness();
        Harness.Connection c = established(h, 1).get(0);
        c.data(10);
        c.serverAcksAll();
        for (int i = 0; i < 20; i++) {
            h.advance(1000);
            c.keepalive();
        }
        assertFalse(h.everDown());
        assertEquals(Evidence.NOTHING_TO_JUDGE, h.lastEvidence().reason());
    }

    @Test
    void oneSlowConnectionWhileTheServerAnswersOthersIsNotDown() {
        Harness h = new Harness();
        List<Harness.Connection> connections = established(h, 3);
        Harness.Connection slow = connections.get(0);
        List<Harness.Connection> others = connections.subList(1, 3);
        slow.data(100);
        for (int round = 0; round < 20; round++) {
            slow.retransmit();
            healthyRound(h, others);
        }
        assertFalse(h.everDown(), () -> h.changes.toString());
        assertEquals(HealthStatus.UP, h.status());
        assertEquals(1, h.lastEvidence().stalled(), "the slow connection is seen as stalled, just not as a dead server");
    }

    @Test
    void lossOnTheWayWithDuplicateAcksIsNotDown() {
        Harness h = new Harness();
        Harness.Connection c = established(h, 1).get(0);
        c.data(100);
        c.serverAcksAll();
        int acked = c.clientNext;
        c.data(100);
        for (int i = 0; i < 30; i++) {
            // the server never got the segment: it keeps sending duplicate ACKs (say, for its own data)
            h.advance(300);
            c.retransmit();
            c.serverAcks(acked);
        }
        assertFalse(h.everDown());
        assertTrue(h.lastEvidence().reason().contains("not conclusive"), h.lastEvidence().reason());
    }

    @Test
    void serverAnsweringAgainRecovers() {
        Harness h = new Harness();
        List<Harness.Connection> connections = established(h, 2);
        healthyRound(h, connections);
        deadRound(h, connections, 3000);
        assertEquals(HealthStatus.DOWN, h.status());

        connections.get(0).serverAcksAll();
        h.advance(Harness.EVALUATE_MILLIS);
        assertEquals(HealthStatus.UP, h.status(), () -> h.changes.toString());
        HealthVerdict up = h.changes.get(h.changes.size() - 1);
        assertTrue(up.reason().startsWith("the server acknowledged client data"), up.reason());
    }

    @Test
    void recoveriesConsecutiveUpEvidenceLeaveDown() {
        Harness h = new Harness(DetectorSettings.DEFAULTS, 3, 4);
        List<Harness.Connection> connections = established(h, 1);
        healthyRound(h, connections);
        deadRound(h, connections, 3000);
        assertEquals(HealthStatus.DOWN, h.status());
        connections.get(0).serverAcksAll();
        h.advance(3 * Harness.EVALUATE_MILLIS);
        assertEquals(HealthStatus.DOWN, h.status(), "three of four recoveries");
        h.advance(Harness.EVALUATE_MILLIS);
        assertEquals(HealthStatus.UP, h.status());
    }

    @Test
    void primaryAlreadyDeadWhenMonitoringStartsIsFound() {
        Harness h = new Harness();
        // first seen mid-stream: only the client's retransmissions
        Harness.Connection c = h.connection(40000, 0x1234_5678L);
        deadRound(h, List.of(c), 4000);
        assertEquals(HealthStatus.DOWN, h.status());
    }

    @Test
    void clientDataWithoutRetransmissionIsNotEnough() {
        Harness h = new Harness(new DetectorSettings(1000, 1, 2, 100, 300_000), 3, 1);
        Harness.Connection c = established(h, 1).get(0);
        c.data(100);
        h.advance(300);
        c.retransmit();
        h.advance(5000);
        assertFalse(h.everDown(), "one retransmission of the two required");
        c.retransmit();
        h.advance(3 * Harness.EVALUATE_MILLIS);
        assertEquals(HealthStatus.DOWN, h.status());
    }

    @Test
    void minStalledConnectionsCounts() {
        Harness h = new Harness(new DetectorSettings(1000, 2, 1, 100, 300_000), 3, 1);
        List<Harness.Connection> connections = established(h, 2);
        deadRound(h, connections.subList(0, 1), 5000);
        assertFalse(h.everDown(), "one stalled connection of the two required");
        deadRound(h, connections, 3000);
        assertEquals(HealthStatus.DOWN, h.status());
    }

    @Test
    void sequenceNumbersWrapAround() {
        Harness h = new Harness();
        // 255 bytes before 2^32: the third record of 100 bytes crosses the wrap, the rest lie beyond it
        List<Harness.Connection> connections = List.of(h.connection(40000, 0xffff_ff00L).handshake());
        for (int round = 0; round < 6; round++) {
            healthyRound(h, connections);
            assertEquals(HealthStatus.UP, h.status(), () -> h.lastEvidence().reason());
        }
        assertTrue(Integer.compareUnsigned(connections.get(0).clientNext, 0x1000) < 0, "wrapped");
        assertFalse(h.everDown());

        // stall right across the wrap
        Harness.Connection c = h.connection(40001, 0xffff_ffc0L).handshake();
        c.serverAcksAll();
        deadRound(h, List.of(c), 3000);
        assertEquals(HealthStatus.DOWN, h.status());
        c.serverAcksAll();
        h.advance(Harness.EVALUATE_MILLIS);
        assertEquals(HealthStatus.UP, h.status());
    }

    @Test
    void resetsForgetConnections() {
        Harness h = new Harness();
        List<Harness.Connection> connections = established(h, 2);
        connections.get(0).data(10);
        connections.get(1).data(10);
        assertEquals(2, h.detector.size());
        connections.get(0).clientReset();
        connections.get(1).serverReset();
        assertEquals(0, h.detector.size());
        h.advance(5000);
        assertFalse(h.everDown());
    }

    @Test
    void theTableIsBoundedAndForgetsIdleConnections() {
        Harness h = new Harness(new DetectorSettings(1000, 1, 1, 2, 10_000), 3, 1);
        List<Harness.Connection> connections = established(h, 3);
        for (Harness.Connection c : connections) {
            c.data(10);
        }
        assertEquals(2, h.detector.size());
        assertEquals(2, h.detector.segmentsNotFollowed(), "the third connection's SYN and data");
        h.advance(10_000 + Harness.EVALUATE_MILLIS);
        assertEquals(0, h.detector.size(), "idle past idleTimeoutMillis");
        connections.get(2).data(10);
        assertEquals(1, h.detector.size());
    }

    @Test
    void aNewSynOnAReusedPortStartsAfresh() {
        Harness h = new Harness();
        Harness.Connection old = h.connection(40000, 1000).handshake();
        old.data(100);
        old.retransmit();
        Harness.Connection reused = h.connection(40000, 0x7000_0000L).handshake();
        reused.data(10);
        reused.serverAcksAll();
        h.advance(5000);
        assertFalse(h.everDown());
        assertEquals(Evidence.NOTHING_TO_JUDGE, h.lastEvidence().reason());
    }

    @Test
    void otherTrafficIsIgnored() {
        Harness h = new Harness();
        for (int i = 0; i < 10; i++) {
            // the client talks to another port of the same host, which never answers
            h.send(TcpFrame.fromClient(40000).toPort(7001).seq(1000).ack(1).payload(100).flags(0x08));
            h.advance(300);
        }
        assertEquals(0, h.detector.size());
        assertEquals(Evidence.NOTHING_TO_JUDGE, h.lastEvidence().reason());
    }

    private static int indexOf(List<Evidence> evidence, HealthStatus status) {
        for (int i = 0; i < evidence.size(); i++) {
            if (evidence.get(i).status() == status) {
                return i;
            }
        }
        return -1;
    }
}
