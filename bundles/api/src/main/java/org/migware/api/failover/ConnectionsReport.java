package org.migware.api.failover;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

import org.migware.api.connection.ConnectionSnapshot;

/**
 * Everything {@code migware:connections} shows, as {@code migware:connections --json} writes it:
 * one page of the connections an operator asked for ({@link ConnectionsQuery}), with how many
 * there are in all.
 *
 * @param time when the report was made
 * @param tracking whether the tracker is running; without it {@code connections} is empty
 * @param connections the page of tracked connections that match the filter, oldest first
 * @param mappings the page of connections MigWare carries since the failover that match the
 *     filter, in client address order
 * @param kept every connection the migration bundle keeps for a failover that matches the filter,
 *     and what it would do with each (since 2.1; empty when not given)
 * @param filter the filter as the operator gave it, {@code ""} for every connection (since 2.4)
 * @param offset how many matching connections (and mappings) the page skips (since 2.4)
 * @param limit the most connections (and mappings) a page holds, {@code -1} for no limit (since 2.4)
 * @param total how many tracked connections match the filter, before the offset and the limit;
 *     never below the page's size (since 2.4)
 * @param mappingsTotal how many carried connections match the filter, before the offset and the
 *     limit (since 2.4)
 * @since 1.2
 */
public record ConnectionsReport(Instant time, boolean tracking, List<ConnectionSnapshot> connections, List<MappingSnapshot> mappings,
        List<KeptConnection> kept, String filter, int offset, int limit, int total, int mappingsTotal) {

    /** A report without the kept connections, as before 2.1. */
    public ConnectionsReport(Instant time, boolean tracking, List<ConnectionSnapshot> connections, List<MappingSnapshot> mappings) {
        this(time, tracking, connections, mappings, List.of());
    }

    /** A report of every connection, with no filter and no limit, as before 2.4. */
    public ConnectionsReport(Instant time, boolean tracking, List<ConnectionSnapshot> connections, List<MappingSnapshot> mappings,
            List<KeptConnection> kept) {
        this(time, tracking, connections, mappings, kept, "", 0, -1, connections.size(), mappings.size());
    }

    /** Validates the fields and copies the lists so that the record stays immutable. */
    public ConnectionsReport {
        Objects.requireNonNull(time, "time");
        connections = List.copyOf(connections);
        mappings = List.copyOf(mappings);
        kept = kept == null ? List.of() : List.copyOf(kept);
        filter = filter == null ? "" : filter;
        if (offset < 0) {
            throw new IllegalArgumentException("offset below 0: " + offset);
        }
        if (limit < -1) {
            throw new IllegalArgumentException("limit below -1: " + limit);
        }
        // never below the page: a report written before 2.4 has no totals, and reads back with 0
        total = Math.max(total, connections.size());
        mappingsTotal = Math.max(mappingsTotal, mappings.size());
    }
}
