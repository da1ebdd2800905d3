package org.migware.core.internal.shell;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.ConnectionTable;
import org.migware.api.failover.CaptureSnapshot;
import org.migware.api.failover.ConnectionsReport;
import org.migware.api.failover.KeptConnection;
import org.migware.api.failover.MappingSnapshot;
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
     * {@code migware:connections [--json]}: one line per tracked connection, oldest first, then
     * the connections MigWare carries; as a {@link ConnectionsReport} in JSON with {@code --json}.
     */
    @Descriptor("every tracked connection, oldest first, and the connections MigWare carries since the failover")
    public String connections(@Descriptor("print the connections as JSON (a ConnectionsReport)")
            @Parameter(names = "--json", presentValue = "true", absentValue = "false") boolean json) {
        ConnectionTable currentTable = table;
        List<ConnectionSnapshot> snapshots = new ArrayList<>(currentTable == null ? List.of() : currentTable.connections());
        snapshots.sort(Comparator.comparing(ConnectionSnapshot::firstSeen)
                .thenComparing(c -> c.client().hostAndPort()));
        MigrationStatus currentMigration = migration;
        List<MappingSnapshot> mappings = currentMigration == null ? List.of() : currentMigration.mappingSnapshots();
        List<KeptConnection> kept = currentMigration == null ? List.of() : currentMigration.keptConnections();
        Instant now = clock.instant();
        if (json) {
            return this.json.write(new ConnectionsReport(now, currentTable != null, snapshots, mappings, kept)) + "\n";
        }
        if (currentTable == null) {
            return "the tracker is not running: no connection table\n";
        }
        StringBuilder out = new StringBuilder(snapshots.size() * 320 + 64);
        for (ConnectionSnapshot snapshot : snapshots) {
            out.append(ConnectionFormat.line(snapshot, now)).append('\n');
        }
        out.append(snapshots.size()).append(snapshots.size() == 1 ? " connection\n" : " connections\n");
        List<String> keptLines = StatusText.kept(kept);
        if (!keptLines.isEmpty()) {
            out.append("kept for a failover (client, service, delivery, what a failover now would do):\n");
            keptLines.forEach(line -> out.append("  ").append(line).append('\n'));
        }
        List<String> lines = StatusText.mappings(mappings);
        if (!lines.isEmpty()) {
            out.append("carried by MigWare since the failover (client, shadow endpoint, translation, packets):\n");
            lines.forEach(line -> out.append("  ").append(line).append('\n'));
        }
        return out.toString();
    }
}
