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
 * @since 1.2
 */
public record ConnectionsReport(Instant time, boolean tracking, List<ConnectionSnapshot> connections, List<MappingSnapshot> mappings) {

    /** Validates the fields and copies the lists so that the record stays immutable. */
    public ConnectionsReport {
        Objects.requireNonNull(time, "time");
        connections = List.copyOf(connections);
        mappings = List.copyOf(mappings);
    }
}
