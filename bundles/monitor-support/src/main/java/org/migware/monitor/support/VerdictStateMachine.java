package org.migware.monitor.support;

import java.time.Clock;
import java.util.Objects;
import java.util.Optional;

import org.migware.api.health.HealthStatus;
import org.migware.api.health.HealthVerdict;

/**
 * Turns a stream of {@link ProbeResult}s into verdicts. A plain object: no threads, no logging, time
 * from the given {@link Clock}; not thread-safe (a {@link ProbeLoop} calls it from one thread).
 *
 * <ul>
 * <li>It starts {@code UNKNOWN}.</li>
 * <li>A success makes an {@code UNKNOWN} verdict {@code UP} at once; a {@code DOWN} verdict becomes
 * {@code UP} only after {@code recoveries} consecutive successes.</li>
 * <li>{@code misses} consecutive misses make the verdict {@code DOWN}, whatever it was; fewer never
 * do (an {@code UNKNOWN} verdict stays {@code UNKNOWN} until then, an {@code UP} one stays {@code UP}).</li>
 * <li>An {@link ProbeResult.Outcome#UNKNOWN} result (the probe cannot work) makes the verdict
 * {@code UNKNOWN} and starts both counts afresh.</li>
 * </ul>
 *
 * <p>{@link #record(ProbeResult)} returns a verdict only when the status changes; that is the
 * verdict to log and to publish.
 */
public final class VerdictStateMachine {

    private final String monitor;
    private final String target;
    private final int misses;
    private final int recoveries;
    private final Clock clock;
    private HealthVerdict current;
    private int consecutiveMisses;
    private int consecutiveSuccesses;

    /**
     * @param monitor the monitor's name, as in {@link HealthVerdict#monitor()}
     * @param target what is probed, as in {@link HealthVerdict#target()}
     * @param settings where {@code misses} and {@code recoveries} come from
     * @param clock the time of each verdict
     * @param startReason the reason of the first, {@code UNKNOWN}, verdict
     */
    public VerdictStateMachine(String monitor, String target, ProbeSettings settings, Clock clock, String startReason) {
        this.monitor = Objects.requireNonNull(monitor, "monitor");
        this.target = Objects.requireNonNull(target, "target");
        this.misses = settings.misses();
        this.recoveries = settings.recoveries();
        this.clock = Objects.requireNonNull(clock, "clock");
        this.current = new HealthVerdict(monitor, target, HealthStatus.UNKNOWN, clock.instant(), startReason);
    }

    /** @return the latest verdict; {@code UNKNOWN} until a probe has decided */
    public HealthVerdict current() {
        return current;
    }

    /** @return misses in a row up to now */
    public int consecutiveMisses() {
        return consecutiveMisses;
    }

    /** @return successes in a row up to now */
    public int consecutiveSuccesses() {
        return consecutiveSuccesses;
    }

    /**
     * Counts one probe result.
     *
     * @param result what the probe found
     * @return the new verdict if the status changed, else empty
     */
    public Optional<HealthVerdict> record(ProbeResult result) {
        HealthStatus status = current.status();
        switch (result.outcome()) {
            case SUCCESS -> {
                consecutiveMisses = 0;
                consecutiveSuccesses = saturatedIncrement(consecutiveSuccesses);
                if (status == HealthStatus.UNKNOWN) {
                    return change(HealthStatus.UP, result.reason());
                }
                if (status == HealthStatus.DOWN && consecutiveSuccesses >= recoveries) {
                    return change(HealthStatus.UP, result.reason() + counted(consecutiveSuccesses, "success", "successes"));
                }
                return Optional.empty();
            }
            case MISS -> {
                consecutiveSuccesses = 0;
                consecutiveMisses = saturatedIncrement(consecutiveMisses);
                if (status != HealthStatus.DOWN && consecutiveMisses >= misses) {
                    return change(HealthStatus.DOWN, result.reason() + counted(consecutiveMisses, "miss", "misses"));
                }
                return Optional.empty();
            }
            case UNKNOWN -> {
                consecutiveSuccesses = 0;
                consecutiveMisses = 0;
                if (status != HealthStatus.UNKNOWN) {
                    return change(HealthStatus.UNKNOWN, result.reason());
                }
                return Optional.empty();
            }
            default -> throw new IllegalStateException("unknown outcome " + result.outcome());
        }
    }

    private Optional<HealthVerdict> change(HealthStatus status, String reason) {
        current = new HealthVerdict(monitor, target, status, clock.instant(), reason);
        return Optional.of(current);
    }

    private static String counted(int count, String one, String many) {
        return " (" + count + (count == 1 ? " " + one : " consecutive " + many) + ")";
    }

    private static int saturatedIncrement(int value) {
        return value == Integer.MAX_VALUE ? value : value + 1;
    }
}
