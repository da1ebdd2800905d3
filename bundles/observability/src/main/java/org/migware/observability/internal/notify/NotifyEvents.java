package org.migware.observability.internal.notify;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.migware.api.failover.FailoverEvent;
import org.migware.api.health.HealthStatus;
import org.migware.api.health.HealthVerdict;

/**
 * Turns what MigWare tells into the notify command's environment, and decides which verdicts
 * and arm states are changes. Thread-safe: state changes, verdicts and arm checks arrive on
 * different threads.
 *
 * <p>The variables (every event has the first five):
 * <ul>
 * <li>{@code MIGWARE_EVENT}: {@value #STATE}, {@value #VERDICT}, {@value #ARMED} or {@value #DISARMED}</li>
 * <li>{@code MIGWARE_SEQUENCE}: the event's number since start, 1, 2, ...</li>
 * <li>{@code MIGWARE_TIME}: when it happened, ISO-8601 ({@code 2026-12-06T21:00:00.123Z})</li>
 * <li>{@code MIGWARE_FROM}, {@code MIGWARE_TO}: the failover states ({@code NORMAL}, {@code CLAIMING}, {@code RECOVERY},
 * {@code PROXY}; {@code FROM} empty for the first state after start), the monitor's verdicts
 * ({@code UP}, {@code DOWN}, {@code UNKNOWN}; {@code FROM} empty for its first), or
 * {@code armed} and {@code disarmed}</li>
 * <li>{@code MIGWARE_REASON}: why, in words: the state change's, the verdict's, or every reason
 * the backup is not armed, joined by {@code "; "} (empty when armed)</li>
 * <li>{@code MIGWARE_MONITOR}, {@code MIGWARE_TARGET}, {@code MIGWARE_VERDICT}: with {@value #VERDICT} only</li>
 * <li>{@code MIGWARE_DROPPED}: events dropped so far because the queue was full (set by the runner)</li>
 * </ul>
 */
final class NotifyEvents {

    static final String STATE = "STATE";
    static final String VERDICT = "VERDICT";
    static final String ARMED = "ARMED";
    static final String DISARMED = "DISARMED";

    private final Map<String, HealthStatus> lastVerdicts = new ConcurrentHashMap<>();
    private long sequence;
    private Boolean lastArmed;

    /** @return the variables of a failover state change */
    synchronized Map<String, String> state(FailoverEvent event) {
        Map<String, String> env = common(STATE, event.time(), event.from() == null ? "" : event.from().name(), event.to().name(),
                event.reason());
        return env;
    }

    /** @return the variables of a verdict that changes its monitor's last one, or {@code null} when it does not */
    synchronized Map<String, String> verdict(HealthVerdict verdict) {
        return verdict(verdict, false);
    }

    /**
     * @param verdict a monitor's verdict
     * @param onlyFirst whether it counts only as the monitor's first (a verdict read at start, which
     *     must not undo one heard meanwhile)
     * @return the variables, or {@code null} when it is no change
     */
    synchronized Map<String, String> verdict(HealthVerdict verdict, boolean onlyFirst) {
        String key = verdict.monitor() + "\u0000" + verdict.target();
        if (onlyFirst && lastVerdicts.containsKey(key)) {
            return null;
        }
        HealthStatus before = lastVerdicts.put(key, verdict.status());
        if (before == verdict.status()) {
            return null;
        }
        Map<String, String> env = common(VERDICT, verdict.time(), before == null ? "" : before.name(), verdict.status().name(),
                verdict.reason());
        env.put("MIGWARE_MONITOR", verdict.monitor());
        env.put("MIGWARE_TARGET", verdict.target());
        env.put("MIGWARE_VERDICT", verdict.status().name());
        return env;
    }

    /**
     * @param reasons why the backup is not armed now (empty: armed)
     * @param time now
     * @return the variables of an arm or disarm, or {@code null} when nothing changed
     */
    synchronized Map<String, String> armed(List<String> reasons, Instant time) {
        boolean armed = reasons.isEmpty();
        Boolean before = lastArmed;
        lastArmed = armed;
        if (before != null && before == armed) {
            return null;
        }
        return common(armed ? ARMED : DISARMED, time, before == null ? "" : word(before), word(armed), String.join("; ", reasons));
    }

    private static String word(boolean armed) {
        return armed ? "armed" : "disarmed";
    }

    private Map<String, String> common(String kind, Instant time, String from, String to, String reason) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("MIGWARE_EVENT", kind);
        env.put("MIGWARE_SEQUENCE", Long.toString(++sequence));
        env.put("MIGWARE_TIME", time.toString());
        env.put("MIGWARE_FROM", from);
        env.put("MIGWARE_TO", to);
        env.put("MIGWARE_REASON", reason.replace('\n', ' '));
        return env;
    }

    /** @return the event in a few words, for the log */
    static String describe(Map<String, String> env) {
        return env.get("MIGWARE_SEQUENCE") + " " + env.get("MIGWARE_EVENT")
                + (env.containsKey("MIGWARE_MONITOR") ? " " + env.get("MIGWARE_MONITOR") : "") + " "
                + (env.get("MIGWARE_FROM").isEmpty() ? "" : env.get("MIGWARE_FROM") + "->") + env.get("MIGWARE_TO");
    }
}
