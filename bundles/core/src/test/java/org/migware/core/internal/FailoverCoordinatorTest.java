package org.migware.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.migware.api.failover.FailoverEvent;
import org.migware.api.failover.FailoverPolicy;
import org.migware.api.failover.FailoverSnapshot;
import org.migware.api.failover.FenceStatus;
import org.migware.api.failover.FailoverState;
import org.migware.api.health.HealthMonitor;
import org.migware.api.health.HealthStatus;
import org.migware.api.health.HealthVerdict;
import org.migware.core.internal.status.StatusRecords;
import org.migware.core.internal.status.StatusText;

class FailoverCoordinatorTest {

    private final TestSurroundings surroundings = new TestSurroundings();
    private final AtomicLong monotonic = surroundings.monotonic;
    private final List<FailoverEvent> events = new ArrayList<>();

    private FailoverCoordinator coordinator(String policy, long holdDownMillis, boolean dryRun) {
        return coordinator(TestConfigs.failover(policy, 1, holdDownMillis, 3000, dryRun));
    }

    private FailoverCoordinator coordinator(FailoverCoordinator.Config config) {
        FailoverCoordinator coordinator = new FailoverCoordinator(config, surroundings, new VerdictRelay());
        coordinator.addFailoverListener(events::add, Map.of());
        return coordinator;
    }

    private static final class FakeMonitor implements HealthMonitor {
        private final String name;
        volatile HealthStatus status = HealthStatus.UP;

        FakeMonitor(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public HealthVerdict currentVerdict() {
            return new HealthVerdict(name, "10.77.0.2", status, Instant.now(), status == HealthStatus.DOWN ? "no reply" : "reply");
        }
    }

    @Test
    void aDownMonitorMovesNormalToRecoveryAndTellsListeners() {
        FailoverCoordinator coordinator = coordinator("any", 0, false);
        FakeMonitor icmp = new FakeMonitor("icmp");
        coordinator.addHealthMonitor(icmp);
        coordinator.evaluateAndWait();
        assertEquals(FailoverState.NORMAL, coordinator.current().to());
        icmp.status = HealthStatus.DOWN;
        coordinator.evaluateAndWait();
        assertEquals(FailoverState.RECOVERY, coordinator.current().to());
        assertTrue(coordinator.current().reason().contains("icmp"), coordinator.current().reason());
        assertEquals(List.of(FailoverState.NORMAL, FailoverState.RECOVERY), events.stream().map(FailoverEvent::to).toList());
        coordinator.deactivate();
    }

    /**
     * Several backups: the decision claims (keepalived released); the host keepalived makes the
     * master (the address comes) takes over; one that sees the service answer again instead stands
     * down and decides again at the next death; a claim keepalived never grants times out and holds
     * the next one off as long.
     */
    @Test
    void aClaimTakesOverOnlyOnceTheAddressIsLocalAndStandsDownWhenTheServiceAnswers() {
        FakeMonitor icmp = new FakeMonitor("icmp");
        FailoverCoordinator coordinator = claimingAtTheDeath(icmp);
        assertEquals(FailoverState.CLAIMING, coordinator.current().to(), "the decision claims; nothing is taken over yet");
        assertFalse(coordinator.serving(), "a claiming host does not serve yet");
        monotonic.addAndGet(500_000_000L);
        coordinator.evaluateAndWait();
        assertEquals(FailoverState.CLAIMING, coordinator.current().to(), "keepalived's timer runs");

        // Another backup became the master: the service answers again, from it.
        icmp.status = HealthStatus.UP;
        coordinator.evaluateAndWait();
        assertEquals(FailoverState.NORMAL, coordinator.current().to());
        assertTrue(coordinator.current().reason().startsWith("stood down"), coordinator.current().reason());

        // The new master dies: this host claims again, and keepalived makes it the master.
        icmp.status = HealthStatus.DOWN;
        coordinator.evaluateAndWait();
        assertEquals(FailoverState.CLAIMING, coordinator.current().to());
        surroundings.addressLocal = true;
        icmp.status = HealthStatus.UP; // its own monitor sees the address answer from itself: the address wins
        coordinator.evaluateAndWait();
        assertEquals(FailoverState.CLAIMING, coordinator.current().to(), "the address must stay: another master may be yielding or not");
        monotonic.addAndGet(200_000_000L);
        coordinator.evaluateAndWait();
        assertEquals(FailoverState.CLAIMING, coordinator.current().to(), "200 of 300 ms");
        monotonic.addAndGet(100_000_000L);
        coordinator.evaluateAndWait();
        assertEquals(FailoverState.RECOVERY, coordinator.current().to());
        assertTrue(coordinator.current().reason().contains("VRRP master"), coordinator.current().reason());
        assertTrue(coordinator.serving());
        assertEquals(List.of(FailoverState.NORMAL, FailoverState.CLAIMING, FailoverState.NORMAL, FailoverState.CLAIMING,
                FailoverState.RECOVERY), events.stream().map(FailoverEvent::to).toList());
        coordinator.deactivate();
    }

