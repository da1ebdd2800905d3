package org.migware.api.failover;

import java.util.Objects;

/**
 * How the core combines the monitors' verdicts, as it applies them now (an invalid
 * configuration falls back to {@link Mode#ANY} without hold-down).
 *
 * @param mode how the verdicts combine
 * @param quorum with {@link Mode#QUORUM}: how many monitors must say DOWN
 * @param holdDownMillis how long the policy must say DOWN without a break before the decision; 0 acts at once
 * @param dryRun whether decisions are only logged
 * @since 1.2
 */
public record FailoverPolicy(Mode mode, int quorum, long holdDownMillis, boolean dryRun) {

    /** How the verdicts combine. */
    public enum Mode {
        /** DOWN when any monitor says DOWN. */
        ANY,
        /** DOWN when every monitor present says DOWN. */
        ALL,
        /** DOWN when at least {@code quorum} monitors say DOWN. */
        QUORUM
    }

    /** Validates the fields. */
    public FailoverPolicy {
        Objects.requireNonNull(mode, "mode");
    }
}
