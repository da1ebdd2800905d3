package org.migware.api.health;

import java.time.Instant;
import java.util.Objects;

/**
 * One verdict of a {@link HealthMonitor}.
 *
 * @param monitor the monitor's name
 * @param target what was checked, such as {@code 10.0.0.2} or {@code 10.0.0.2:7000}
 * @param status the verdict
 * @param time when the verdict was reached
 * @param reason why, in words a person on call understands
 */
public record HealthVerdict(String monitor, String target, HealthStatus status, Instant time, String reason) {

    /** Validates the fields. */
    public HealthVerdict {
        Objects.requireNonNull(monitor, "monitor");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(reason, "reason");
    }
}