    /**
     * Two backups' keepalived both became the master in the same instant: this one (the lower
     * priority) had the address for a moment and yielded at the other's advert. It stands down and
     * takes nothing over.
     */
    @Test
    void anAddressHeldOnlyForAMomentIsNotTakenOver() {
        FakeMonitor icmp = new FakeMonitor("icmp");
        FailoverCoordinator coordinator = claimingAtTheDeath(icmp);
        assertEquals(FailoverState.CLAIMING, coordinator.current().to());
        surroundings.addressLocal = true;
        icmp.status = HealthStatus.UP; // from itself
        coordinator.evaluateAndWait();
        monotonic.addAndGet(100_000_000L);
        coordinator.evaluateAndWait();
        assertEquals(FailoverState.CLAIMING, coordinator.current().to());
        surroundings.addressLocal = false; // yielded: the other backup is the master, and answers
        monotonic.addAndGet(250_000_000L);
        coordinator.evaluateAndWait();
        assertEquals(FailoverState.NORMAL, coordinator.current().to());
        assertTrue(coordinator.current().reason().startsWith("stood down"), coordinator.current().reason());
        assertEquals(List.of(FailoverState.NORMAL, FailoverState.CLAIMING, FailoverState.NORMAL),
                events.stream().map(FailoverEvent::to).toList(), "never RECOVERY");
        coordinator.deactivate();
    }

    /** A backup claiming through keepalived (timeout 2 s), its monitor has just seen the primary die. */
    private FailoverCoordinator claimingAtTheDeath(FakeMonitor icmp) {
        FailoverCoordinator coordinator = coordinator(TestConfigs.failover("any", 1, 0, 3000, false, "", 10_000, 1000, true, 2000));
        coordinator.addHealthMonitor(icmp);
        icmp.status = HealthStatus.DOWN;
        coordinator.evaluateAndWait();
        return coordinator;
    }

    @Test
    void aClaimKeepalivedNeverGrantsTimesOutAndHoldsTheNextOneOff() {
        FakeMonitor icmp = new FakeMonitor("icmp");
        FailoverCoordinator coordinator = claimingAtTheDeath(icmp);
        assertEquals(FailoverState.CLAIMING, coordinator.current().to());
        monotonic.addAndGet(2_100_000_000L);
        coordinator.evaluateAndWait();
        assertEquals(FailoverState.NORMAL, coordinator.current().to());
        assertTrue(coordinator.current().reason().contains("did not make this host the VRRP master"), coordinator.current().reason());
        monotonic.addAndGet(1_000_000_000L);
        coordinator.evaluateAndWait();
        assertEquals(FailoverState.NORMAL, coordinator.current().to(), "held off after a timed-out claim");
        monotonic.addAndGet(1_200_000_000L);
        coordinator.evaluateAndWait();
        assertEquals(FailoverState.CLAIMING, coordinator.current().to(), "claims again once the hold-off is over");
        coordinator.deactivate();
    }

