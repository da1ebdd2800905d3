package org.migware.core.internal.decision;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.migware.api.failover.FailoverPolicy;
import org.migware.api.failover.FailoverPolicy.Mode;
import org.migware.api.health.HealthStatus;
import org.migware.api.health.HealthVerdict;

/**
 * Decides from the verdicts of the monitors that are present whether the primary is down, with
 * hysteresis: the policy must say DOWN without a break for {@code holdDownNanos} before the
 * decision is taken, so a monitor that flaps never causes a failover. Plain and single-threaded;
 * the coordinator calls it from its one thread.
 */
public final class DecisionPolicy {

    /** The outcome of one evaluation. */
    public enum Outcome {
        /** The policy does not say DOWN. */
        ALIVE,
        /** The policy says DOWN, for less than the hold-down time so far. */
        SUSPECT,
        /** The policy has said DOWN for the whole hold-down time: fail over. */
        DOWN
    }

    /**
     * @param outcome what to do
     * @param reason in words: which monitors said what
     */
    public record Evaluation(Outcome outcome, String reason) {
    }

    private final Mode mode;
    private final int quorum;
    private final long holdDownNanos;
    private long suspectSinceNanos = -1;

    public DecisionPolicy(Mode mode, int quorum, long holdDownNanos) {
        if (mode == Mode.QUORUM && quorum < 1) {
            throw new IllegalArgumentException("'quorum' must be at least 1, was " + quorum);
        }
        if (holdDownNanos < 0) {
            throw new IllegalArgumentException("'holdDownMillis' must not be negative");
        }
        this.mode = mode;
        this.quorum = quorum;
        this.holdDownNanos = holdDownNanos;
    }

    /** @throws IllegalArgumentException naming the key of a wrong value */
    public static DecisionPolicy of(String policy, int quorum, long holdDownMillis) {
        return new DecisionPolicy(parseMode(policy), quorum, holdDownMillis * 1_000_000L);
    }

    private static Mode parseMode(String text) {
        try {
            return Mode.valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("'policy' must be any, all or quorum, was '" + text + "'");
        }
    }

    /**
     * @param verdicts the current verdict of every monitor present
     * @param nowNanos a monotonic clock
     */
    public Evaluation evaluate(List<HealthVerdict> verdicts, long nowNanos) {
        List<String> down = new ArrayList<>();
        for (HealthVerdict verdict : verdicts) {
            if (verdict.status() == HealthStatus.DOWN) {
                down.add(verdict.monitor() + " (" + verdict.reason() + ")");
            }
        }
        boolean policySaysDown = switch (mode) {
            case ANY -> !down.isEmpty();
            case ALL -> !verdicts.isEmpty() && down.size() == verdicts.size();
            case QUORUM -> down.size() >= quorum;
        };
        if (!policySaysDown) {
            suspectSinceNanos = -1;
            return new Evaluation(Outcome.ALIVE, verdicts.isEmpty() ? "no monitor installed"
                    : down.size() + " of " + verdicts.size() + " monitors DOWN (policy " + describe() + ")");
        }
        if (suspectSinceNanos < 0) {
            suspectSinceNanos = nowNanos;
        }
        String reason = down.size() + " of " + verdicts.size() + " monitors DOWN (policy " + describe() + "): "
                + String.join(", ", down);
        return nowNanos - suspectSinceNanos >= holdDownNanos
                ? new Evaluation(Outcome.DOWN, reason)
                : new Evaluation(Outcome.SUSPECT, reason);
    }

    /** @return when the current DOWN streak reaches the hold-down time, or -1 when there is none */
    public long decisionDueNanos() {
        return suspectSinceNanos < 0 ? -1 : suspectSinceNanos + holdDownNanos;
    }

    public String describe() {
        return describe(mode, quorum, holdDownNanos / 1_000_000);
    }

    /** @return the policy in words, such as {@code quorum 2, hold-down 500 ms}: the log's and the status's words */
    public static String describe(Mode mode, int quorum, long holdDownMillis) {
        String text = mode == Mode.QUORUM ? "quorum " + quorum : mode.name().toLowerCase(Locale.ROOT);
        return holdDownMillis == 0 ? text : text + ", hold-down " + holdDownMillis + " ms";
    }

    /**
     * @param dryRun whether decisions are only logged
     * @return the policy as it applies now
     */
    public FailoverPolicy snapshot(boolean dryRun) {
        return new FailoverPolicy(mode, quorum, holdDownNanos / 1_000_000, dryRun);
    }
}
