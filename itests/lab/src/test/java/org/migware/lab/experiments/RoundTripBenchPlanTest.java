package org.migware.lab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RoundTripBenchPlanTest {

    @Test
    void tenThousandConnectionsCarryingAThousandRequestsASecond() {
        RoundTripBench.Plan plan = RoundTripBench.Plan.of(10_000, 1000);

        assertEquals(10_000, plan.intervalMillis(), "each connection every 10 s");
        assertEquals(1000.0, plan.requestsPerSecond(), 1e-9);
        assertEquals(5000, plan.connectMillis(), "2,000 connects a second");
        assertEquals(20_000, plan.measureMillis(), "two requests per connection per window");
        assertEquals(10_000, plan.settleMillis(), "every connection sent again after PROXY before the window");
        assertEquals(5000 + MigrationExperiment.WARMUP_MILLIS + 20_000, plan.beforeFailureMillis());
        assertEquals(3000 + 5000 + 10_000 + 20_000, plan.afterFailureMillis());
    }

    @Test
    void withoutARateTheScenarioKeepsItsInterval() {
        RoundTripBench.Plan plan = RoundTripBench.Plan.of(200, 0);

        assertEquals(500, plan.intervalMillis());
        assertEquals(400.0, plan.requestsPerSecond(), 1e-9);
        assertEquals(0, plan.connectMillis());
        assertEquals(8000, plan.measureMillis());
        assertEquals(MigrationExperiment.SETTLE_MILLIS, plan.settleMillis());
    }

    @Test
    void proxySettingsArePairsAndPartOfWhatRan() {
        RoundTripBench.Plan plain = RoundTripBench.Plan.of(200, 0);
        RoundTripBench.Plan set = plain.withProxySettings("stateSnapshotMillis=0, delivery=resume");

        assertEquals(java.util.Map.of("stateSnapshotMillis", "0", "delivery", "resume"), set.proxySettings());
        assertEquals(plain, plain.withProxySettings(null));
        org.junit.jupiter.api.Assertions.assertNotEquals(plain, set, "rounds with other settings are summed apart");
        assertThrows(IllegalArgumentException.class, () -> plain.withProxySettings("stateSnapshotMillis"));
    }

    @Test
    void noConnectionsIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> RoundTripBench.Plan.of(0, 1000));
    }
}