    @Test
    void withNoMonitorTheCoreNeverFailsOver() {
        FailoverCoordinator coordinator = coordinator("any", 0, false);
        for (int i = 0; i < 100; i++) {
            monotonic.addAndGet(1_000_000_000L);
            coordinator.evaluateAndWait();
        }
        assertEquals(FailoverState.NORMAL, coordinator.current().to());
        coordinator.deactivate();
    }

    @Test
    void dryRunOnlyLogs() {
        FailoverCoordinator coordinator = coordinator("any", 0, true);
        FakeMonitor icmp = new FakeMonitor("icmp");
        icmp.status = HealthStatus.DOWN;
        coordinator.addHealthMonitor(icmp);
        coordinator.evaluateAndWait();
        assertEquals(FailoverState.NORMAL, coordinator.current().to());
        assertTrue(coordinator.triggerManually("test", false).startsWith("dry run"));
        assertEquals(FailoverState.NORMAL, coordinator.current().to());
        coordinator.deactivate();
    }

    @Test
    void theBackupsOwnLinkDownIsNotThePrimarysFailure() {
        FailoverCoordinator coordinator = coordinator("any", 0, false);
        FakeMonitor icmp = new FakeMonitor("icmp");
        coordinator.addHealthMonitor(icmp);
        surroundings.linkUp = false;
        icmp.status = HealthStatus.DOWN;
        coordinator.evaluateAndWait();
        assertEquals(FailoverState.NORMAL, coordinator.current().to());
        assertTrue(coordinator.triggerManually("test", false).contains("link is down"));
        // The link comes back: the monitor's DOWN is stale until a fresh probe, so no takeover yet...
        surroundings.linkUp = true;
        monotonic.addAndGet(1_000_000_000L);
        coordinator.evaluateAndWait();
        assertEquals(FailoverState.NORMAL, coordinator.current().to());
        // ...and once the settle time has passed, a DOWN that persists is believed.
        monotonic.addAndGet(1_100_000_000L);
        coordinator.evaluateAndWait();
        assertEquals(FailoverState.RECOVERY, coordinator.current().to());
        coordinator.deactivate();
    }

    @Test
    void aSilentCaptureMeansTheBackupMayBeIsolated() {
        FailoverCoordinator coordinator = coordinator("any", 0, false);
        FakeMonitor icmp = new FakeMonitor("icmp");
        coordinator.addHealthMonitor(icmp);
        coordinator.evaluateAndWait();
        surroundings.trafficFlows = false;
        monotonic.addAndGet(3_000_000_000L);
        icmp.status = HealthStatus.DOWN;
        coordinator.evaluateAndWait();
        assertEquals(FailoverState.NORMAL, coordinator.current().to());
        surroundings.trafficFlows = true;
        coordinator.evaluateAndWait();
        assertEquals(FailoverState.NORMAL, coordinator.current().to());
        monotonic.addAndGet(2_100_000_000L);
        coordinator.evaluateAndWait();
        assertEquals(FailoverState.RECOVERY, coordinator.current().to());
        coordinator.deactivate();
    }

    @Test
    void manualTriggerFailsOverOnceAndForceSkipsTheGuard() {
        FailoverCoordinator coordinator = coordinator("any", 0, false);
        surroundings.linkUp = false;
        assertTrue(coordinator.triggerManually("maintenance", false).startsWith("not failing over"));
        assertTrue(coordinator.triggerManually("maintenance", true).startsWith("failing over"));
        assertEquals(FailoverState.RECOVERY, coordinator.current().to());
        assertTrue(coordinator.current().reason().contains("manual trigger: maintenance"));
        assertTrue(coordinator.triggerManually("again", true).startsWith("already RECOVERY"));
        coordinator.deactivate();
    }

