package org.migware.core.internal.status;

import java.util.List;
import java.util.Map;

import org.migware.api.connection.TableStatistics;
import org.migware.api.failover.CaptureSnapshot;
import org.migware.api.failover.DeliveryTotals;
import org.migware.api.failover.KeptConnection;
import org.migware.api.failover.FailoverPolicy;
import org.migware.api.failover.FailoverSnapshot;
import org.migware.api.failover.FenceStatus;
import org.migware.api.failover.MappingSnapshot;
import org.migware.api.failover.MigrationProgress;
import org.migware.api.failover.StatusReport;
import org.migware.api.health.HealthVerdict;
import org.migware.api.packet.CaptureStatistics;
import org.migware.core.internal.decision.DecisionPolicy;

/**
 * The status records in words, as {@code migware:status} and {@code migware:connections} print
 * them and the log repeats them: one line per part, {@code key=value} where a script may split.
 */
public final class StatusText {

    /** Shown when the migration bundle is not running at all (no configuration, or not installed). */
    static final String MIGRATION_ABSENT = "not configured (etc/org.migware.proxy.cfg): connections will not be migrated at failover";

    private StatusText() {
    }

    /**
     * @param report the status
     * @param migrationRunning whether the migration bundle reported {@code report.migration()} itself
     * @return {@code migware:status}'s text
     */
    public static String status(StatusReport report, boolean migrationRunning) {
        StringBuilder out = new StringBuilder(1024);
        FailoverSnapshot failover = report.failover();
        if (failover == null) {
            out.append("state:       unknown (core's failover coordinator is not running)\n");
        } else {
            out.append("state:       ").append(failover.state()).append(" since ").append(failover.since())
                    .append(" (").append(failover.reason()).append(")\n");
            out.append("policy:      ").append(policy(failover.policy())).append('\n');
            out.append("fence:       ").append(fence(failover.fence())).append('\n');
        }
        if (report.captures().isEmpty()) {
            out.append("capture:     none (no packet source is running: install and configure capture-pcap4j or capture-file)\n");
        }
        for (CaptureSnapshot capture : report.captures()) {
            CaptureStatistics stats = capture.statistics();
            out.append("capture:     ").append(capture.source()).append(stats.running() ? " running" : " stopped")
                    .append(" received=").append(stats.received())
                    .append(" dropped.kernel=").append(stats.droppedByKernel())
                    .append(" dropped.interface=").append(stats.droppedByInterface())
                    .append(" dropped.migware=").append(stats.droppedByUsTotal())
                    .append(reasons(stats.droppedByUs())).append('\n');
        }
        TableStatistics table = report.connections();
        if (table == null) {
            out.append("connections: unknown (the tracker is not running)\n");
        } else {
            out.append("connections: ").append(table.tracked()).append(" of ").append(table.capacity())
                    .append(" created=").append(table.created())
                    .append(" evicted=").append(table.evictedForCapacity())
                    .append(" expired.idle=").append(table.expiredIdle())
                    .append(" expired.closed=").append(table.expiredClosed())
                    .append(" sources=").append(table.sources())
                    .append(table.captureGaps() == 0 ? "" : " capture.gaps=" + table.captureGaps() + " (" + table.captureGapMillis()
                            + " ms unseen)").append('\n');
            out.append("packets:     tracked=").append(table.packetsTracked())
                    .append(" ignored=").append(total(table.packetsIgnored())).append(reasons(table.packetsIgnored()))
                    .append(" malformed=").append(total(table.malformed())).append(reasons(table.malformed())).append('\n');
        }
        out.append("migration:   ").append(!migrationRunning ? MIGRATION_ABSENT : migration(report.migration())).append('\n');
        if (migrationRunning && report.migration().directPath().enabled()) {
            out.append("direct path: ").append(directPath(report.migration().directPath())).append('\n');
        }
        if (report.monitors().isEmpty()) {
            out.append("monitors:    none installed: failure of the primary cannot be detected\n");
        }
        for (HealthVerdict verdict : report.monitors()) {
            out.append("monitor:     ").append(verdict.monitor()).append(' ').append(verdict.status())
                    .append(" target=").append(verdict.target()).append(" at ").append(verdict.time())
                    .append(" (").append(verdict.reason()).append(")\n");
        }
        return out.toString();
    }

