package org.migware.core.internal.shell;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.migware.api.connection.ConnectionFilter;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.ConnectionTable;
import org.migware.api.failover.CaptureSnapshot;
import org.migware.api.failover.ConnectionsQuery;
import org.migware.api.failover.ConnectionsReport;
import org.migware.api.failover.MigrationProgress;
import org.migware.api.failover.MigrationStatus;
import org.migware.api.failover.StatusReport;
import org.migware.api.health.HealthMonitor;
import org.migware.api.health.HealthVerdict;
import org.migware.api.packet.PacketSource;
import org.migware.core.internal.FailoverCoordinator;
import org.migware.core.internal.status.StatusJson;
import org.migware.core.internal.status.StatusText;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The Gogo commands {@code migware:status}, {@code migware:connections} and {@code migware:failover}:
 * they gather the status records, and {@link StatusText} or {@link StatusJson} writes them.
 *
 * <p>Every collaborator is optional and dynamic: the commands must answer, and say what is
 * missing, while any other bundle is stopped or being swapped.
 */
@Component(service = MigwareCommands.class, property = {
    "osgi.command.scope=migware",
    "osgi.command.function=status",
    "osgi.command.function=connections",
    "osgi.command.function=failover"
})
public final class MigwareCommands {

    private final Clock clock;
    private final StatusJson json = new StatusJson();
    private final List<PacketSource> sources = new CopyOnWriteArrayList<>();
    private final List<HealthMonitor> monitors = new CopyOnWriteArrayList<>();
    private volatile ConnectionTable table;
    private volatile FailoverCoordinator failover;
    private volatile MigrationStatus migration;

    @Activate
    public MigwareCommands() {
        this(Clock.systemUTC());
    }

