package org.migware.api.failover;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

import org.migware.api.connection.ConnectionFilter;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.ConnectionTable;
import org.migware.api.connection.Endpoint;

/**
 * One page of the connections: those that match a filter, oldest first, from an offset, at most a
 * limit. What {@code migware:connections --filter --limit --offset} and the web page's
 * {@code /api/connections} ask; both get the same {@link ConnectionsReport}. Only the page is
 * copied into the report: a page of 50 out of 10,000 costs one pass over the table and a sort of
 * the matches, never the formatting of the rest.
 *
 * @param filter which connections
 * @param offset how many matches to skip, at least 0
 * @param limit the most connections the page holds, {@code -1} for no limit; 0 counts only
 * @since 2.4
 */
public record ConnectionsQuery(ConnectionFilter filter, int offset, int limit) {

    /** Every connection, no limit. */
    public static final ConnectionsQuery ALL = new ConnectionsQuery(ConnectionFilter.ANY, 0, -1);

    private static final Comparator<ConnectionSnapshot> OLDEST_FIRST = Comparator.comparing(ConnectionSnapshot::firstSeen)
            .thenComparing(c -> c.client().address().getHostAddress())
            .thenComparingInt(c -> c.client().port());
    private static final Comparator<Endpoint> ADDRESS_ORDER = Comparator.comparing((Endpoint e) -> e.address().getHostAddress())
            .thenComparingInt(Endpoint::port);

    /** Validates the fields. */
    public ConnectionsQuery {
        Objects.requireNonNull(filter, "filter");
        if (offset < 0) {
            throw new IllegalArgumentException("the offset must be 0 or more: " + offset);
        }
        if (limit < -1) {
            throw new IllegalArgumentException("the limit must be 0 or more (-1: no limit): " + limit);
        }
    }

    /**
     * @param now the report's time
     * @param table the tracker's table, {@code null} when the tracker is not running
     * @param migration the migration bundle's status, {@code null} when it is not running
     * @return the page
     */
    public ConnectionsReport run(Instant now, ConnectionTable table, MigrationStatus migration) {
        List<ConnectionSnapshot> matches = new ArrayList<>();
        if (table != null) {
            for (ConnectionSnapshot c : table.connections()) {
                if (filter.matches(c.client(), c.server())) {
                    matches.add(c);
                }
            }
        }
        matches.sort(OLDEST_FIRST);
        List<MappingSnapshot> mappings = new ArrayList<>();
        List<KeptConnection> kept = new ArrayList<>();
        if (migration != null) {
            for (MappingSnapshot m : migration.mappingSnapshots()) {
                if (filter.matches(m.client(), m.replica()) || filter.matches(m.shadow())) {
                    mappings.add(m);
                }
            }
            for (KeptConnection k : migration.keptConnections()) {
                if (filter.matches(k.client(), k.server())) {
                    kept.add(k);
                }
            }
        }
        mappings.sort(Comparator.comparing(MappingSnapshot::client, ADDRESS_ORDER));
        return new ConnectionsReport(now, table != null, page(matches), page(mappings), kept, filter.toString(), offset, limit,
                matches.size(), mappings.size());
    }

    private <T> List<T> page(List<T> all) {
        int from = Math.min(offset, all.size());
        int to = limit < 0 ? all.size() : (int) Math.min(all.size(), (long) from + limit);
        return all.subList(from, to);
    }
}
