package org.migware.observability.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.migware.api.failover.FailoverPolicy;
import org.migware.api.failover.FailoverSnapshot;
import org.migware.api.failover.FailoverState;
import org.migware.api.failover.MigrationProgress;
import org.migware.api.failover.StatusReport;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;

class StatusMetricsTest {

    private static final Pattern TYPE = Pattern.compile("# TYPE (\\S+) (\\S+)");
    private static final Pattern LEGAL_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    @Test
    void theArmedBackupsNumbersAreThere() throws IOException {
        String text = prometheus(Observations.armed());

        assertLine(text, "migware_failover_state{state=\"normal\"} 1.0");
        assertLine(text, "migware_failover_state{state=\"proxy\"} 0.0");
        assertLine(text, "migware_failover_last_transition_timestamp_seconds 1.79603274E9");
        assertLine(text, "migware_monitor_status{monitor=\"icmp\",status=\"up\",target=\"10.77.0.2\"} 1.0");
        assertLine(text, "migware_capture_received_frames_total{source=\"pcap4j:eth0\"} 100.0");
        assertLine(text, "migware_capture_kernel_dropped_frames_total{source=\"pcap4j:eth0\"} 2.0");
        assertLine(text, "migware_capture_dropped_frames_total{reason=\"listener-failed\",source=\"pcap4j:eth0\"} 3.0");
        assertLine(text, "migware_connections_tracked 3.0");
        assertLine(text, "migware_tracker_malformed_packets_total{reason=\"truncated\"} 6.0");
        assertLine(text, "migware_connections_readiness{readiness=\"replayable\"} 2.0");
        assertLine(text, "migware_connections_not_replayable{reason=\"tls_seen\"} 1.0");
        assertLine(text, "migware_replay_kept_bytes 4096.0");
        assertLine(text, "migware_kept_connections_expired_total 7.0");
        assertLine(text, "migware_replica_listening{replica_port=\"7000\",service_port=\"7000\"} 1.0");
        assertLine(text, "migware_tun_up{tun=\"migware0\"} 1.0");
        assertLine(text, "migware_part_running{part=\"migration\"} 1.0");
    }

    @Test
    void recoveryAndTheMappingsAreThere() throws IOException {
        Observation armed = Observations.armed();
        StatusReport report = armed.report();
        Observation proxying = new Observation(new StatusReport(report.time(),
                new FailoverSnapshot(FailoverState.PROXY, Observations.NOW, "recovery finished", new FailoverPolicy(FailoverPolicy.Mode.ANY, 1, 0, false),
                        Observations.fence()),
                report.captures(), report.connections(), Observations.recovered(), report.monitors()),
                true, List.of(Observations.mapping(5, 4), Observations.mapping(10, 1)), List.of(), armed.replica());

        String text = prometheus(proxying);

        assertLine(text, "migware_failover_state{state=\"proxy\"} 1.0");
        assertLine(text, "migware_recovery_connections_total{outcome=\"recovered\"} 2.0");
        assertLine(text, "migware_recovery_connections_total{outcome=\"failed\"} 1.0");
        assertLine(text, "migware_recovery_not_recoverable_connections{reason=\"handshake_not_seen\"} 1.0");
        assertLine(text, "migware_recovery_duration_seconds 0.0143");
        assertLine(text, "migware_proxy_dropped_packets_total 7.0");
        assertLine(text, "migware_proxy_dropped_by_reason_packets_total{reason=\"no_connection\"} 4.0");
        assertLine(text, "migware_proxy_dropped_by_reason_packets_total{reason=\"truncated\"} 3.0");
        assertLine(text, "migware_proxy_packets_total{direction=\"to_replica\"} 15.0");
        assertLine(text, "migware_proxy_payload_bytes_total{direction=\"to_client\"} 700.0");
        assertLine(text, "migware_proxy_arp_answers_total 2.0");
        assertLine(text, "migware_proxy_mappings{state=\"established\"} 2.0");
        assertLine(text, "migware_proxy_mapped_packets{direction=\"to_replica\"} 15.0");
        assertLine(text, "migware_proxy_mapped_packets{direction=\"to_client\"} 5.0");
    }

    @Test
    void namesFollowThePrometheusConventions() throws IOException {
        String text = prometheus(Observations.armed());
        List<String> families = new ArrayList<>();
        Matcher type = TYPE.matcher(text);
        while (type.find()) {
            String name = type.group(1);
            families.add(name);
            assertTrue(LEGAL_NAME.matcher(name).matches(), name);
            assertTrue(name.startsWith("migware_"), name);
            assertEquals(type.group(2).equals("counter"), name.endsWith("_total"), "counters, and only counters, end in _total: " + name);
            assertTrue(text.contains("# HELP " + name + " "), "help for " + name);
            assertFalse(name.contains("_millis") || name.contains("_nanos") || name.contains("_ms_"), "base units only: " + name);
        }
        assertEquals(families.stream().distinct().count(), families.size(), "one family per name: " + families);
        assertTrue(families.size() > 30, families.toString());
    }

    @Test
    void aPartThatIsNotRunningLeavesOnlyItsRunningGaugeAtZero() throws IOException {
        Observation nothing = new Observation(new StatusReport(Observations.NOW, null, List.of(), null, MigrationProgress.notConfigured(),
                List.of()), false, List.of(), List.of(), null);

        String text = prometheus(nothing);

        assertLine(text, "migware_part_running{part=\"failover\"} 0.0");
        assertLine(text, "migware_monitors 0.0");
        assertFalse(text.contains("migware_failover_state"), text);
        assertFalse(text.contains("migware_recovery_"), text);
    }

    @Test
    void openMetricsEndsWithEof() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        OpenMetricsTextFormatWriter.create().write(out, StatusMetrics.of(Observations.armed()), EscapingScheme.UNDERSCORE_ESCAPING);
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.endsWith("# EOF\n"), text);
        assertTrue(text.contains("# UNIT migware_replay_kept_bytes bytes\n"), text);
    }

    private static String prometheus(Observation observation) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, StatusMetrics.of(observation), EscapingScheme.UNDERSCORE_ESCAPING);
        return out.toString(StandardCharsets.UTF_8);
    }

    private static void assertLine(String text, String line) {
        assertTrue(text.contains("\n" + line + "\n"), () -> "no line '" + line + "' in\n" + text);
    }
}