    /**
     * A failed fence means the primary may be alive: no takeover. It is tried again after the
     * retry time, not at every evaluation, and the failover happens once it succeeds.
     */
    @Test
    void aFailedFenceStopsTheFailoverUntilAnAttemptSucceeds(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path attempts = dir.resolve("attempts");
        java.nio.file.Path bmcReachable = dir.resolve("bmc-reachable");
        FailoverCoordinator coordinator = coordinator(TestConfigs.failover("any", 1, 0, 3000, false,
                "echo x >> " + attempts + "; test -e " + bmcReachable + " || { echo 'bmc unreachable'; exit 1; }", 5000, 1000));
        FakeMonitor icmp = new FakeMonitor("icmp");
        icmp.status = HealthStatus.DOWN;
        coordinator.addHealthMonitor(icmp);
        coordinator.evaluateAndWait();
        assertEquals(FailoverState.NORMAL, coordinator.current().to());
        assertEquals(1, java.nio.file.Files.readAllLines(attempts).size());
        assertTrue(fenceText(coordinator).contains("last attempt failed: fence command exited 1"), fenceText(coordinator));
        assertTrue(fenceText(coordinator).endsWith("bmc unreachable)"), fenceText(coordinator));

        monotonic.addAndGet(999_000_000L);
        coordinator.evaluateAndWait();
        assertEquals(1, java.nio.file.Files.readAllLines(attempts).size(), "no new attempt before the retry time");
        assertTrue(coordinator.triggerManually("operator", false).startsWith("not failing over: the fence failed"));

        java.nio.file.Files.createFile(bmcReachable);
        monotonic.addAndGet(1_000_000L);
        coordinator.evaluateAndWait();
        assertEquals(2, java.nio.file.Files.readAllLines(attempts).size());
        assertEquals(FailoverState.RECOVERY, coordinator.current().to());
        assertEquals(List.of(FailoverState.NORMAL, FailoverState.RECOVERY), events.stream().map(FailoverEvent::to).toList());
        assertFalse(fenceText(coordinator).contains("failed"), fenceText(coordinator));
        coordinator.deactivate();
    }

    @Test
    void forceSkipsTheFenceAndDryRunNeverRunsIt(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path ran = dir.resolve("ran");
        String fence = "touch " + ran + "; exit 1";
        FailoverCoordinator dry = coordinator(TestConfigs.failover("any", 1, 0, 3000, true, fence, 5000, 1000));
        dry.evaluateAndWait(); // the isolation guard sees the capture's traffic
        assertTrue(dry.triggerManually("test", false).startsWith("dry run"));
        dry.deactivate();
        assertFalse(java.nio.file.Files.exists(ran), "a dry run only says it would fence");

        FailoverCoordinator coordinator = coordinator(TestConfigs.failover("any", 1, 0, 3000, false, fence, 5000, 1000));
        coordinator.evaluateAndWait(); // the isolation guard sees the capture's traffic
        String refused = coordinator.triggerManually("test", false);
        assertTrue(refused.startsWith("not failing over: fence command exited 1"), refused);
        java.nio.file.Files.delete(ran);
        assertTrue(coordinator.triggerManually("the operator powered it off", true).startsWith("failing over"));
        assertFalse(java.nio.file.Files.exists(ran), "--force skips the fence");
        assertEquals(FailoverState.RECOVERY, coordinator.current().to());
        coordinator.deactivate();
    }

    @Test
    void aListenerThatArrivesLaterLearnsTheCurrentState() {
        FailoverCoordinator coordinator = coordinator("any", 0, false);
        coordinator.triggerManually("test", true);
        List<FailoverEvent> late = new ArrayList<>();
        coordinator.addFailoverListener(late::add, Map.of());
        assertEquals(FailoverState.RECOVERY, late.get(0).to());
        coordinator.deactivate();
    }

