package org.migware.api.failover;

import java.util.Objects;

/**
 * The fence command that keeps the primary down before a takeover.
 *
 * @param configured whether a command is configured; without one the primary is trusted to stay down
 * @param command the command, empty when none
 * @param lastFailure why the last attempt failed (the command's exit and last line), or
 *     {@code null} when the last attempt succeeded or none was made
 * @since 1.2
 */
public record FenceStatus(boolean configured, String command, String lastFailure) {

    /**
     * What {@link #protection()} says when no fence command is configured.
     *
     * @since 2.3
     */
    public static final String UNFENCED = "unfenced";

    /**
     * What {@link #protection()} says when a fence command is configured.
     *
     * @since 2.3
     */
    public static final String FENCED = "fenced";

    /** Validates the fields. */
    public FenceStatus {
        Objects.requireNonNull(command, "command");
    }

    /**
     * @return {@value #FENCED} with a fence command, {@value #UNFENCED} without one: the word the
     *     status shows (a takeover without a fence trusts the primary to stay down)
     * @since 2.3
     */
    public String protection() {
        return configured ? FENCED : UNFENCED;
    }
}