    /** @return the policy in words, such as {@code quorum 2, hold-down 500 ms, dry run} */
    public static String policy(FailoverPolicy policy) {
        return DecisionPolicy.describe(policy.mode(), policy.quorum(), policy.holdDownMillis())
                + (policy.dryRun() ? ", dry run" : "");
    }

    /** @return the fence command and its last failure, or that there is none */
    public static String fence(FenceStatus fence) {
        if (!fence.configured()) {
            return FenceStatus.UNFENCED + ": no fenceCommand (the primary is trusted to stay down)";
        }
        return fence.command() + (fence.lastFailure() == null ? "" : " (last attempt failed: " + fence.lastFailure() + ")");
    }

    /**
     * @return the migration's progress in words, such as
     *     {@code 200 recovered, 0 failed, 0 pending, 0 not recoverable, in 14 ms; 0 client bytes handed over}
     */
    public static String migration(MigrationProgress p) {
        return switch (p.phase()) {
            case NOT_CONFIGURED -> "not configured (etc/org.migware.proxy.cfg: 'replicaAddress' is not set):"
                    + " connections will not be migrated at failover";
            case UNAVAILABLE -> "unavailable: " + p.detail();
            case READY -> "ready: no failover yet (" + p.passedThrough() + " new connections passed through)" + delivery(p.delivery());
            case RECOVERING, RECOVERED -> p.recovered() + " recovered, " + p.failed() + " failed, " + p.pending() + " pending, "
                    + p.notRecoverable() + " not recoverable, in " + p.recoveryMillis() + " ms; " + p.bytesHandedOver()
                    + " client bytes handed over"
                    + (p.framing().equals(MigrationProgress.NO_FRAMING) ? ""
                            : "; framing " + p.framing() + ": " + p.recordHeadsPrepended() + " record heads prepended, "
                                    + p.recordHeadsNotKept() + " not kept")
                    + (p.resetsSent() == 0 ? "" : "; " + p.resetsSent() + " resets for no connection")
                    + (p.ecnRefusedByReplica() == 0 ? "" : "; ECN refused by the replica for " + p.ecnRefusedByReplica())
                    + replayed(p.delivery());
        };
    }

    /**
     * @return the direct path in words, such as {@code 12 carried connections left (12 in the nftables set);
     *     the service address is this host's; keepalived released}
     */
    public static String directPath(org.migware.api.failover.DirectPathStatus d) {
        return d.carried() + " carried connections left (" + d.setElements() + " in the nftables set); the service address is "
                + (d.addressLocal() ? "this host's: new connections go to the kernel directly" : "not this host's")
                + "; keepalived " + d.roleHandOff() + (d.drained() ? "; drained" : "")
                + (d.problem() == null ? "" : "; PROBLEM: " + d.problem());
    }

    /**
     * @return before failover, what the deliveries would do with the kept connections, such as
     *     {@code ; delivery auto: 12 replayable, 3 resumable only, 0 not migratable (not replayable
     *     since start: tls=3), kept 1048576 of 1073741824 bytes}; nothing when every port resumes
     */
    static String delivery(DeliveryTotals d) {
        if (!d.anyReplay()) {
            return "";
        }
        return "; delivery " + d.delivery() + ": " + d.replayable() + " replayable, " + d.resumableOnly() + " resumable only, "
                + d.notMigratable() + " not migratable" + notReplayable(d) + ", kept " + d.keptBytes() + " of " + d.keptBytesLimit()
                + " bytes" + (d.keptExpired() == 0 ? "" : ", " + d.keptExpired() + " kept streams freed idle");
    }

    /** @return after failover, what replay did: {@code ; replay: 12 replayed, 11 caught up, 1 diverged (reset), ...} */
    static String replayed(DeliveryTotals d) {
        String cut = d.midResponseResets() == 0 ? "" : "; " + d.midResponseResets() + " resumed in the middle of a response (reset)";
        if (d.replayed() == 0 && d.resetAtFailover() == 0) {
            return cut;
        }
        return "; replay: " + d.replayed() + " replayed, " + d.caughtUp() + " caught up, " + d.diverged() + " diverged (reset), "
                + d.resetAtFailover() + " not replayable (reset); " + d.bytesVerified() + " replica bytes verified, "
                + d.bytesDropped() + " dropped" + cut;
    }

