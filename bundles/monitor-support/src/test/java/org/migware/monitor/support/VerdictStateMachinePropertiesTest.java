package org.migware.monitor.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.migware.api.health.HealthStatus;
import org.migware.api.health.HealthVerdict;
import org.migware.testing.FakeClock;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class VerdictStateMachinePropertiesTest {

    /** Turns every miss that would make a run of {@code misses} into a success. */
    private static List<Boolean> withShortMissRuns(List<Boolean> outcomes, int misses) {
        List<Boolean> result = new ArrayList<>();
        int run = 0;
        for (boolean success : outcomes) {
            boolean kept = success || run + 1 >= misses;
            result.add(kept);
            run = kept ? 0 : run + 1;
        }
        return result;
    }

    @Property
    void fewerConsecutiveMissesThanConfiguredNeverYieldDown(@ForAll @Size(max = 300) List<Boolean> outcomes,
                                                            @ForAll @IntRange(min = 1, max = 8) int misses,
                                                            @ForAll @IntRange(min = 1, max = 8) int recoveries) {
        FakeClock clock = new FakeClock(Instant.EPOCH);
        VerdictStateMachine machine = new VerdictStateMachine("p", "t", new ProbeSettings(20, 20, misses, recoveries), clock, "start");
        for (boolean success : withShortMissRuns(outcomes, misses)) {
            clock.advance(Duration.ofMillis(20));
            machine.record(success ? ProbeResult.success("ok") : ProbeResult.miss("lost"))
                    .ifPresent(verdict -> assertNotEquals(HealthStatus.DOWN, verdict.status()));
            assertNotEquals(HealthStatus.DOWN, machine.current().status());
        }
    }

    @Property
    void theVerdictIsWhatTheLastRunsSay(@ForAll @Size(max = 300) List<Boolean> outcomes,
                                        @ForAll @IntRange(min = 1, max = 8) int misses,
                                        @ForAll @IntRange(min = 1, max = 8) int recoveries) {
        FakeClock clock = new FakeClock(Instant.EPOCH);
        VerdictStateMachine machine = new VerdictStateMachine("p", "t", new ProbeSettings(20, 20, misses, recoveries), clock, "start");
        HealthStatus model = HealthStatus.UNKNOWN;
        int missRun = 0;
        int successRun = 0;
        for (boolean success : outcomes) {
            clock.advance(Duration.ofMillis(20));
            HealthStatus before = machine.current().status();
            machine.record(success ? ProbeResult.success("ok") : ProbeResult.miss("lost"));
            missRun = success ? 0 : missRun + 1;
            successRun = success ? successRun + 1 : 0;
            if (missRun >= misses) {
                model = HealthStatus.DOWN;
            } else if (success && (model == HealthStatus.UNKNOWN || successRun >= recoveries)) {
                model = HealthStatus.UP;
            }
            HealthVerdict now = machine.current();
            assertEquals(model, now.status());
            if (now.status() != before) {
                assertEquals(clock.instant(), now.time(), "a change carries the time it was reached");
            }
        }
    }
}