    /** The migration ranks itself first: at a failover it must not wait for the other listeners' work. */
    @Test
    void listenersAreToldHighestRankingFirst() {
        FailoverCoordinator coordinator = coordinator("any", 0, false);
        List<String> told = new ArrayList<>();
        coordinator.addFailoverListener(e -> told.add("unranked " + e.to()), Map.of());
        coordinator.addFailoverListener(e -> told.add("first " + e.to()), Map.of(org.osgi.framework.Constants.SERVICE_RANKING, 1000));
        coordinator.addFailoverListener(e -> told.add("negative " + e.to()), Map.of(org.osgi.framework.Constants.SERVICE_RANKING, -5));
        coordinator.addFailoverListener(e -> told.add("second " + e.to()), Map.of(org.osgi.framework.Constants.SERVICE_RANKING, 10));
        told.clear(); // each was told NORMAL as it came
        coordinator.triggerManually("test", true);
        assertEquals(List.of("first RECOVERY", "second RECOVERY", "unranked RECOVERY", "negative RECOVERY"),
                told.stream().filter(t -> t.endsWith("RECOVERY")).toList());
        coordinator.deactivate();
    }

    @Test
    void recoveryFinishedMovesRecoveryToProxyOnlyFromRecovery() throws Exception {
        FailoverCoordinator coordinator = coordinator("any", 0, false);
        coordinator.recoveryFinished("too early");
        coordinator.triggerManually("flush", true); // runs after the task above on the one thread
        assertEquals(FailoverState.RECOVERY, coordinator.current().to());
        coordinator.recoveryFinished("3 of 3 connections recovered");
        coordinator.triggerManually("flush", true);
        assertEquals(FailoverState.PROXY, coordinator.current().to());
        assertTrue(coordinator.current().reason().contains("3 of 3"));
        assertEquals(List.of(FailoverState.NORMAL, FailoverState.RECOVERY, FailoverState.PROXY),
                events.stream().map(FailoverEvent::to).toList());
        coordinator.deactivate();
    }
    /**
     * A migration bundle started (or restarted) while the core is in RECOVERY is told the state
     * with the handle, and reporting through it moves the core to PROXY: no reference to the core.
     */
    @Test
    void aListenerAddedDuringRecoveryGetsTheHandleThatMovesTheCoreToProxy() throws Exception {
        FailoverCoordinator coordinator = coordinator("any", 0, false);
        assertNull(events.get(0).recovery(), "NORMAL has nothing to report");
        coordinator.triggerManually("test", true);
        assertNotNull(events.get(1).recovery(), "the change to RECOVERY carries the handle");
        List<FailoverEvent> late = new ArrayList<>();
        coordinator.addFailoverListener(late::add, Map.of());
        FailoverEvent told = late.get(0);
        assertEquals(FailoverState.RECOVERY, told.to());
        assertNotNull(told.recovery());

        told.recovery().finished(StatusRecords.recovering());
        coordinator.triggerManually("flush", true); // runs after the report on the one thread
        assertEquals(FailoverState.PROXY, coordinator.current().to());
        assertEquals("recovery finished: " + StatusText.migration(StatusRecords.recovering()), coordinator.current().reason());
        assertEquals(List.of(FailoverState.RECOVERY, FailoverState.PROXY), late.stream().map(FailoverEvent::to).toList());
        assertNotNull(late.get(1).recovery(), "PROXY too: a report there is old news, and harmless");
        assertNull(coordinator.current().recovery(), "the state as kept and shown carries no handle");

        List<FailoverEvent> inProxy = new ArrayList<>();
        coordinator.addFailoverListener(inProxy::add, Map.of());
        assertEquals(FailoverState.PROXY, inProxy.get(0).to());
        inProxy.get(0).recovery().finished(StatusRecords.recovering());
        coordinator.triggerManually("flush", true);
        assertEquals(FailoverState.PROXY, coordinator.current().to());
        assertEquals(3, events.size(), "reporting again in PROXY changes nothing");
        coordinator.deactivate();
    }

