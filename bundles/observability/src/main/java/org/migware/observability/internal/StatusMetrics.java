package org.migware.observability.internal;

import static org.migware.observability.internal.MetricFamily.counter;
import static org.migware.observability.internal.MetricFamily.gauge;
import static org.migware.observability.internal.MetricFamily.label;
import static org.migware.observability.internal.MetricFamily.flag;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.migware.api.connection.TableStatistics;
import org.migware.api.failover.CaptureSnapshot;
import org.migware.api.failover.DeliveryTotals;
import org.migware.api.failover.FailoverSnapshot;
import org.migware.api.failover.FailoverState;
import org.migware.api.failover.KeptConnection;
import org.migware.api.failover.MappingSnapshot;
import org.migware.api.failover.MigrationPhase;
import org.migware.api.failover.MigrationProgress;
import org.migware.api.failover.ProxyTraffic;
import org.migware.api.failover.NotRecoverableConnection;
import org.migware.api.failover.NotRecoverableReason;
import org.migware.api.failover.ReplayReadiness;
import org.migware.api.failover.ReplicaReadiness;
import org.migware.api.failover.StatusReport;
import org.migware.api.health.HealthStatus;
import org.migware.api.health.HealthVerdict;

import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

/**
 * The status records as Prometheus metric families: names with their unit and {@code _total}
 * for counters, one label per dimension the records have (source, reason, state, direction).
 *
 * <p>A part that is not running contributes no family of its own; {@code migware_part_running}
 * says which parts answered. Only what the API exposes is here; the README lists what is not.
 */
final class StatusMetrics {

    private StatusMetrics() {
    }

    /** @return every metric family of {@code observation} */
    static MetricSnapshots of(Observation observation) {
        StatusReport report = observation.report();
        List<MetricFamily> families = new ArrayList<>();
        families.add(gauge("migware_part_running", "Whether a part of MigWare answered the scrape (1) or is not running (0)")
                .add(flag(report.failover() != null), "part", "failover")
                .add(flag(report.connections() != null), "part", "tracker")
                .add(flag(observation.migrationRunning()), "part", "migration"));
        if (report.failover() != null) {
            failover(report.failover(), families);
        }
        monitors(report.monitors(), families);
        captures(report.captures(), families);
        if (report.connections() != null) {
            table(report.connections(), families);
        }
        if (observation.migrationRunning()) {
            migration(report.migration(), families);
            replay(report.migration().delivery(), observation.kept(), families);
            mappings(observation.mappings(), families);
        }
        if (observation.replica() != null) {
            replica(observation.replica(), families);
        }
        List<MetricSnapshot> snapshots = new ArrayList<>();
        for (MetricFamily family : families) {
            if (!family.isEmpty()) {
                snapshots.add(family.snapshot());
            }
        }
        return new MetricSnapshots(snapshots);
    }

    private static void failover(FailoverSnapshot failover, List<MetricFamily> families) {
        MetricFamily state = gauge("migware_failover_state", "The failover state: 1 for the current one");
        for (FailoverState each : FailoverState.values()) {
            state.add(flag(failover.state() == each), "state", label(each));
        }
        families.add(state);
        families.add(gauge("migware_failover_last_transition_timestamp_seconds", "When the current failover state was entered (Unix time)")
                .add(seconds(failover.since())));
        families.add(gauge("migware_fence_configured", "Whether a fence command keeps the primary down before a takeover")
                .add(flag(failover.fence().configured())));
        families.add(gauge("migware_fence_last_attempt_failed", "Whether the last fence attempt failed")
                .add(flag(failover.fence().lastFailure() != null)));
    }

    private static void monitors(List<HealthVerdict> verdicts, List<MetricFamily> families) {
        MetricFamily status = gauge("migware_monitor_status", "Each monitor's verdict on the primary: 1 for the current one");
        MetricFamily since = gauge("migware_monitor_verdict_timestamp_seconds", "When each monitor reached its current verdict (Unix time)");
        for (HealthVerdict verdict : verdicts) {
            for (HealthStatus each : HealthStatus.values()) {
                status.add(flag(verdict.status() == each), "monitor", verdict.monitor(), "target", verdict.target(), "status", label(each));
            }
            since.add(seconds(verdict.time()), "monitor", verdict.monitor(), "target", verdict.target());
        }
        families.add(gauge("migware_monitors", "Health monitors present").add(verdicts.size()));
        families.add(status);
        families.add(since);
    }

    private static void captures(List<CaptureSnapshot> captures, List<MetricFamily> families) {
        MetricFamily running = gauge("migware_capture_running", "Whether each capture source is capturing");
        MetricFamily received = counter("migware_capture_received_frames", "Frames the capture backend delivered to MigWare");
        MetricFamily kernel = counter("migware_capture_kernel_dropped_frames",
                "Frames the kernel (or libpcap's buffer) dropped before MigWare saw them");
        MetricFamily device = counter("migware_capture_interface_dropped_frames", "Frames the interface or its driver dropped");
        MetricFamily ours = counter("migware_capture_dropped_frames", "Frames MigWare dropped itself, by reason");
        for (CaptureSnapshot capture : captures) {
            String source = capture.source();
            running.add(flag(capture.statistics().running()), "source", source);
            received.add(capture.statistics().received(), "source", source);
            kernel.add(capture.statistics().droppedByKernel(), "source", source);
            device.add(capture.statistics().droppedByInterface(), "source", source);
            for (Map.Entry<String, Long> drop : capture.statistics().droppedByUs().entrySet()) {
                ours.add(drop.getValue(), "source", source, "reason", drop.getKey());
            }
        }
        families.add(gauge("migware_capture_sources", "Capture sources present").add(captures.size()));
        families.addAll(List.of(running, received, kernel, device, ours));
    }

