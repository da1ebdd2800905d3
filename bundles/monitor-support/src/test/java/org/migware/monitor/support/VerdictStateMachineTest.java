package org.migware.monitor.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.migware.api.health.HealthStatus;
import org.migware.api.health.HealthVerdict;
import org.migware.testing.FakeClock;

class VerdictStateMachineTest {

    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private static final ProbeResult OK = ProbeResult.success("echo reply");
    private static final ProbeResult LOST = ProbeResult.miss("no echo reply within 500 ms");

    private final FakeClock clock = new FakeClock(START);

    private VerdictStateMachine machine(int misses, int recoveries) {
        return new VerdictStateMachine("icmp", "192.0.2.10", new ProbeSettings(500, 500, misses, recoveries), clock, "starting");
    }

    /** Advances the clock by one interval, then records. */
    private Optional<HealthVerdict> step(VerdictStateMachine machine, ProbeResult result) {
        clock.advance(Duration.ofMillis(500));
        return machine.record(result);
    }

    @Test
    void startsUnknownWithTheStartReason() {
        VerdictStateMachine machine = machine(1, 1);
        assertEquals(HealthStatus.UNKNOWN, machine.current().status());
        assertEquals("starting", machine.current().reason());
        assertEquals(START, machine.current().time());
        assertEquals("icmp", machine.current().monitor());
        assertEquals("192.0.2.10", machine.current().target());
    }

    @Test
    void firstSuccessIsUpAtOnceEvenWithSeveralRecoveries() {
        VerdictStateMachine machine = machine(3, 5);
        HealthVerdict up = step(machine, OK).orElseThrow();
        assertEquals(HealthStatus.UP, up.status());
        assertEquals(START.plusMillis(500), up.time());
        assertEquals("echo reply", up.reason());
    }

    @Test
    void thesisDefaultsOneMissIsDown() {
        VerdictStateMachine machine = machine(1, 1);
        step(machine, OK);
        HealthVerdict down = step(machine, LOST).orElseThrow();
        assertEquals(HealthStatus.DOWN, down.status());
        assertEquals(START.plusMillis(1000), down.time());
        assertEquals("no echo reply within 500 ms (1 miss)", down.reason());
        HealthVerdict up = step(machine, OK).orElseThrow();
        assertEquals(HealthStatus.UP, up.status());
    }

    @Test
    void downOnlyAfterTheConfiguredConsecutiveMisses() {
        VerdictStateMachine machine = machine(3, 1);
        step(machine, OK);
        assertTrue(step(machine, LOST).isEmpty());
        assertTrue(step(machine, LOST).isEmpty());
        assertEquals(HealthStatus.UP, machine.current().status());
        HealthVerdict down = step(machine, LOST).orElseThrow();
        assertEquals(HealthStatus.DOWN, down.status());
        assertEquals("no echo reply within 500 ms (3 consecutive misses)", down.reason());
        assertTrue(step(machine, LOST).isEmpty(), "a further miss is no new verdict");
    }

    @Test
    void missesFromTheStartStayUnknownUntilEnoughThenDown() {
        VerdictStateMachine machine = machine(2, 1);
        assertTrue(step(machine, LOST).isEmpty());
        assertEquals(HealthStatus.UNKNOWN, machine.current().status());
        assertEquals(HealthStatus.DOWN, step(machine, LOST).orElseThrow().status());
    }

    @Test
    void upAgainOnlyAfterTheConfiguredConsecutiveRecoveries() {
        VerdictStateMachine machine = machine(1, 3);
        step(machine, OK);
        step(machine, LOST);
        assertTrue(step(machine, OK).isEmpty());
        assertTrue(step(machine, OK).isEmpty());
        assertEquals(HealthStatus.DOWN, machine.current().status());
        HealthVerdict up = step(machine, OK).orElseThrow();
        assertEquals(HealthStatus.UP, up.status());
        assertEquals("echo reply (3 consecutive successes)", up.reason());
    }

    @Test
    void flappingBelowTheMissesStaysUp() {
        VerdictStateMachine machine = machine(2, 1);
        step(machine, OK);
        for (int i = 0; i < 50; i++) {
            assertTrue(step(machine, LOST).isEmpty());
            assertTrue(step(machine, OK).isEmpty());
        }
        assertEquals(HealthStatus.UP, machine.current().status());
    }

    @Test
    void flappingBelowTheRecoveriesStaysDown() {
        VerdictStateMachine machine = machine(1, 2);
        step(machine, OK);
        step(machine, LOST);
        for (int i = 0; i < 50; i++) {
            assertTrue(step(machine, OK).isEmpty());
            assertTrue(step(machine, LOST).isEmpty());
        }
        assertEquals(HealthStatus.DOWN, machine.current().status());
    }

    @Test
    void flappingWithThesisDefaultsChangesEveryTime() {
        VerdictStateMachine machine = machine(1, 1);
        step(machine, OK);
        for (int i = 0; i < 10; i++) {
            assertEquals(HealthStatus.DOWN, step(machine, LOST).orElseThrow().status());
            assertEquals(HealthStatus.UP, step(machine, OK).orElseThrow().status());
        }
    }

    @Test
    void aBrokenProbeIsUnknownNeverDownAndStartsCountingAfresh() {
        VerdictStateMachine machine = machine(2, 1);
        step(machine, OK);
        step(machine, LOST);
        HealthVerdict unknown = step(machine, ProbeResult.unknown("raw sockets need root")).orElseThrow();
        assertEquals(HealthStatus.UNKNOWN, unknown.status());
        assertEquals("raw sockets need root", unknown.reason());
        assertTrue(step(machine, ProbeResult.unknown("raw sockets need root")).isEmpty());
        assertTrue(step(machine, LOST).isEmpty(), "the miss before the broken probe does not count");
        assertEquals(HealthStatus.DOWN, step(machine, LOST).orElseThrow().status());
    }

    @Test
    void settingsNameTheKeyThatIsWrong() {
        assertEquals("'misses' must be at least 1 (is 0)",
                assertThrows(IllegalArgumentException.class, () -> new ProbeSettings(500, 500, 0, 1)).getMessage());
        assertEquals("'intervalMillis' must be at least 1 (is -5)",
                assertThrows(IllegalArgumentException.class, () -> new ProbeSettings(-5, 500, 1, 1)).getMessage());
        assertEquals("'timeoutMillis' must be at least 1 (is 0)",
                assertThrows(IllegalArgumentException.class, () -> new ProbeSettings(500, 0, 1, 1)).getMessage());
        assertEquals("'recoveries' must be at least 1 (is 0)",
                assertThrows(IllegalArgumentException.class, () -> new ProbeSettings(500, 500, 1, 0)).getMessage());
        assertFalse(ProbeSettings.THESIS.describe().isEmpty());
    }
}
