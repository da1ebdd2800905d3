package org.migware.core.internal.decision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import org.junit.jupiter.api.Test;
import org.migware.api.health.HealthStatus;
import org.migware.api.health.HealthVerdict;
import org.migware.core.internal.decision.DecisionPolicy.Outcome;

class DecisionPolicyTest {

    private static final long MS = 1_000_000L;

    private static HealthVerdict verdict(String monitor, HealthStatus status) {
        return new HealthVerdict(monitor, "10.77.0.2", status, Instant.EPOCH, "test");
    }

    @Test
    void anyFailsOverOnOneDownMonitorAtOnceWithoutHoldDown() {
        DecisionPolicy policy = DecisionPolicy.of("any", 1, 0);
        assertEquals(Outcome.ALIVE, policy.evaluate(List.of(verdict("icmp", HealthStatus.UP), verdict("tcp", HealthStatus.UP)), 0).outcome());
        DecisionPolicy.Evaluation down = policy.evaluate(List.of(verdict("icmp", HealthStatus.DOWN), verdict("tcp", HealthStatus.UP)), 1);
        assertEquals(Outcome.DOWN, down.outcome());
        assertTrue(down.reason().contains("icmp"), down.reason());
    }

    @Test
    void allNeedsEveryMonitorAndQuorumItsCount() {
        DecisionPolicy all = DecisionPolicy.of("all", 1, 0);
        assertEquals(Outcome.ALIVE, all.evaluate(List.of(verdict("icmp", HealthStatus.DOWN), verdict("tcp", HealthStatus.UP)), 0).outcome());
        assertEquals(Outcome.DOWN, all.evaluate(List.of(verdict("icmp", HealthStatus.DOWN), verdict("tcp", HealthStatus.DOWN)), 0).outcome());
        DecisionPolicy quorum = DecisionPolicy.of("quorum", 2, 0);
        List<HealthVerdict> oneOfThree = List.of(verdict("a", HealthStatus.DOWN), verdict("b", HealthStatus.UNKNOWN), verdict("c", HealthStatus.UP));
        assertEquals(Outcome.ALIVE, quorum.evaluate(oneOfThree, 0).outcome());
        List<HealthVerdict> twoOfThree = List.of(verdict("a", HealthStatus.DOWN), verdict("b", HealthStatus.DOWN), verdict("c", HealthStatus.UP));
        assertEquals(Outcome.DOWN, quorum.evaluate(twoOfThree, 0).outcome());
    }

    @Test
    void noMonitorNeverFailsOver() {
        for (String mode : List.of("any", "all", "quorum")) {
            assertEquals(Outcome.ALIVE, DecisionPolicy.of(mode, 1, 0).evaluate(List.of(), 0).outcome(), mode);
        }
    }

    @Test
    void holdDownWaitsForAnUnbrokenDownStreak() {
        DecisionPolicy policy = DecisionPolicy.of("any", 1, 100);
        List<HealthVerdict> down = List.of(verdict("icmp", HealthStatus.DOWN));
        List<HealthVerdict> up = List.of(verdict("icmp", HealthStatus.UP));
        assertEquals(Outcome.SUSPECT, policy.evaluate(down, 0).outcome());
        assertEquals(Outcome.SUSPECT, policy.evaluate(down, 99 * MS).outcome());
        assertEquals(Outcome.ALIVE, policy.evaluate(up, 99 * MS + 1).outcome());
        assertEquals(Outcome.SUSPECT, policy.evaluate(down, 150 * MS).outcome());
        assertEquals(Outcome.DOWN, policy.evaluate(down, 250 * MS).outcome());
    }

    @Test
    void wrongSettingsNameTheirKey() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DecisionPolicy.of("most", 1, 0)).getMessage().contains("'policy'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DecisionPolicy.of("quorum", 0, 0)).getMessage().contains("'quorum'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DecisionPolicy.of("any", 1, -5)).getMessage().contains("'holdDownMillis'"));
    }

    /**
     * No verdict sequence inside the hysteresis flips the state: whatever a flapping monitor
     * says, as long as no DOWN streak lasts the hold-down time, the outcome is never DOWN.
     */
    @Property(tries = 500)
    void flappingShorterThanTheHoldDownNeverFailsOver(
            @ForAll @IntRange(min = 1, max = 500) int holdDownMillis,
            @ForAll @Size(min = 1, max = 200) List<@IntRange(min = 1, max = 1000) Integer> streakMillis,
            @ForAll @IntRange(min = 1, max = 3) int monitors) {
        DecisionPolicy policy = DecisionPolicy.of("any", 1, holdDownMillis);
        long now = 0;
        boolean down = false;
        for (int length : streakMillis) {
            // a DOWN streak is cut below the hold-down; an UP streak may be any length
            long streak = down ? Math.min(length, holdDownMillis - 1) : length;
            List<HealthVerdict> verdicts = new ArrayList<>();
            for (int m = 0; m < monitors; m++) {
                verdicts.add(verdict("m" + m, down && m == 0 ? HealthStatus.DOWN : HealthStatus.UP));
            }
            for (long t = 0; t < streak; t += 7) {
                assertNotEquals(Outcome.DOWN, policy.evaluate(verdicts, (now + t) * MS).outcome());
            }
            now += Math.max(streak, 1);
            down = !down;
        }
    }
}