    private static void table(TableStatistics table, List<MetricFamily> families) {
        families.add(gauge("migware_connections_tracked", "Connections in the table now").add(table.tracked()));
        families.add(gauge("migware_connections_capacity", "The connection table's configured bound").add(table.capacity()));
        families.add(counter("migware_connections_created", "Connections ever added to the table").add(table.created()));
        families.add(counter("migware_connections_removed", "Connections removed from the table, by reason")
                .add(table.evictedForCapacity(), "reason", "table_full")
                .add(table.expiredIdle(), "reason", "idle")
                .add(table.expiredClosed(), "reason", "closed"));
        families.add(counter("migware_tracker_tracked_packets", "Frames that updated a connection").add(table.packetsTracked()));
        families.add(byReason(counter("migware_tracker_ignored_packets",
                "Frames that were not TCP to or from a configured service, by reason"), table.packetsIgnored()));
        families.add(byReason(counter("migware_tracker_malformed_packets", "Frames the parser rejected, by reason"), table.malformed()));
        families.add(gauge("migware_tracker_packet_sources", "Packet sources the table is fed from now").add(table.sources()));
        families.add(counter("migware_tracker_capture_gaps", "Times the table had no packet source after it had had one")
                .add(table.captureGaps()));
        families.add(counter("migware_tracker_capture_gap_seconds", "How long the table had no packet source, in all")
                .add(table.captureGapMillis() / 1000.0));
    }

    private static MetricFamily byReason(MetricFamily family, Map<String, Long> counts) {
        counts.forEach((reason, count) -> family.add(count, "reason", reason));
        return family;
    }

    private static void migration(MigrationProgress progress, List<MetricFamily> families) {
        MetricFamily phase = gauge("migware_migration_phase", "Where the migration stands: 1 for the current phase");
        for (MigrationPhase each : MigrationPhase.values()) {
            phase.add(flag(progress.phase() == each), "phase", label(each));
        }
        families.add(phase);
        families.add(gauge("migware_recovery_duration_seconds", "How long recovery took, or has taken so far; 0 before a failover")
                .add(progress.recoveryNanos() / 1e9));
        if (progress.recoveryStarted() != null) {
            families.add(gauge("migware_recovery_start_timestamp_seconds", "When recovery started (Unix time)")
                    .add(seconds(progress.recoveryStarted())));
        }
        families.add(counter("migware_recovery_connections", "Connections handled by recovery, by outcome")
                .add(progress.recovered(), "outcome", "recovered")
                .add(progress.failed(), "outcome", "failed")
                .add(progress.notRecoverable(), "outcome", "not_recoverable"));
        families.add(gauge("migware_recovery_pending_connections", "Connections recovery has not handled yet, by stage")
                .add(progress.queued(), "stage", "queued")
                .add(progress.handshaking(), "stage", "handshaking"));
        Map<NotRecoverableReason, Integer> reasons = new EnumMap<>(NotRecoverableReason.class);
        for (NotRecoverableConnection connection : progress.notRecoverableConnections()) {
            reasons.merge(connection.reason(), 1, Integer::sum);
        }
        MetricFamily notRecoverable = gauge("migware_recovery_not_recoverable_connections",
                "Connections left alone at failover, by reason (those of the migration bundle's current activation)");
        for (NotRecoverableReason reason : NotRecoverableReason.values()) {
            notRecoverable.add(reasons.getOrDefault(reason, 0), "reason", label(reason));
        }
        families.add(notRecoverable);
        families.add(counter("migware_proxy_passed_through_connections", "New connections after the failover, passed through untranslated")
                .add(progress.passedThrough()));
        families.add(counter("migware_proxy_dropped_packets", "Packets MigWare could not carry").add(progress.dropped()));
        families.add(byReason(counter("migware_proxy_dropped_by_reason_packets",
                "Packets MigWare could not carry since this activation of the migration bundle, by reason"),
                progress.traffic().droppedByReason()));
        ProxyTraffic traffic = progress.traffic();
        families.add(counter("migware_proxy_packets", "Segments translated in PROXY, by direction")
                .add(traffic.packetsToReplica(), "direction", "to_replica").add(traffic.packetsToClient(), "direction", "to_client"));
        families.add(counter("migware_proxy_payload_bytes", "Payload bytes translated in PROXY, by direction")
                .add(traffic.bytesToReplica(), "direction", "to_replica").add(traffic.bytesToClient(), "direction", "to_client"));
        families.add(counter("migware_proxy_arp_answers", "ARP replies sent for the service's addresses").add(traffic.arpAnswers()));
        families.add(counter("migware_proxy_handed_over_bytes", "Client bytes MigWare handed to the replica itself")
                .add(progress.bytesHandedOver()));
        families.add(counter("migware_proxy_resets_sent", "Resets sent for segments of no known connection").add(progress.resetsSent()));
        families.add(gauge("migware_proxy_ecn_refused_connections", "Connections that negotiated ECN with the primary but not with the replica")
                .add(progress.ecnRefusedByReplica()));
        families.add(counter("migware_proxy_record_heads", "With a record framing: connections whose record in progress was or was not kept")
                .add(progress.recordHeadsPrepended(), "outcome", "prepended")
                .add(progress.recordHeadsNotKept(), "outcome", "not_kept"));
    }

