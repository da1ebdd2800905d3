package org.migware.monitor.support;

import java.util.Objects;

/**
 * What one {@link Probe} found.
 *
 * @param outcome success, miss, or "cannot tell"
 * @param reason in words a person on call understands: what answered, or what went wrong
 */
public record ProbeResult(Outcome outcome, String reason) {

    /** The three things a probe can find. */
    public enum Outcome {
        /** The target answered as expected. */
        SUCCESS,
        /** The target did not answer, or answered wrongly. Counts towards {@code DOWN}. */
        MISS,
        /**
         * The probe itself cannot work (no privilege, a missing tool, a broken configuration): it
         * says nothing about the target, so the verdict becomes {@code UNKNOWN}, never {@code DOWN}.
         */
        UNKNOWN
    }

    /** Validates the fields. */
    public ProbeResult {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(reason, "reason");
    }

    /**
     * @param detail what answered, for example {@code "echo reply in 0.4 ms"}
     * @return a success
     */
    public static ProbeResult success(String detail) {
        return new ProbeResult(Outcome.SUCCESS, detail);
    }

    /**
     * @param reason what went wrong, for example {@code "connection refused"}
     * @return a miss
     */
    public static ProbeResult miss(String reason) {
        return new ProbeResult(Outcome.MISS, reason);
    }

    /**
     * @param reason why the probe cannot work, for example {@code "raw sockets need root"}
     * @return a result that makes the verdict {@code UNKNOWN}
     */
    public static ProbeResult unknown(String reason) {
        return new ProbeResult(Outcome.UNKNOWN, reason);
    }

    /** @return whether this is a {@link Outcome#SUCCESS} */
    public boolean isSuccess() {
        return outcome == Outcome.SUCCESS;
    }

    /** @return whether this is a {@link Outcome#MISS} */
    public boolean isMiss() {
        return outcome == Outcome.MISS;
    }
}
