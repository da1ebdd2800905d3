package org.migware.observability.internal;

import java.util.ArrayList;
import java.util.List;

import org.migware.api.failover.CaptureSnapshot;
import org.migware.api.failover.FailoverSnapshot;
import org.migware.api.failover.FailoverState;
import org.migware.api.failover.MigrationProgress;
import org.migware.api.failover.ReplicaReadiness;
import org.migware.api.health.HealthStatus;
import org.migware.api.health.HealthVerdict;

/**
 * Why this backup is not armed: one reason per line, each naming the part and what is wrong.
 * Armed (no reason) means a failover now would work: the failover core runs; the capture runs
 * and has seen frames; at least one monitor is present and every monitor finds the primary UP;
 * migration is configured, its TUN is up and the replica listens on every service port; a fence
 * is configured or its absence is accepted.
 */
final class HealthReasons {

    /** How the reason that the failover has already begun starts; the state's name follows, then a space. */
    static final String FAILOVER_ALREADY_IN = "failover: already in ";

    private HealthReasons() {
    }

    /**
     * @param observation the status now
     * @param fenceAbsenceAccepted whether the site accepts that no fence is configured
     * @return the reasons, empty when armed
     */
    static List<String> of(Observation observation, boolean fenceAbsenceAccepted) {
        List<String> reasons = new ArrayList<>();
        FailoverSnapshot failover = observation.report().failover();
        if (failover == null) {
            reasons.add("failover: the core's failover coordinator is not running");
        } else if (failover.state() != FailoverState.NORMAL) {
            reasons.add(FAILOVER_ALREADY_IN + failover.state() + " since " + failover.since() + " (" + failover.reason() + ")");
        }
        capture(observation.report().captures(), reasons);
        if (observation.report().connections() == null) {
            reasons.add("tracker: not running: no connection table");
        }
        monitors(observation.report().monitors(), reasons);
        migration(observation, reasons);
        if (failover != null) {
            if (!failover.fence().configured() && !fenceAbsenceAccepted) {
                reasons.add("fence: none configured (set 'fenceAbsenceAccepted = true' in etc/"
                        + ObservabilityConfig.PID + ".cfg to accept that the primary is trusted to stay down)");
            } else if (failover.fence().lastFailure() != null) {
                reasons.add("fence: the last attempt failed: " + failover.fence().lastFailure());
            }
        }
        return reasons;
    }

    private static void capture(List<CaptureSnapshot> captures, List<String> reasons) {
        if (captures.isEmpty()) {
            reasons.add("capture: no capture source is running");
        }
        for (CaptureSnapshot capture : captures) {
            if (!capture.statistics().running()) {
                reasons.add("capture " + capture.source() + ": not capturing");
            } else if (capture.statistics().received() == 0) {
                reasons.add("capture " + capture.source() + ": has seen no frame yet");
            }
        }
    }

    private static void monitors(List<HealthVerdict> verdicts, List<String> reasons) {
        if (verdicts.isEmpty()) {
            reasons.add("monitor: none is present: nothing would notice the primary fail");
        }
        for (HealthVerdict verdict : verdicts) {
            if (verdict.status() != HealthStatus.UP) {
                reasons.add("monitor " + verdict.monitor() + ": primary " + verdict.target() + " is " + verdict.status() + ": " + verdict.reason());
            }
        }
    }

    private static void migration(Observation observation, List<String> reasons) {
        if (!observation.migrationRunning()) {
            reasons.add("migration: the proxy bundle is not running: connections would not be migrated");
            return;
        }
        MigrationProgress progress = observation.report().migration();
        switch (progress.phase()) {
            case NOT_CONFIGURED -> reasons.add("migration: no replica is configured: connections would not be migrated");
            case UNAVAILABLE -> reasons.add("migration: unavailable: " + progress.detail());
            default -> replica(observation.replica(), reasons);
        }
    }

    private static void replica(ReplicaReadiness replica, List<String> reasons) {
        if (replica == null) {
            reasons.add("replica: the migration bundle does not say whether the TUN is up and the replica listens");
            return;
        }
        if (!replica.tunUp()) {
            reasons.add("tun " + replica.tun() + ": down");
        }
        if (replica.ports().isEmpty()) {
            reasons.add("replica: no service port is known");
        }
        for (ReplicaReadiness.ReplicaPort port : replica.ports()) {
            if (!port.listening()) {
                reasons.add("replica: nothing listens on port " + port.replicaPort() + " (service port " + port.servicePort() + ")");
            }
        }
    }
}
