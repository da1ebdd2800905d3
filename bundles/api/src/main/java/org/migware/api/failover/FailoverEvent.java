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
 */
public record FailoverEvent(FailoverState from, FailoverState to, Instant time, String reason) {

    /** Validates the fields. */
    public FailoverEvent {
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(reason, "reason");
    }
}
