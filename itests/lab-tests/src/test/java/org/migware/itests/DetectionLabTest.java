package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.migware.lab.experiments.DetectionExperiment;
import org.migware.lab.experiments.DetectionExperiment.LossRun;
import org.migware.lab.experiments.DetectionExperiment.Monitor;
import org.migware.lab.experiments.DetectionExperiment.Profile;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.experiments.MigwareInstance;
import org.migware.lab.experiments.MigwareStatus;

/**
 * The failure-detection acceptance on the lab, as root: the primary's real sink server and 200
 * real push clients, MigWare in the backup with the monitors of each scenario deployed from the
 * distribution's {@code monitors/}. Every assertion is on what MigWare reports: its
 * {@code migware:status} (state and monitor verdicts) and its log. Each test builds its own lab
 * and removes it, also when it fails.
 */
class DetectionLabTest {

    private static final String PREFIX = "mwdt";
    private static final Duration LOSS_RUN = Duration.ofMinutes(2);

    private DetectionExperiment experiment;

    @BeforeEach
    void startLab() {
        experiment = DetectionExperiment.start(DetectionExperiment.Options.defaults(BuiltDistribution.home())
                .withPrefix(PREFIX), message -> System.out.println("[lab] " + message));
    }

    @AfterEach
    void removeLab() {
        try {
            if (experiment != null) {
                experiment.close();
            }
        } finally {
            assertFalse(LabNetwork.leftovers(PREFIX), "the lab's namespaces must be gone");
        }
    }

    /** (a) The pulled cable: every monitor says DOWN, and the core decides. */
    @Test
    void pullingThePrimaryLinkMakesEveryMonitorDownAndTheStateLeaveNormal() {
        Set<Monitor> all = EnumSet.of(Monitor.ICMP, Monitor.TCP, Monitor.TRAFFIC, Monitor.EXEC);
        try (MigwareInstance migware = experiment.startMigware("all", Profile.THESIS, all, Map.of())) {
            Instant pulled = experiment.pullPrimaryLink();

            // The decision follows the verdicts at once, except within isolationSettleMillis (2 s) of
            // the container's start, when the core does not trust them yet: wait for both.
            MigwareStatus status = DetectionExperiment.awaitStatus(migware, "every monitor DOWN, and the decision",
                    Duration.ofSeconds(20), s -> all.stream().allMatch(m -> s.says(m.kind(), "DOWN")) && !s.normal());

            System.out.println("[lab] after pulling the primary's link:\n" + status);
            assertEquals(4, status.monitors().size(), status::toString);
            for (MigwareStatus.Verdict verdict : status.monitors()) {
                assertTrue(verdict.down(), verdict::toString);
                assertTrue(verdict.at().isAfter(pulled), () -> verdict + " must come after the pull at " + pulled);
            }
            assertEquals("RECOVERY", status.state(), status::toString);
            assertTrue(status.since().isAfter(pulled), status::toString);
            assertTrue(status.reason().startsWith("primary DOWN"), status::toString);
            assertTrue(migware.log().contains("core: state NORMAL -> RECOVERY"), "the decision is logged");
        }
    }

    /** (b) A dead service on a live host: monitor-tcp says DOWN, monitor-icmp stays UP. */
    @Test
    void stoppingOnlyTheServiceMakesTcpDownWhileIcmpStaysUp() {
        // Policy all: the verdicts are the subject here, not a failover (which needs both DOWN).
        Map<String, Map<String, String>> policy = Map.of("org.migware.core.failover", Map.of("policy", "all"));
        try (MigwareInstance migware = experiment.startMigware("service", Profile.THESIS, EnumSet.of(Monitor.ICMP, Monitor.TCP), policy)) {
            Instant stopped = Instant.now();
            experiment.stopService();

            MigwareStatus status = DetectionExperiment.awaitStatus(migware, "tcp DOWN", Duration.ofSeconds(10),
                    s -> s.says("tcp", "DOWN"));
            assertTrue(status.monitor("tcp").orElseThrow().at().isAfter(stopped), status::toString);
            assertTrue(status.monitor("tcp").orElseThrow().reason().contains("refused"), status::toString);
            // icmp keeps answering for the whole time the service is gone, and nothing is decided.
            status = DetectionExperiment.holds(migware, "icmp UP, tcp DOWN, NORMAL", Duration.ofSeconds(3),
                    s -> s.says("icmp", "UP") && s.says("tcp", "DOWN") && s.normal());
            assertTrue(status.monitor("icmp").orElseThrow().at().isBefore(stopped), "icmp never changed: " + status);
            System.out.println("[lab] with the sink stopped:\n" + status);
        }
    }

