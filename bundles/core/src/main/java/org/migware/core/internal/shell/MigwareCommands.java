package org.migware.core.internal.shell;

import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.ConnectionTable;
import org.migware.api.connection.TableStatistics;
import org.migware.api.failover.FailoverEvent;
import org.migware.api.failover.MigrationStatus;
import org.migware.api.health.HealthMonitor;
import org.migware.api.health.HealthVerdict;
import org.migware.api.packet.CaptureStatistics;
import org.migware.api.packet.PacketSource;
import org.migware.core.internal.FailoverCoordinator;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The Gogo commands {@code migware:status} and {@code migware:connections}.
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

    /** {@code migware:status}: state, capture counters, table size. */
    public String status() {
        StringBuilder out = new StringBuilder();
        FailoverCoordinator coordinator = failover;
        if (coordinator == null) {
            out.append("state:       unknown (core's failover coordinator is not running)\n");
        } else {
            FailoverEvent event = coordinator.current();
            out.append("state:       ").append(event.to()).append(" since ").append(event.time())
                    .append(" (").append(event.reason()).append(")\n");
            out.append("policy:      ").append(coordinator.policyDescription()).append('\n');
            out.append("fence:       ").append(coordinator.fenceDescription()).append('\n');
        }
        List<PacketSource> currentSources = List.copyOf(sources);
        if (currentSources.isEmpty()) {
            out.append("capture:     none (no packet source is running: install and configure capture-pcap4j or capture-file)\n");
        }
        for (PacketSource source : currentSources) {
            CaptureStatistics stats = source.statistics();
            out.append("capture:     ").append(source.name()).append(stats.running() ? " running" : " stopped")
                    .append(" received=").append(stats.received())
                    .append(" dropped.kernel=").append(stats.droppedByKernel())
                    .append(" dropped.interface=").append(stats.droppedByInterface())
                    .append(" dropped.migware=").append(stats.droppedByUsTotal())
                    .append(reasons(stats.droppedByUs())).append('\n');
        }
        ConnectionTable currentTable = table;
        if (currentTable == null) {
            out.append("connections: unknown (the tracker is not running)\n");
        } else {
            TableStatistics stats = currentTable.statistics();
            out.append("connections: ").append(stats.tracked()).append(" of ").append(stats.capacity())
                    .append(" created=").append(stats.created())
                    .append(" evicted=").append(stats.evictedForCapacity())
                    .append(" expired.idle=").append(stats.expiredIdle())
                    .append(" expired.closed=").append(stats.expiredClosed()).append('\n');
            out.append("packets:     tracked=").append(stats.packetsTracked())
                    .append(" ignored=").append(total(stats.packetsIgnored())).append(reasons(stats.packetsIgnored()))
                    .append(" malformed=").append(total(stats.malformed())).append(reasons(stats.malformed())).append('\n');
        }
        MigrationStatus currentMigration = migration;
        out.append("migration:   ").append(currentMigration == null
                ? "not configured (etc/org.migware.proxy.cfg): connections will not be migrated at failover"
                : currentMigration.progress()).append('\n');
        List<HealthMonitor> currentMonitors = List.copyOf(monitors);
        if (currentMonitors.isEmpty()) {
            out.append("monitors:    none installed: failure of the primary cannot be detected\n");
        }
        for (HealthMonitor monitor : currentMonitors) {
            HealthVerdict verdict = monitor.currentVerdict();
            out.append("monitor:     ").append(monitor.name()).append(' ').append(verdict.status())
                    .append(" target=").append(verdict.target()).append(" at ").append(verdict.time())
                    .append(" (").append(verdict.reason()).append(")\n");
        }
        return out.toString();
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

    /** {@code migware:connections}: one line per tracked connection, oldest first. */
    public String connections() {
        ConnectionTable currentTable = table;
        if (currentTable == null) {
            return "the tracker is not running: no connection table\n";
        }
        List<ConnectionSnapshot> snapshots = new java.util.ArrayList<>(currentTable.connections());
        snapshots.sort(Comparator.comparing(ConnectionSnapshot::firstSeen)
                .thenComparing(c -> c.client().hostAndPort()));
        Instant now = clock.instant();
        StringBuilder out = new StringBuilder(snapshots.size() * 320 + 64);
        for (ConnectionSnapshot snapshot : snapshots) {
            out.append(ConnectionFormat.line(snapshot, now)).append('\n');
        }
        out.append(snapshots.size()).append(snapshots.size() == 1 ? " connection\n" : " connections\n");
        MigrationStatus currentMigration = migration;
        List<String> mappings = currentMigration == null ? List.of() : currentMigration.mappings();
        if (!mappings.isEmpty()) {
            out.append("carried by MigWare since the failover (client, shadow endpoint, translation, packets):\n");
            mappings.forEach(line -> out.append("  ").append(line).append('\n'));
        }
        return out.toString();
    }

    /** @return {@code (reason=count reason=count)}, or nothing when there is no reason to give */
    private static String reasons(Map<String, Long> byReason) {
        if (byReason.isEmpty()) {
            return "";
        }
        StringBuilder text = new StringBuilder(" (");
        byReason.forEach((reason, count) -> text.append(reason).append('=').append(count).append(' '));
        text.setCharAt(text.length() - 1, ')');
        return text.toString();
    }

    private static long total(Map<String, Long> byReason) {
        return byReason.values().stream().mapToLong(Long::longValue).sum();
    }
}
