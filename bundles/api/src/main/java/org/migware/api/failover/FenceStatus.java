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

    /** Validates the fields. */
    public FenceStatus {
        Objects.requireNonNull(command, "command");
    }
}
