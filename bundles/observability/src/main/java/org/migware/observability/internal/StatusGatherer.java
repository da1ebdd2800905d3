package org.migware.observability.internal;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.migware.api.connection.ConnectionTable;
import org.migware.api.failover.CaptureSnapshot;
import org.migware.api.failover.ConnectionsQuery;
import org.migware.api.failover.ConnectionsReport;
import org.migware.api.failover.FailoverStatus;
import org.migware.api.failover.MigrationProgress;
import org.migware.api.failover.MigrationStatus;
import org.migware.api.failover.StatusReport;
import org.migware.api.health.HealthMonitor;
import org.migware.api.health.HealthVerdict;
import org.migware.api.packet.PacketSource;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Gathers the status records from the API's services, as {@code migware:status} does, for the
 * HTTP endpoints.
 *
 * <p>Every collaborator is optional and dynamic: the endpoints must answer, and say what is
 * missing, while any other bundle is stopped or being swapped. Each call reads the services
 * afresh; nothing is cached, so a scrape never shows an older state than the shell.
 */
@Component(service = StatusGatherer.class)
public final class StatusGatherer {

    private final Clock clock;
    private final List<PacketSource> sources = new CopyOnWriteArrayList<>();
    private final List<HealthMonitor> monitors = new CopyOnWriteArrayList<>();
    private volatile ConnectionTable table;
    private volatile FailoverStatus failover;
    private volatile MigrationStatus migration;

    @Activate
    public StatusGatherer() {
        this(Clock.systemUTC());
    }

    StatusGatherer(Clock clock) {
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
    void bindFailoverStatus(FailoverStatus status) {
        failover = status;
    }

    void unbindFailoverStatus(FailoverStatus status) {
        if (failover == status) {
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
     * @param query which connections, and which page of them
     * @return the page, as {@code migware:connections --json} writes it
     */
    public ConnectionsReport connections(ConnectionsQuery query) {
        return query.run(clock.instant(), table, migration);
    }

    /** @return the status now */
    public Observation observe() {
        List<CaptureSnapshot> captures = new ArrayList<>();
        for (PacketSource source : List.copyOf(sources)) {
            captures.add(new CaptureSnapshot(source.name(), source.statistics()));
        }
        List<HealthVerdict> verdicts = new ArrayList<>();
        for (HealthMonitor monitor : List.copyOf(monitors)) {
            verdicts.add(monitor.currentVerdict());
        }
        FailoverStatus currentFailover = failover;
        ConnectionTable currentTable = table;
        MigrationStatus currentMigration = migration;
        MigrationProgress progress = currentMigration == null ? MigrationProgress.notConfigured() : currentMigration.progressSnapshot();
        StatusReport report = new StatusReport(clock.instant(), currentFailover == null ? null : currentFailover.snapshot(), captures,
                currentTable == null ? null : currentTable.statistics(), progress, verdicts);
        return new Observation(report, currentMigration != null,
                currentMigration == null ? List.of() : currentMigration.mappingSnapshots(),
                currentMigration == null ? List.of() : currentMigration.keptConnections(),
                currentMigration == null ? null : currentMigration.replicaReadiness().orElse(null));
    }
}
