package org.migware.lab.experiments;

import static org.migware.lab.experiments.JsonFields.array;
import static org.migware.lab.experiments.JsonFields.flag;
import static org.migware.lab.experiments.JsonFields.instant;
import static org.migware.lab.experiments.JsonFields.number;
import static org.migware.lab.experiments.JsonFields.object;
import static org.migware.lab.experiments.JsonFields.report;
import static org.migware.lab.experiments.JsonFields.string;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import org.migware.lab.LabException;

/**
 * {@code migware:status --json} read: the core's {@code StatusReport} record (package
 * {@code org.migware.api.failover}) as the failover state with the instant it was entered, the
 * decision's policy, each health monitor's verdict, whether a capture runs, the tracker's size and
 * the migration's progress. The lab takes its decisions from these values, never from the words
 * of {@code migware:status}.
 *
 * @param state e.g. {@code NORMAL} or {@code RECOVERY}; {@link #UNKNOWN} when the core does not run
 * @param since when that state was entered, or null
 * @param reason why (the decision's reason after a failover)
 * @param policy how the verdicts combine, or null when the core does not run
 * @param monitors one entry per health monitor, in the core's order
 * @param capturesRunning the capture sources that run ({@code pcap4j:eth0}, ...)
 * @param tracked connections in the tracker's table, -1 when the tracker does not run
 * @param migration the migration's progress
 * @param json the answer it was read from, for messages
 */