    /**
     * (c) 2 % random loss each way on the primary for two minutes: the loss-tolerant (fast)
     * profile gives no DOWN verdict and no decision. The thesis profile runs alongside, in its own
     * instance; its false DOWNs are only logged (one miss is DOWN there, so they are expected).
     */
    @Test
    void twoPercentLossForTwoMinutesGivesNoDownVerdictWithTheLossTolerantProfile() {
        List<LossRun> runs = experiment.lossRun(List.of(Profile.FAST, Profile.THESIS),
                EnumSet.of(Monitor.ICMP, Monitor.TCP, Monitor.TRAFFIC), LOSS_RUN, 50);

        LossRun fast = runs.get(0);
        LossRun thesis = runs.get(1);
        System.out.println("[lab] loss applied: " + fast.loss());
        System.out.println("[lab] thesis profile under 2 % loss for " + LOSS_RUN.toSeconds() + " s: " + thesis.falseDowns()
                + " false DOWN verdicts " + thesis.downVerdicts() + ", " + thesis.decisions() + " decisions");
        thesis.downLines().stream().limit(10).forEach(line -> System.out.println("[lab]   " + line));
        assertTrue(fast.loss().inPercent() > 1.5 && fast.loss().outPercent() > 1.5, () -> "the loss was applied: " + fast.loss());
        assertEquals(0, fast.falseDowns(), () -> "fast profile: DOWN verdicts under loss: " + fast.downLines());
        assertEquals(0, fast.decisions(), fast.status()::toString);
        assertTrue(fast.status().normal(), fast.status()::toString);
        assertEquals(3, fast.status().monitors().size(), fast.status()::toString);
        fast.status().monitors().forEach(v -> assertTrue(v.up(), v::toString));
    }

    /**
     * (d) The backup's own cable pulled: its monitors say DOWN, but the core does not fail over,
     * and its log says that the backup's capture link is down.
     */
    @Test
    void pullingTheBackupsOwnLinkGivesNoFailover() {
        try (MigwareInstance migware = experiment.startMigware("isolated", Profile.THESIS, EnumSet.of(Monitor.ICMP, Monitor.TCP), Map.of())) {
            experiment.pullBackupLink();
            // the primary is fine: right after the pull, before any verdict changes, nothing is decided
            MigwareStatus status = DetectionExperiment.holds(migware, "NORMAL", Duration.ofMillis(300), MigwareStatus::normal);
            // and while the monitors say DOWN, still nothing
            status = DetectionExperiment.awaitStatus(migware, "icmp and tcp DOWN", Duration.ofSeconds(10),
                    s -> s.says("icmp", "DOWN") && s.says("tcp", "DOWN"));
            assertTrue(status.normal(), status::toString);
            status = DetectionExperiment.holds(migware, "NORMAL with the monitors DOWN", Duration.ofSeconds(4),
                    s -> s.normal() && s.says("icmp", "DOWN"));
            System.out.println("[lab] with the backup's link pulled:\n" + status);
            String log = migware.log();
            assertTrue(log.contains("core: NOT failing over") && log.contains("the backup's own capture link is down"),
                    "the log says why there is no failover");
            assertFalse(log.contains("-> RECOVERY"), "no decision in the log");
        }
    }

    /**
     * The backup's cable plugged back in: the monitors' DOWN verdicts from the time it was cut off
     * must not cause a failover in the moment before they probe again.
     */
    @Test
    void restoringTheBackupsOwnLinkGivesNoFailover() {
        try (MigwareInstance migware = experiment.startMigware("isolated", Profile.THESIS, EnumSet.of(Monitor.ICMP, Monitor.TCP), Map.of())) {
            experiment.pullBackupLink();
            DetectionExperiment.awaitStatus(migware, "icmp and tcp DOWN", Duration.ofSeconds(10),
                    s -> s.says("icmp", "DOWN") && s.says("tcp", "DOWN"));
            experiment.restoreBackupLink();
            MigwareStatus status = DetectionExperiment.awaitStatus(migware, "icmp and tcp UP again", Duration.ofSeconds(10),
                    s -> !s.normal() || s.says("icmp", "UP") && s.says("tcp", "UP"));
            assertTrue(status.normal(), status::toString);
        }
    }
}