    private static void replay(DeliveryTotals delivery, List<KeptConnection> kept, List<MetricFamily> families) {
        families.add(gauge("migware_replay_kept_bytes", "Bytes held off-heap for replay now (client streams, server flights, digests)")
                .add(delivery.keptBytes()));
        families.add(gauge("migware_replay_kept_limit_bytes", "The bound of the bytes held for replay").add(delivery.keptBytesLimit()));
        families.add(gauge("migware_connections_readiness", "What a failover now would do with the tracked connections")
                .add(delivery.replayable(), "readiness", label(ReplayReadiness.REPLAYABLE))
                .add(delivery.resumableOnly(), "readiness", label(ReplayReadiness.RESUMABLE_ONLY))
                .add(delivery.notMigratable(), "readiness", label(ReplayReadiness.NOT_MIGRATABLE)));
        families.add(gauge("migware_connections_not_replayable", "Connections that cannot be replayed, by reason")
                .add(delivery.handshakeMissed(), "reason", "handshake_missed")
                .add(delivery.streamTooLong(), "reason", "stream_too_long")
                .add(delivery.memoryFull(), "reason", "keeping_memory_full")
                .add(delivery.captureGaps(), "reason", "capture_gap")
                .add(delivery.tlsSeen(), "reason", "tls_seen")
                .add(delivery.sshSeen(), "reason", "ssh_seen"));
        families.add(gauge("migware_connections_kept", "Connections kept for a failover").add(kept.size()));
        families.add(counter("migware_kept_connections_expired", "Connections whose kept streams were freed before a failover"
                + " because they went silent without a FIN or RST (the tracker forgot them, or keepIdleSeconds passed)")
                .add(delivery.keptExpired()));
        families.add(counter("migware_replay_connections", "Connections with delivery replay since the failover, by outcome")
                .add(delivery.replayed(), "outcome", "replayed")
                .add(delivery.caughtUp(), "outcome", "caught_up")
                .add(delivery.diverged(), "outcome", "diverged")
                .add(delivery.resetAtFailover(), "outcome", "reset_at_failover"));
        families.add(counter("migware_replay_verified_bytes", "Replica bytes checked against the primary's digest").add(delivery.bytesVerified()));
        families.add(counter("migware_replay_dropped_bytes", "Replica bytes dropped because the client already held them")
                .add(delivery.bytesDropped()));
        families.add(counter("migware_proxy_mid_response_resets", "Resumed connections reset because the failover cut their response short")
                .add(delivery.midResponseResets()));
    }

    private static void mappings(List<MappingSnapshot> mappings, List<MetricFamily> families) {
        Map<MappingSnapshot.State, Integer> states = new EnumMap<>(MappingSnapshot.State.class);
        long toReplica = 0;
        long toClient = 0;
        for (MappingSnapshot mapping : mappings) {
            states.merge(mapping.state(), 1, Integer::sum);
            toReplica += mapping.packetsToReplica();
            toClient += mapping.packetsToClient();
        }
        MetricFamily byState = gauge("migware_proxy_mappings", "Connections MigWare carries since the failover, by state");
        for (MappingSnapshot.State state : MappingSnapshot.State.values()) {
            byState.add(states.getOrDefault(state, 0), "state", label(state));
        }
        families.add(byState);
        // A sum over the mappings held now, not a counter: a mapping that is let go takes its packets along.
        families.add(gauge("migware_proxy_mapped_packets", "Packets translated, summed over the mappings held now, by direction")
                .add(toReplica, "direction", "to_replica")
                .add(toClient, "direction", "to_client"));
    }

    private static void replica(ReplicaReadiness replica, List<MetricFamily> families) {
        families.add(gauge("migware_tun_up", "Whether the TUN through which MigWare carries the connections is up")
                .add(flag(replica.tunUp()), "tun", replica.tun()));
        MetricFamily listening = gauge("migware_replica_listening", "Whether the replica listens on the port of each service port");
        for (ReplicaReadiness.ReplicaPort port : replica.ports()) {
            listening.add(flag(port.listening()), "service_port", Integer.toString(port.servicePort()),
                    "replica_port", Integer.toString(port.replicaPort()));
        }
        families.add(listening);
    }

    private static double seconds(Instant instant) {
        return instant.getEpochSecond() + instant.getNano() / 1e9;
    }
}
