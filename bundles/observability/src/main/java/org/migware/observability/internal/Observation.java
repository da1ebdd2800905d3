package org.migware.observability.internal;

import java.util.List;
import java.util.Objects;

import org.migware.api.failover.KeptConnection;
import org.migware.api.failover.MappingSnapshot;
import org.migware.api.failover.ReplicaReadiness;
import org.migware.api.failover.StatusReport;

/**
 * What the status services say at one moment: the records {@code migware:status} is made of,
 * and the per-connection records the metrics sum up.
 *
 * @param report the status, as {@code migware:status --json} writes it
 * @param migrationRunning whether the migration bundle (the proxy) is running at all
 * @param mappings every connection MigWare carries since the failover
 * @param kept every connection kept for a failover
 * @param replica whether the replica's side of a failover is ready; {@code null} when the
 *     migration bundle does not tell (not running, not configured, or unavailable)
 */
public record Observation(StatusReport report, boolean migrationRunning, List<MappingSnapshot> mappings, List<KeptConnection> kept,
        ReplicaReadiness replica) {

    /** Validates the fields and copies the lists so that the record stays immutable. */
    public Observation {
        Objects.requireNonNull(report, "report");
        mappings = List.copyOf(mappings);
        kept = List.copyOf(kept);
    }
}
