package org.migware.core.internal.status;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.DirectionState;
import org.migware.api.connection.Endpoint;
import org.migware.api.connection.TableStatistics;
import org.migware.api.connection.TcpState;
import org.migware.api.failover.CaptureSnapshot;
import org.migware.api.failover.FailoverPolicy;
import org.migware.api.failover.FailoverSnapshot;
import org.migware.api.failover.FailoverState;
import org.migware.api.failover.FenceStatus;
import org.migware.api.failover.MappingSnapshot;
import org.migware.api.failover.MigrationPhase;
import org.migware.api.failover.MigrationProgress;
import org.migware.api.failover.NotRecoverableConnection;
import org.migware.api.failover.NotRecoverableReason;
import org.migware.api.failover.StatusReport;
import org.migware.api.health.HealthStatus;
import org.migware.api.health.HealthVerdict;
import org.migware.api.packet.CaptureStatistics;

/** Status records with every field set, for the text and JSON tests. */
public final class StatusRecords {

    public static final Instant NOW = Instant.parse("2026-11-30T10:00:00Z");

    private StatusRecords() {
    }

    public static Endpoint endpoint(String address, int port, String mac) {
        try {
            return new Endpoint(InetAddress.getByName(address), port, mac);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** 1 recovered, 0 failed, 2 pending (1 queued, 1 handshaking), 1 not recoverable, in 14 ms, with a framing. */
    public static MigrationProgress recovering() {
        return new MigrationProgress(MigrationPhase.RECOVERING, null, NOW.minusMillis(14), null, 14_300_000L,
                1, 0, 1, 1, 1,
                List.of(new NotRecoverableConnection(endpoint("10.77.0.9", 40001, null), endpoint("10.77.0.2", 7000, null),
                        NotRecoverableReason.NOT_ESTABLISHED, "state SYN_SENT")),
                3, 2, 120, "newline", 1, 0, 4, 1);
    }

    public static MappingSnapshot mapping() {
        return new MappingSnapshot(endpoint("10.77.0.1", 40000, "02:00:00:00:00:01"), endpoint("198.18.0.2", 10000, null),
                endpoint("10.77.0.3", 7000, null), MappingSnapshot.State.ESTABLISHED,
                new MappingSnapshot.Translation(4_000_000_000L, -3, 7, 8), MappingSnapshot.Ecn.REFUSED_BY_REPLICA,
                3_000_000_000L, 12, 5, 4);
    }

    public static StatusReport report() {
        return new StatusReport(NOW,
                new FailoverSnapshot(FailoverState.PROXY, NOW.minusSeconds(5), "recovery finished: 1 recovered",
                        new FailoverPolicy(FailoverPolicy.Mode.QUORUM, 2, 500, true),
                        new FenceStatus(true, "ipmitool power off", "fence command exited 1: bmc unreachable")),
                List.of(new CaptureSnapshot("pcap4j:eth0", new CaptureStatistics(100, 2, 1, Map.of("listener-failed", 3L), true))),
                new TableStatistics(1, 10, 5, 1, 2, 3, 7, Map.of("not-ip", 4L), Map.of()),
                recovering(),
                List.of(new HealthVerdict("icmp", "10.77.0.2", HealthStatus.DOWN, NOW.minusSeconds(6), "no reply")));
    }

    public static ConnectionSnapshot connection() {
        return new ConnectionSnapshot(endpoint("10.77.0.1", 40000, "02:00:00:00:00:01"), endpoint("2001:db8::2", 7000, null),
                new DirectionState(100, 1460, 7, true, true, 901, 121, 55, 502, 20, 4, 1, 0, DirectionState.ECE | DirectionState.CWR),
                new DirectionState(900, 1460, 7, true, false, 121, 901, DirectionState.UNKNOWN, -1, 0, 2, 0, 0, DirectionState.ECE),
                TcpState.ESTABLISHED, true, NOW.minusSeconds(10), NOW.minusMillis(1500));
    }
}
