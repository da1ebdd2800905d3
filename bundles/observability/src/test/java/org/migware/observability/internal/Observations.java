package org.migware.observability.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.migware.api.connection.Endpoint;
import org.migware.api.connection.TableStatistics;
import org.migware.api.failover.CaptureSnapshot;
import org.migware.api.failover.DeliveryTotals;
import org.migware.api.failover.FailoverPolicy;
import org.migware.api.failover.FailoverSnapshot;
import org.migware.api.failover.FailoverState;
import org.migware.api.failover.FenceStatus;
import org.migware.api.failover.MappingSnapshot;
import org.migware.api.failover.MigrationPhase;
import org.migware.api.failover.MigrationProgress;
import org.migware.api.failover.ProxyTraffic;
import org.migware.api.failover.NotRecoverableConnection;
import org.migware.api.failover.NotRecoverableReason;
import org.migware.api.failover.ReplicaReadiness;
import org.migware.api.failover.StatusReport;
import org.migware.api.health.HealthStatus;
import org.migware.api.health.HealthVerdict;
import org.migware.api.packet.CaptureStatistics;

/** Observations with every part present, for the metrics and health tests; each can be changed one part at a time. */
final class Observations {

    static final Instant NOW = Instant.parse("2026-11-30T10:00:00Z");

    private Observations() {
    }

    static Endpoint endpoint(String address, int port) {
        try {
            return new Endpoint(InetAddress.getByName(address), port, null);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    static FailoverSnapshot normal(FenceStatus fence) {
        return new FailoverSnapshot(FailoverState.NORMAL, NOW.minusSeconds(60), "started",
                new FailoverPolicy(FailoverPolicy.Mode.ANY, 1, 0, false), fence);
    }

    static FenceStatus fence() {
        return new FenceStatus(true, "ipmitool power off", null);
    }

    static CaptureSnapshot capture(long received, boolean running) {
        return new CaptureSnapshot("pcap4j:eth0", new CaptureStatistics(received, 2, 1, Map.of("listener-failed", 3L), running));
    }

    static HealthVerdict verdict(HealthStatus status) {
        return new HealthVerdict("icmp", "10.77.0.2", status, NOW.minusSeconds(6), status == HealthStatus.UP ? "replies" : "no reply");
    }

    static TableStatistics table() {
        return new TableStatistics(3, 10_000, 5, 1, 2, 3, 700, Map.of("not-ip", 4L), Map.of("truncated", 6L));
    }

    /** Ready, replay configured: 2 replayable, 1 resumable, 1 not migratable (TLS seen); 7 kept streams freed after going silent. */
    static MigrationProgress ready() {
        return new MigrationProgress(MigrationPhase.READY, null, null, null, 0, 0, 0, 0, 0, 0, List.of(), 0, 0, 0, "none", 0, 0, 0, 0,
                new DeliveryTotals("replay", 4096, 1 << 20, 2, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 7));
    }

    /** Recovered: 2 recovered, 1 failed, 1 not recoverable (handshake not seen) in 14.3 ms. */
    static MigrationProgress recovered() {
        return new MigrationProgress(MigrationPhase.RECOVERED, null, NOW.minusMillis(20), NOW.minusMillis(6), 14_300_000L,
                2, 1, 0, 0, 1,
                List.of(new NotRecoverableConnection(endpoint("10.77.0.9", 40001), endpoint("10.77.0.2", 7000),
                        NotRecoverableReason.HANDSHAKE_NOT_SEEN, "SYN not seen")),
                3, 7, 120, "none", 0, 0, 4, 0, DeliveryTotals.resumeOnly(),
                new ProxyTraffic(15, 1_500, 5, 700, Map.of("truncated", 3L, "no_connection", 4L), 2));
    }

    static MappingSnapshot mapping(long toReplica, long toClient) {
        return new MappingSnapshot(endpoint("10.77.0.1", 40000), endpoint("198.18.0.2", 10000), endpoint("10.77.0.3", 7000),
                MappingSnapshot.State.ESTABLISHED, null, MappingSnapshot.Ecn.NOT_NEGOTIATED, 1000, 0, toReplica, toClient);
    }

    static ReplicaReadiness replica(boolean tunUp, boolean listening) {
        return new ReplicaReadiness("migware0", tunUp, List.of(new ReplicaReadiness.ReplicaPort(7000, 7000, listening)));
    }

    /** Everything a failover needs is there, and the primary is UP. */
    static Observation armed() {
        return new Observation(new StatusReport(NOW, normal(fence()), List.of(capture(100, true)), table(), ready(),
                List.of(verdict(HealthStatus.UP))), true, List.of(), List.of(), replica(true, true));
    }

    static Observation withReport(Observation base, StatusReport report) {
        return new Observation(report, base.migrationRunning(), base.mappings(), base.kept(), base.replica());
    }
}
