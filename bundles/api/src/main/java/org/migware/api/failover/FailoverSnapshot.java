package org.migware.api.failover;

import java.time.Instant;
import java.util.Objects;

/**
 * The failover state at one moment, with what decides the next change.
 *
 * @param state the current state
 * @param since when it was entered
 * @param reason why, in words
 * @param policy how the monitors' verdicts become a decision
 * @param fence how the primary is kept down before a takeover
 * @since 1.2
 */
public record FailoverSnapshot(FailoverState state, Instant since, String reason, FailoverPolicy policy, FenceStatus fence) {

    /** Validates the fields. */
    public FailoverSnapshot {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(fence, "fence");
    }
}
