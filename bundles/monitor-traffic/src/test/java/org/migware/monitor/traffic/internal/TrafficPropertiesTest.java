package org.migware.monitor.traffic.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.migware.api.health.HealthStatus;

/** Properties of the detector over many interleavings, sequence values and table operations. */
class TrafficPropertiesTest {

    private static final long STALL_MILLIS = DetectorSettings.DEFAULTS.stallMillis();

    enum Action { CLIENT_DATA, CLIENT_RETRANSMIT, CLIENT_KEEPALIVE, SERVER_ACK_ALL, SERVER_ACK_PART, SERVER_DUP_ACK, SERVER_DATA }

    record Step(int connection, Action action, int gapMillis) {
    }

    @Provide
    Arbitrary<List<Step>> scripts() {
        return Combinators.combine(Arbitraries.integers().between(0, 3), Arbitraries.of(Action.class),
                Arbitraries.integers().between(0, 1500)).as(Step::new).list().ofMinSize(1).ofMaxSize(120);
    }

    /**
     * Whatever the clients do and however the server's packets interleave with theirs, a server
     * that makes ACK progress on some connection at least once per stallMillis is never judged
     * DOWN — neither one evaluation's evidence nor the verdict.
     */
    @Property(tries = 300, edgeCases = EdgeCasesMode.MIXIN)
    void serverAckProgressWithinStallMillisNeverYieldsDown(@ForAll("scripts") List<Step> script, @ForAll int isn) {
        Harness h = new Harness();
        List<Harness.Connection> connections = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            // spread over the sequence space, wrap-around included
            connections.add(h.connection(40000 + i, (isn + 0x4000_0000L * i) & 0xffff_ffffL).handshake());
        }
        long lastProgress = h.clock.elapsedMillis();
        for (Step step : script) {
            long remaining = step.gapMillis();
            while (remaining > 0) {
                long due = Math.max(0, STALL_MILLIS - 1 - (h.clock.elapsedMillis() - lastProgress));
                long piece = Math.min(remaining, due);
                h.advance(piece);
                remaining -= piece;
                if (h.clock.elapsedMillis() - lastProgress >= STALL_MILLIS - 1) {
                    forceProgress(connections);
                    lastProgress = h.clock.elapsedMillis();
                }
            }
            Harness.Connection c = connections.get(step.connection());
            int ackedBefore = c.serverAcked;
            switch (step.action()) {
                case CLIENT_DATA -> c.data(1 + (step.gapMillis() % 1400));
                case CLIENT_RETRANSMIT -> {
                    if (c.lastSegmentLength > 0) {
                        c.retransmit();
                    }
                }
                case CLIENT_KEEPALIVE -> c.keepalive();
                case SERVER_ACK_ALL -> c.serverAcksAll();
                case SERVER_ACK_PART -> c.serverAcks(c.serverAcked + (c.clientNext - c.serverAcked) / 2);
                case SERVER_DUP_ACK -> c.serverAcks(c.serverAcked);
                case SERVER_DATA -> c.serverData(100);
            }
            if (c.serverAcked - ackedBefore > 0) {
                lastProgress = h.clock.elapsedMillis();
            }
        }
        h.advance(STALL_MILLIS - 1 - (h.clock.elapsedMillis() - lastProgress));
        assertFalse(h.everDown(), () -> h.changes.toString());
    }

    /** Makes the server acknowledge something: outstanding data if any, else a fresh record. */
    private static void forceProgress(List<Harness.Connection> connections) {
        for (Harness.Connection c : connections) {
            if (c.outstanding()) {
                c.serverAcksAll();
                return;
            }
        }
        Harness.Connection first = connections.get(0);
        first.data(10);
        first.serverAcksAll();
    }

    /** Wherever the connection lies in sequence space: healthy is UP, a stall is DOWN, an answer UP again. */
    @Property(tries = 200, edgeCases = EdgeCasesMode.MIXIN)
    void verdictsDoNotDependOnWhereSequenceNumbersLie(@ForAll int isn, @ForAll @IntRange(min = 1, max = 65_000) int record) {
        Harness h = new Harness();
        Harness.Connection c = h.connection(40000, isn & 0xffff_ffffL).handshake();
        for (int i = 0; i < 4; i++) {
            c.data(record);
            h.advance(1);
            c.serverAcksAll();
            h.advance(499);
        }
        assertEquals(HealthStatus.UP, h.status());
        c.data(record);
        for (long rto = 200; rto <= 1600; rto *= 2) {
            h.advance(rto);
            c.retransmit();
        }
        assertEquals(HealthStatus.DOWN, h.status());
        c.serverAcksAll();
        h.advance(Harness.EVALUATE_MILLIS);
        assertEquals(HealthStatus.UP, h.status());
    }

    enum TableOp { DATA, ACK_ALL, CLIENT_RESET, SERVER_RESET }

    record Op(int port, TableOp op) {
    }

    @Provide
    Arbitrary<List<Op>> tableOps() {
        return Combinators.combine(Arbitraries.integers().between(0, 40), Arbitraries.of(TableOp.class)).as(Op::new)
                .list().ofMinSize(1).ofMaxSize(400);
    }

    /**
     * The open-addressing table (linear probing, backward-shift deletion) against a map: same
     * connections followed, same ones with data outstanding, the bound kept.
     */
    @Property(tries = 300, edgeCases = EdgeCasesMode.MIXIN)
    void theTableAgreesWithAMap(@ForAll("tableOps") List<Op> ops) {
        int bound = 16;
        Harness h = new Harness(new DetectorSettings(1000, 1, 1, bound, 300_000), 3, 1);
        Map<Integer, Boolean> model = new HashMap<>(); // port -> outstanding
        Map<Integer, Harness.Connection> connections = new HashMap<>();
        for (Op op : ops) {
            Harness.Connection c = connections.computeIfAbsent(op.port(), p -> h.connection(20000 + p, p * 7919L * 65_537L));
            switch (op.op()) {
                case DATA -> {
                    c.data(10);
                    if (model.containsKey(op.port()) || model.size() < bound) {
                        model.put(op.port(), true);
                    }
                }
                case ACK_ALL -> {
                    c.serverAcksAll();
                    model.computeIfPresent(op.port(), (p, outstanding) -> false);
                }
                case CLIENT_RESET -> {
                    c.clientReset();
                    model.remove(op.port());
                    connections.remove(op.port());
                }
                case SERVER_RESET -> {
                    c.serverReset();
                    model.remove(op.port());
                    connections.remove(op.port());
                }
            }
            Evidence evidence = h.detector.evaluate();
            assertEquals(model.size(), evidence.tracked(), "followed");
            assertEquals(model.values().stream().filter(b -> b).count(), evidence.outstanding(), "outstanding");
        }
    }
}