    private static String notReplayable(DeliveryTotals d) {
        StringBuilder text = new StringBuilder();
        append(text, "handshake-missed", d.handshakeMissed());
        append(text, "too-long", d.streamTooLong());
        append(text, "memory-full", d.memoryFull());
        append(text, "capture-gap", d.captureGaps());
        append(text, "tls", d.tlsSeen());
        append(text, "ssh", d.sshSeen());
        return text.length() == 0 ? "" : " (not replayable since start:" + text + ")";
    }

    private static void append(StringBuilder text, String reason, int count) {
        if (count > 0) {
            text.append(' ').append(reason).append('=').append(count);
        }
    }

    /**
     * @return one line per connection kept for a failover, such as {@code 10.0.0.1:40000 -> 10.0.0.2:80
     *     delivery=replay readiness=NOT_MIGRATABLE reason=TLS_SEEN kept=517 digested=0 acked=0}
     */
    public static List<String> kept(List<KeptConnection> kept) {
        return kept.stream().map(k -> k.client().hostAndPort() + " -> " + k.server().hostAndPort() + " delivery="
                + k.delivery().configName() + " readiness=" + k.readiness() + (k.reason() == null ? "" : " reason=" + k.reason())
                + " kept=" + k.clientBytesKept() + " digested=" + k.serverBytesDigested() + " acked=" + k.serverBytesAcknowledged()).toList();
    }

    /**
     * @return one line per mapping, such as {@code 10.0.0.1:40000 (shadow 198.18.0.2:10000)
     *     state=ESTABLISHED d2=7 tsOffset=3 windowShift=7->7 streamStart=100 handOverLeft=0 toReplica=5 toClient=4}
     */
    public static List<String> mappings(List<MappingSnapshot> mappings) {
        return mappings.stream().map(StatusText::mapping).toList();
    }

    static String mapping(MappingSnapshot m) {
        StringBuilder line = new StringBuilder(200);
        line.append(m.client().hostAndPort()).append(" (shadow ").append(m.shadow().hostAndPort()).append(") state=").append(m.state());
        MappingSnapshot.Translation t = m.translation();
        if (t != null) {
            line.append(" d2=").append(t.d2()).append(" tsOffset=").append(t.timestampOffset())
                    .append(" windowShift=").append(t.replicaWindowShift()).append("->").append(t.primaryWindowShift());
        }
        switch (m.ecn()) {
            case ON -> line.append(" ecn=on");
            case REFUSED_BY_REPLICA -> line.append(" ecn=refused-by-replica");
            case NOT_NEGOTIATED -> { }
        }
        line.append(" streamStart=").append(m.streamStart()).append(" handOverLeft=").append(m.handOverBytesLeft())
                .append(" toReplica=").append(m.packetsToReplica()).append(" toClient=").append(m.packetsToClient());
        MappingSnapshot.Replay replay = m.replay();
        if (replay != null) {
            line.append(" replay=").append(replay.outcome().name().toLowerCase(java.util.Locale.ROOT))
                    .append(" verified=").append(replay.bytesVerified()).append(" left=").append(replay.bytesLeftToRegenerate())
                    .append(" catchUpMs=").append(replay.catchUpNanos() / 1_000_000);
        }
        return line.toString();
    }

    /** @return {@code (reason=count reason=count)}, or nothing when there is no reason to give */
    private static String reasons(Map<String, Long> byReason) {
        if (byReason.isEmpty()) {
            return "";
        }
        StringBuilder text = new StringBuilder(" (");
        byReason.forEach((reason, count) -> text.append(reason).append('=').append(count).append(' '));
        text.setCharAt(text.length() - 1, ')');
        return text.toString();
    }

    private static long total(Map<String, Long> byReason) {
        return byReason.values().stream().mapToLong(Long::longValue).sum();
    }
}
