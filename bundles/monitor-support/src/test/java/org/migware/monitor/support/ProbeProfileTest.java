package org.migware.monitor.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.migware.api.health.HealthStatus;
import org.migware.testing.FakeClock;

class ProbeProfileTest {

    @Test
    void anEmptyProfileIsTheSafeOneAndEveryNameIsKnownInAnyCase() {
        assertEquals(ProbeProfile.SAFE, ProbeProfile.named(""));
        assertEquals(ProbeProfile.SAFE, ProbeProfile.named(null));
        assertEquals(ProbeProfile.THESIS, ProbeProfile.named(" Thesis "));
        assertEquals(ProbeProfile.FAST, ProbeProfile.named("fast"));
        assertEquals(new ProbeSettings(500, 500, 1, 1), ProbeProfile.THESIS.settings());
        assertEquals(new ProbeSettings(100, 100, 8, 1), ProbeProfile.SAFE.settings());
    }

    @Test
    void anUnknownProfileNamesTheKeyAndTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ProbeProfile.named("paranoid"));
        assertEquals("'profile' must be one of safe, thesis, fast (is 'paranoid')", e.getMessage());
    }

    @Test
    void aKeySetBesideTheProfileOverridesOnlyItsOwnValue() {
        assertEquals(new ProbeSettings(100, 100, 8, 1), ProbeProfile.resolve("safe", 0, 0, 0, 0));
        assertEquals(new ProbeSettings(500, 500, 3, 1), ProbeProfile.resolve("thesis", 0, 0, 3, 0));
        assertEquals(new ProbeSettings(50, 100, 8, 2), ProbeProfile.resolve("", 50, 0, 0, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ProbeProfile.resolve("safe", 0, 0, -1, 0));
        assertEquals("'misses' must be at least 1 (is -1)", e.getMessage());
    }

    /**
     * Ten minutes of probes that each get lost with 4 % probability (2 % loss each way), through the
     * verdict state machine: the safe profile never says DOWN, the thesis's does within seconds. A
     * seeded random stream, so the outcome is fixed; the odds are in {@link ProbeProfile#SAFE}.
     */
    @Test
    void underFourPercentProbeLossTheSafeProfileStaysUpForTenMinutesAndTheThesisDoesNot() {
        assertEquals(0, downVerdicts(ProbeProfile.SAFE, 10 * 60 * 1000));
        assertTrue(downVerdicts(ProbeProfile.THESIS, 10 * 60 * 1000) > 10);
    }

    private static int downVerdicts(ProbeProfile profile, long millis) {
        FakeClock clock = new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));
        ProbeSettings s = profile.settings();
        VerdictStateMachine machine = new VerdictStateMachine("icmp", "192.0.2.10", s, clock, "starting");
        Random random = new Random(42);
        int downs = 0;
        for (long t = 0; t < millis; t += s.intervalMillis()) {
            ProbeResult r = random.nextDouble() < 0.0396 ? ProbeResult.miss("lost") : ProbeResult.success("reply");
            if (machine.record(r).map(v -> v.status() == HealthStatus.DOWN).orElse(false)) {
                downs++;
            }
        }
        return downs;
    }
}