public record MigwareStatus(String state, Instant since, String reason, Policy policy, List<Verdict> monitors,
        List<String> capturesRunning, int tracked, Migration migration, String json) {

    /** The command whose answer {@link #parse} reads. */
    public static final String COMMAND = "migware:status --json";

    /** The state when the core's failover coordinator does not run (the report's {@code failover} is null). */
    public static final String UNKNOWN = "unknown";

    /**
     * One monitor's verdict ({@code HealthVerdict}).
     *
     * @param monitor its name: {@code icmp}, {@code tcp:<port>}, {@code traffic}, {@code exec:<name>}, ...
     * @param status UP, DOWN or UNKNOWN
     * @param target what it probes
     * @param at when the verdict last changed
     * @param reason why
     */
    public record Verdict(String monitor, String status, String target, Instant at, String reason) {

        /** @return true when the monitor's name is {@code kind} or starts with {@code kind:} */
        public boolean is(String kind) {
            return monitor.equals(kind) || monitor.startsWith(kind + ":");
        }

        public boolean down() {
            return status.equals("DOWN");
        }

        public boolean up() {
            return status.equals("UP");
        }
    }

    /**
     * The decision's policy ({@code FailoverPolicy}).
     *
     * @param mode ANY, ALL or QUORUM
     * @param quorum DOWN verdicts needed in QUORUM mode
     * @param holdDownMillis how long DOWN must hold before the decision
     * @param dryRun whether the decision is only logged
     */
    public record Policy(String mode, int quorum, long holdDownMillis, boolean dryRun) {
    }

    /**
     * The migration's progress ({@code MigrationProgress}): the fields that {@code migware:status}
     * shows once the recovery has started.
     *
     * @param phase NOT_CONFIGURED, UNAVAILABLE, READY, RECOVERING or RECOVERED
     * @param recoveryNanos how long the recovery took (so far)
     * @param recovered connections re-created against the replica
     * @param failed connections whose forged handshake the replica never answered
     * @param queued connections waiting for their forged handshake
     * @param handshaking connections whose forged SYN is out
     * @param notRecoverable connections found not recoverable
     * @param bytesHandedOver client bytes handed over to the replica
     * @param framing the record framing, {@code none} for none
     * @param recordHeadsPrepended record heads the framing prepended
     * @param recordHeadsNotKept record heads the framing could not keep
     * @param resetsSent resets sent for segments of no connection
     * @param ecnRefusedByReplica connections whose ECN the replica refused
     */
    public record Migration(String phase, long recoveryNanos, int recovered, int failed, int queued, int handshaking,
            int notRecoverable, long bytesHandedOver, String framing, int recordHeadsPrepended, int recordHeadsNotKept,
            long resetsSent, int ecnRefusedByReplica) {

        /** @return whether a failover started the recovery (RECOVERING or RECOVERED) */
        public boolean started() {
            return phase.equals("RECOVERING") || phase.equals("RECOVERED");
        }

        /** @return the recovery's duration in whole milliseconds, -1 before a recovery started */
        public long recoveryMillis() {
            return started() ? recoveryNanos / 1_000_000 : -1;
        }

        /** @return connections still waiting: queued or handshaking */
        public int pending() {
            return queued + handshaking;
        }
    }

    /**
     * What a status says of the decision and the recovery: the state with its instant and reason,
     * and the migration's progress; two of these are equal when neither changed (capture and
     * tracker counters, which move with every packet, are not part of it).
     *
     * @param state the state
     * @param since when it was entered
     * @param reason why
     * @param migration the migration's progress
     */
    public record Decision(String state, Instant since, String reason, Migration migration) {
    }

    /**
     * @param json the answer of {@link #COMMAND}
     * @return the status it describes
     * @throws LabException when it is not a status report
     */
    public static MigwareStatus parse(String json) {
        JsonObject report = report(json, "migration", COMMAND);
        JsonObject failover = object(report, "failover");
        JsonObject policy = object(failover, "policy");
        List<Verdict> monitors = new ArrayList<>();
        for (JsonElement e : array(report, "monitors")) {
            JsonObject v = e.getAsJsonObject();
            monitors.add(new Verdict(string(v, "monitor", ""), string(v, "status", ""), string(v, "target", ""),
                    instant(v, "time"), string(v, "reason", "")));
        }
        List<String> capturesRunning = new ArrayList<>();
        for (JsonElement e : array(report, "captures")) {
            JsonObject capture = e.getAsJsonObject();
            if (flag(object(capture, "statistics"), "running")) {
                capturesRunning.add(string(capture, "source", ""));
            }
        }
        return new MigwareStatus(
                failover == null ? UNKNOWN : string(failover, "state", UNKNOWN),
                instant(failover, "since"),
                failover == null ? "core's failover coordinator is not running" : string(failover, "reason", ""),
                policy == null ? null : new Policy(string(policy, "mode", ""), (int) number(policy, "quorum", 0),
                        number(policy, "holdDownMillis", 0), flag(policy, "dryRun")),
                List.copyOf(monitors), List.copyOf(capturesRunning), (int) number(object(report, "connections"), "tracked", -1),
                migration(object(report, "migration")), json.strip());
    }

    private static Migration migration(JsonObject m) {
        return new Migration(string(m, "phase", "NOT_CONFIGURED"), number(m, "recoveryNanos", 0), (int) number(m, "recovered", 0),
                (int) number(m, "failed", 0), (int) number(m, "queued", 0), (int) number(m, "handshaking", 0),
                (int) number(m, "notRecoverable", 0), number(m, "bytesHandedOver", 0), string(m, "framing", "none"),
                (int) number(m, "recordHeadsPrepended", 0), (int) number(m, "recordHeadsNotKept", 0), number(m, "resetsSent", 0),
                (int) number(m, "ecnRefusedByReplica", 0));
    }

    /** @return true in the NORMAL state */
    public boolean normal() {
        return state.equals("NORMAL");
    }

    /** @return true in the PROXY state: the recovery is over and MigWare carries the connections */
    public boolean proxy() {
        return state.equals("PROXY");
    }

    /** @return true when a capture source runs */
    public boolean capturing() {
        return !capturesRunning.isEmpty();
    }

    /**
     * @return true when the tracker's table is up. The bundles start one after the other: a
     *     capture that runs does not mean the tracker sees its frames yet, and a connection whose
     *     handshake it misses can never be re-created. Start clients only when this holds too.
     */
    public boolean tracking() {
        return tracked >= 0;
    }

    /** @return true when a capture source on that interface runs (its name ends with it: {@code pcap4j:eth0}) */
    public boolean capturingOn(String interfaceName) {
        return capturesRunning.stream().anyMatch(source -> source.endsWith(interfaceName));
    }

    /** @return the state and the migration's progress, to compare two moments */
    public Decision decision() {
        return new Decision(state, since, reason, migration);
    }

    /** @return the verdict of the first monitor of that kind ({@code icmp}, {@code tcp}, ...) */
    public Optional<Verdict> monitor(String kind) {
        return monitors.stream().filter(v -> v.is(kind)).findFirst();
    }

    /** @return true when a monitor of that kind is listed and says {@code status} */
    public boolean says(String kind, String status) {
        return monitor(kind).map(v -> v.status().equals(status)).orElse(false);
    }

    /** @return the monitors saying DOWN */
    public List<Verdict> down() {
        return monitors.stream().filter(Verdict::down).toList();
    }

    @Override
    public String toString() {
        return json;
    }
}
