package org.migware.api.failover;

import java.time.Instant;
import java.util.Objects;

/**
 * A change of {@link FailoverState}.
 *
 * @param from the state before, {@code null} for the first state after start
 * @param to the state after
 * @param time when it changed
 * @param reason why, in words
 * @param recovery in RECOVERY and PROXY, as the core delivers the event to a
 *     {@link FailoverListener}: where the migration bundle reports the end of recovery; otherwise
 *     {@code null} (since 1.2)
 */
public record FailoverEvent(FailoverState from, FailoverState to, Instant time, String reason, RecoveryHandle recovery) {

    /** Validates the fields. */
    public FailoverEvent {
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(reason, "reason");
    }

    /** A change without a recovery handle, as it is kept and shown. */
    public FailoverEvent(FailoverState from, FailoverState to, Instant time, String reason) {
        this(from, to, time, reason, null);
    }

    /**
     * @param handle where the end of recovery is reported
     * @return the same change, carrying {@code handle}
     * @since 1.2
     */
    public FailoverEvent withRecovery(RecoveryHandle handle) {
        return new FailoverEvent(from, to, time, reason, handle);
    }
}
