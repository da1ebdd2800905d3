package org.migware.api.failover;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

import org.migware.api.connection.TableStatistics;
import org.migware.api.health.HealthVerdict;

/**
 * Everything {@code migware:status} shows, as {@code migware:status --json} writes it: a field of
 * a part that is not running is {@code null}, and its list empty.
 *
 * @param time when the report was made
 * @param failover the failover state, {@code null} when the core's coordinator is not running
 * @param captures every capture source's counters
 * @param connections the connection table's counters, {@code null} when the tracker is not running
 * @param migration the migration's progress; {@link MigrationPhase#NOT_CONFIGURED} when the
 *     migration bundle is not running
 * @param monitors each health monitor's current verdict
 * @since 1.2
 */
public record StatusReport(
        Instant time,
        FailoverSnapshot failover,
        List<CaptureSnapshot> captures,
        TableStatistics connections,
        MigrationProgress migration,
        List<HealthVerdict> monitors) {

    /** Validates the fields and copies the lists so that the record stays immutable. */
    public StatusReport {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(migration, "migration");
        captures = List.copyOf(captures);
        monitors = List.copyOf(monitors);
    }
}
