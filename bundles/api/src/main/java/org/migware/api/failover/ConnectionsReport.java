package org.migware.api.failover;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

import org.migware.api.connection.ConnectionSnapshot;

/**
 * Everything {@code migware:connections} shows, as {@code migware:connections --json} writes it.
 *
 * @param time when the report was made
 * @param tracking whether the tracker is running; without it {@code connections} is empty
 * @param connections every tracked connection, oldest first
 * @param mappings every connection MigWare carries since the failover
 * @param kept every connection the migration bundle keeps for a failover, and what it would do
 *     with each (since 2.1; empty when not given)
 * @since 1.2
 */
public record ConnectionsReport(Instant time, boolean tracking, List<ConnectionSnapshot> connections, List<MappingSnapshot> mappings,
        List<KeptConnection> kept) {

    /** A report without the kept connections, as before 2.1. */
    public ConnectionsReport(Instant time, boolean tracking, List<ConnectionSnapshot> connections, List<MappingSnapshot> mappings) {
        this(time, tracking, connections, mappings, List.of());
    }

    /** Validates the fields and copies the lists so that the record stays immutable. */
    public ConnectionsReport {
        Objects.requireNonNull(time, "time");
        connections = List.copyOf(connections);
        mappings = List.copyOf(mappings);
        kept = kept == null ? List.of() : List.copyOf(kept);
    }
}