    /** The state file is its owner's only, whatever the umask (issue 10): it tells what MigWare carries. */
    @Test
    void theStateFileIsWrittenOwnerOnly(@org.junit.jupiter.api.io.TempDir java.nio.file.Path data) throws Exception {
        java.nio.file.Path file = data.resolve("failover.state");
        FailoverCoordinator coordinator = new FailoverCoordinator(TestConfigs.failover("any", 1, 0, 3000, false),
                new TestSurroundings(false, file), new VerdictRelay());
        coordinator.triggerManually("test", true);
        coordinator.deactivate();
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(file)));
    }

    /** A handle of a core that has stopped is ignored; the restarted core hands out its own. */
    @Test
    void aStoppedCoresHandleIsIgnoredAndTheRestartedCoreHandsOutItsOwn(@org.junit.jupiter.api.io.TempDir java.nio.file.Path data) {
        java.nio.file.Path file = data.resolve("failover.state");
        FailoverCoordinator.Config config = TestConfigs.failover("any", 1, 0, 3000, false);
        FailoverCoordinator first = new FailoverCoordinator(config, new TestSurroundings(false, file), new VerdictRelay());
        List<FailoverEvent> told = new ArrayList<>();
        first.addFailoverListener(told::add, Map.of());
        first.triggerManually("test", true);
        first.deactivate();
        told.get(1).recovery().finished(StatusRecords.recovering());

        FailoverCoordinator second = new FailoverCoordinator(config, new TestSurroundings(false, file), new VerdictRelay());
        assertEquals(FailoverState.RECOVERY, second.current().to());
        second.addFailoverListener(told::add, Map.of());
        FailoverEvent again = told.get(2);
        assertEquals(FailoverState.RECOVERY, again.to());
        again.recovery().finished(StatusRecords.recovering());
        second.triggerManually("flush", true);
        assertEquals(FailoverState.PROXY, second.current().to());
        second.deactivate();
    }

    @Test
    void theSnapshotNamesStatePolicyAndFence() {
        FailoverCoordinator coordinator = coordinator(TestConfigs.failover("quorum", 2, 500, 3000, true, "true", 5000, 1000));
        FailoverSnapshot snapshot = coordinator.snapshot();
        assertEquals(FailoverState.NORMAL, snapshot.state());
        assertEquals(coordinator.current().time(), snapshot.since());
        assertEquals(new FailoverPolicy(FailoverPolicy.Mode.QUORUM, 2, 500, true), snapshot.policy());
        assertEquals(new FenceStatus(true, "true", null), snapshot.fence());
        assertEquals("quorum 2, hold-down 500 ms, dry run", StatusText.policy(snapshot.policy()));
        coordinator.deactivate();
    }

    /** The monitors tell the relay, and the relay the coordinator, which decides at once. */
    @Test
    void aVerdictThroughTheRelayIsDecidedAtOnce() throws Exception {
        VerdictRelay relay = new VerdictRelay();
        FailoverCoordinator coordinator = new FailoverCoordinator(TestConfigs.failover("any", 1, 0, 3000, false), surroundings, relay);
        FakeMonitor icmp = new FakeMonitor("icmp");
        coordinator.addHealthMonitor(icmp);
        coordinator.evaluateAndWait(); // the isolation guard sees the capture's traffic
        icmp.status = HealthStatus.DOWN;
        relay.verdict(icmp.currentVerdict());
        coordinator.evaluateAndWait(); // runs after the evaluation the verdict asked for
        assertEquals(FailoverState.RECOVERY, coordinator.current().to());
        coordinator.deactivate();
        relay.verdict(icmp.currentVerdict()); // a stopped coordinator hears nothing, and nothing fails
    }

    /** An update of the core in PROXY comes back in PROXY: NORMAL would decide a second failover. */
    @Test
    void theStateOutlivesARestartOfTheCore(@org.junit.jupiter.api.io.TempDir java.nio.file.Path data) {
        java.nio.file.Path file = data.resolve("failover.state");
        FailoverCoordinator.Config config = TestConfigs.failover("any", 1, 0, 3000, false);
        FailoverCoordinator first = new FailoverCoordinator(config, new TestSurroundings(true, file), new VerdictRelay());
        assertEquals(FailoverState.NORMAL, first.current().to(), "a container starts NORMAL");
        assertTrue(first.triggerManually("test", true).startsWith("failing over"));
        first.recoveryFinished("1 recovered");
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (first.current().to() != FailoverState.PROXY && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(FailoverState.PROXY, first.current().to());
        first.deactivate();

        FailoverCoordinator second = new FailoverCoordinator(config, new TestSurroundings(false, file), new VerdictRelay());
        assertEquals(FailoverState.PROXY, second.current().to());
        assertEquals(first.current().time(), second.current().time(), "since the original change");
        assertTrue(second.current().reason().startsWith("recovery finished: 1 recovered"), second.current().reason());
        assertTrue(second.triggerManually("again", true).startsWith("already PROXY"));
        second.deactivate();
    }

    /** The fence as {@code migware:status} shows it. */
    private static String fenceText(FailoverCoordinator coordinator) {
        return StatusText.fence(coordinator.snapshot().fence());
    }

    /**
     * The direct path: when every carried connection has ended and this host serves the address,
     * PROXY moves on to NORMAL, serving; a DOWN verdict of the old primary then decides nothing,
     * also after a restart of the core. A drain reported in another state than PROXY is ignored.
     */
    @Test
    void drainedMovesProxyToNormalServingAndNoFailoverFollows(@org.junit.jupiter.api.io.TempDir java.nio.file.Path data) {
        java.nio.file.Path file = data.resolve("failover.state");
        FailoverCoordinator.Config config = TestConfigs.failover("any", 1, 0, 3000, false);
        FailoverCoordinator first = new FailoverCoordinator(config, new TestSurroundings(true, file), new VerdictRelay());
        List<FailoverEvent> seen = new ArrayList<>();
        first.addFailoverListener(seen::add, Map.of());
        org.migware.api.failover.MigrationProgress none = org.migware.api.failover.MigrationProgress.notConfigured();
        assertNull(seen.get(0).recovery());
        assertTrue(first.triggerManually("test", true).startsWith("failing over"));
        org.migware.api.failover.RecoveryHandle handle = seen.get(seen.size() - 1).recovery();
        handle.drained(none); // in RECOVERY: ignored
        first.triggerManually("flush", true);
        assertEquals(FailoverState.RECOVERY, first.current().to());
        handle.finished(none);
        first.triggerManually("flush", true);
        assertEquals(FailoverState.PROXY, first.current().to());
        handle.drained(none);
        first.triggerManually("flush", true); // refused now: serving
        assertEquals(FailoverState.NORMAL, first.current().to());
        assertTrue(first.current().reason().startsWith("serving"), first.current().reason());
        assertEquals(List.of(FailoverState.NORMAL, FailoverState.RECOVERY, FailoverState.PROXY, FailoverState.NORMAL),
                seen.stream().map(FailoverEvent::to).toList());
        FakeMonitor icmp = new FakeMonitor("icmp");
        first.addHealthMonitor(icmp);
        icmp.status = HealthStatus.DOWN;
        first.evaluateAndWait();
        assertEquals(FailoverState.NORMAL, first.current().to(), "the old primary's DOWN decides nothing while serving");
        assertTrue(first.triggerManually("again", true).startsWith("not failing over: serving"));
        first.deactivate();

        FailoverCoordinator second = new FailoverCoordinator(config, new TestSurroundings(false, file), new VerdictRelay());
        assertEquals(FailoverState.NORMAL, second.current().to());
        assertTrue(second.current().reason().startsWith("serving"), second.current().reason());
        assertTrue(second.triggerManually("after restart", true).startsWith("not failing over: serving"));
        second.deactivate();
    }
}
