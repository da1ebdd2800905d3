package org.migware.observability.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.migware.api.failover.FailoverSnapshot;
import org.migware.api.failover.FenceStatus;
import org.migware.api.failover.MigrationProgress;
import org.migware.api.failover.StatusReport;
import org.migware.api.health.HealthStatus;

class HealthReasonsTest {

    private final Observation armed = Observations.armed();
    private final StatusReport report = armed.report();

    @Test
    void armedHasNoReason() {
        assertEquals(List.of(), HealthReasons.of(armed, false));
        assertEquals(null, ArmedState.failoverStateIn(HealthReasons.of(armed, false)));
    }

    /** The notify command tells a disarm the failover causes only after that failover's state change: it reads the state here. */
    @Test
    void theFailoverStateADisarmNamesIsRead() {
        List<String> reasons = List.of("capture pcap4j:eth0: not capturing",
                HealthReasons.FAILOVER_ALREADY_IN + "RECOVERY since 2026-12-07T01:55:15Z (primary DOWN)");
        assertEquals("RECOVERY", ArmedState.failoverStateIn(reasons));
        assertEquals(null, ArmedState.failoverStateIn(List.of("capture pcap4j:eth0: not capturing")));
    }

    @Test
    void aCaptureThatSawNothingOrStoppedIsNamed() {
        assertOnly("capture pcap4j:eth0: has seen no frame yet", with(report.failover(), List.of(Observations.capture(0, true)),
                List.of(Observations.verdict(HealthStatus.UP))));
        assertOnly("capture pcap4j:eth0: not capturing", with(report.failover(), List.of(Observations.capture(100, false)),
                List.of(Observations.verdict(HealthStatus.UP))));
        assertOnly("capture: no capture source is running", with(report.failover(), List.of(), List.of(Observations.verdict(HealthStatus.UP))));
    }

    @Test
    void noMonitorOrAPrimaryNotUpIsNamed() {
        assertOnly("monitor: none is present: nothing would notice the primary fail", with(report.failover(), report.captures(), List.of()));
        assertOnly("monitor icmp: primary 10.77.0.2 is DOWN: no reply",
                with(report.failover(), report.captures(), List.of(Observations.verdict(HealthStatus.DOWN))));
    }

    @Test
    void aReplicaThatDoesNotListenOrADownTunIsNamed() {
        Observation notListening = new Observation(report, true, List.of(), List.of(), Observations.replica(true, false));
        assertOnly("replica: nothing listens on port 7000 (service port 7000)", notListening);
        Observation tunDown = new Observation(report, true, List.of(), List.of(), Observations.replica(false, true));
        assertOnly("tun migware0: down", tunDown);
    }

    @Test
    void migrationThatCannotWorkIsNamed() {
        Observation noProxy = new Observation(report, false, List.of(), List.of(), null);
        assertOnly("migration: the proxy bundle is not running: connections would not be migrated", noProxy);
        Observation unavailable = Observations.withReport(new Observation(report, true, List.of(), List.of(), null),
                new StatusReport(report.time(), report.failover(), report.captures(), report.connections(),
                        MigrationProgress.unavailable("cannot open /dev/net/tun"), report.monitors()));
        assertOnly("migration: unavailable: cannot open /dev/net/tun", unavailable);
    }

    @Test
    void aMissingFenceIsNamedUnlessAccepted() {
        Observation unfenced = with(Observations.normal(new FenceStatus(false, "", null)), report.captures(), report.monitors());
        assertEquals(1, HealthReasons.of(unfenced, false).size());
        assertTrue(HealthReasons.of(unfenced, false).get(0).startsWith("fence: none configured"), HealthReasons.of(unfenced, false).toString());
        assertEquals(List.of(), HealthReasons.of(unfenced, true));
    }

    @Test
    void everyMissingPartIsNamedAtOnce() {
        Observation nothing = new Observation(new StatusReport(Observations.NOW, null, List.of(), null, MigrationProgress.notConfigured(),
                List.of()), false, List.of(), List.of(), null);
        assertEquals(List.of(
                "failover: the core's failover coordinator is not running",
                "capture: no capture source is running",
                "tracker: not running: no connection table",
                "monitor: none is present: nothing would notice the primary fail",
                "migration: the proxy bundle is not running: connections would not be migrated"),
                HealthReasons.of(nothing, true));
    }

    private Observation with(FailoverSnapshot failover, List<org.migware.api.failover.CaptureSnapshot> captures,
            List<org.migware.api.health.HealthVerdict> monitors) {
        return Observations.withReport(armed, new StatusReport(report.time(), failover, captures, report.connections(), report.migration(), monitors));
    }

    private static void assertOnly(String reason, Observation observation) {
        assertEquals(List.of(reason), HealthReasons.of(observation, false));
    }
}