    MigwareCommands(Clock clock) {
        this.clock = clock;
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindConnectionTable(ConnectionTable newTable) {
        table = newTable;
    }

    void unbindConnectionTable(ConnectionTable oldTable) {
        if (table == oldTable) {
            table = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindFailoverCoordinator(FailoverCoordinator coordinator) {
        failover = coordinator;
    }

    void unbindFailoverCoordinator(FailoverCoordinator coordinator) {
        if (failover == coordinator) {
            failover = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindMigrationStatus(MigrationStatus status) {
        migration = status;
    }

    void unbindMigrationStatus(MigrationStatus status) {
        if (migration == status) {
            migration = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addPacketSource(PacketSource source) {
        sources.add(source);
    }

    void removePacketSource(PacketSource source) {
        sources.remove(source);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addHealthMonitor(HealthMonitor monitor) {
        monitors.add(monitor);
    }

    void removeHealthMonitor(HealthMonitor monitor) {
        monitors.remove(monitor);
    }

    /**
     * {@code migware:status [--json]}: state, policy, fence, capture counters, table, migration,
     * monitors; as a {@link StatusReport} in JSON with {@code --json}.
     */
    @Descriptor("the failover state, the capture's and the tracker's counters, the migration's progress and the monitors' verdicts")
    public String status(@Descriptor("print the status as JSON (a StatusReport)")
            @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json) {
        MigrationStatus currentMigration = migration;
        MigrationProgress progress = currentMigration == null ? null : currentMigration.progressSnapshot();
        StatusReport report = report(progress);
        if (json) {
            return this.json.write(report) + "\n";
        }
        return StatusText.status(report, currentMigration != null);
    }

    private StatusReport report(MigrationProgress progress) {
        FailoverCoordinator coordinator = failover;
        List<CaptureSnapshot> captures = new ArrayList<>();
        for (PacketSource source : List.copyOf(sources)) {
            captures.add(new CaptureSnapshot(source.name(), source.statistics()));
        }
        ConnectionTable currentTable = table;
        List<HealthVerdict> verdicts = new ArrayList<>();
        for (HealthMonitor monitor : List.copyOf(monitors)) {
            verdicts.add(monitor.currentVerdict());
        }
        return new StatusReport(clock.instant(), coordinator == null ? null : coordinator.snapshot(), captures,
                currentTable == null ? null : currentTable.statistics(),
                progress == null ? MigrationProgress.notConfigured() : progress, verdicts);
    }

    /**
     * {@code migware:failover [--force] [reason]}: fail over now, unless the backup looks isolated
     * or the fence command fails; {@code --force} skips both (the operator vouches that the primary
     * is down and stays down).
     */
    public String failover(String... reason) {
        FailoverCoordinator coordinator = failover;
        if (coordinator == null) {
            return "the core's failover coordinator is not running\n";
        }
        boolean force = reason.length > 0 && reason[0].equals("--force");
        String[] words = force ? java.util.Arrays.copyOfRange(reason, 1, reason.length) : reason;
        String why = words.length == 0 ? "requested by an operator" : String.join(" ", words);
        return coordinator.triggerManually(why, force) + "\n";
    }

    /**
     * {@code migware:connections [--filter ip[:port]] [--limit N] [--offset N] [--json]}: one line
     * per tracked connection that matches, oldest first, then the connections MigWare carries; as
     * a {@link ConnectionsReport} in JSON with {@code --json}. Only the page is written: its total
     * says how many match.
     */
    @Descriptor("the tracked connections, oldest first, and the connections MigWare carries since the failover")
    public String connections(@Descriptor("print the connections as JSON (a ConnectionsReport)")
            @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json,
            @Descriptor("only connections with an end (client or server) at ip, ip:port, [ipv6]:port or :port")
            @Parameter(names = "--filter", absentValue = "") String filter,
            @Descriptor("at most this many connections (and carried connections); 0 only counts; default: all")
            @Parameter(names = "--limit", absentValue = "-1") int limit,
            @Descriptor("skip this many matching connections first")
            @Parameter(names = "--offset", absentValue = "0") int offset) {
        ConnectionsQuery query;
        try {
            query = new ConnectionsQuery(ConnectionFilter.parse(filter), offset, limit);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("migware:connections: " + e.getMessage(), e);
        }
        ConnectionTable currentTable = table;
        Instant now = clock.instant();
        ConnectionsReport report = query.run(now, currentTable, migration);
        if (json) {
            return this.json.write(report) + "\n";
        }
        if (currentTable == null) {
            return "the tracker is not running: no connection table\n";
        }
        List<ConnectionSnapshot> snapshots = report.connections();
        StringBuilder out = new StringBuilder(snapshots.size() * 320 + 64);
        for (ConnectionSnapshot snapshot : snapshots) {
            out.append(ConnectionFormat.line(snapshot, now)).append('\n');
        }
        out.append(count(report.total(), snapshots.size(), report.offset()))
                .append(report.filter().isEmpty() ? "" : " matching " + report.filter()).append('\n');
        List<String> keptLines = StatusText.kept(report.kept());
        if (!keptLines.isEmpty()) {
            out.append("kept for a failover (client, service, delivery, what a failover now would do):\n");
            keptLines.forEach(line -> out.append("  ").append(line).append('\n'));
        }
        List<String> lines = StatusText.mappings(report.mappings());
        if (!lines.isEmpty()) {
            out.append("carried by MigWare since the failover (client, shadow endpoint, translation, packets)")
                    .append(report.mappingsTotal() > lines.size() ? ", " + lines.size() + " of " + report.mappingsTotal() : "")
                    .append(":\n");
            lines.forEach(line -> out.append("  ").append(line).append('\n'));
        }
        return out.toString();
    }

    /** {@code 3 connections}, or {@code 50 of 10000 connections (from 101)} for a page. */
    private static String count(int total, int shown, int offset) {
        String noun = total == 1 ? " connection" : " connections";
        if (shown == total) {
            return total + noun;
        }
        return shown + " of " + total + noun + (offset > 0 ? " (from " + (offset + 1) + ")" : "");
    }
}
