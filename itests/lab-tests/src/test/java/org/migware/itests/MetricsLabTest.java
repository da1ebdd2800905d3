package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.migware.lab.experiments.DetectionExperiment;
import org.migware.lab.experiments.MigrationExperiment;
import org.migware.lab.experiments.MigrationExperiment.Result;
import org.migware.lab.experiments.MigwareInstance;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.Role;

/**
 * {@code /metrics} of MigWare in the backup, scraped during the push scenario just before the
 * primary's link is pulled and after the clients finished: Prometheus's own {@code promtool}
 * accepts both scrapes, and the counters agree with the kernel and the applications — the
 * connections tracked with the client's established sockets ({@code ss}), the connections
 * recovered with those the applications saw survive — and they move across the failover.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class MetricsLabTest {

    private static final int CONNECTIONS = 10;
    private static final String METRICS = "http://127.0.0.1:9464/metrics";

    @Test
    void theMetricsAgreeWithTheApplicationsAndMoveAcrossTheFailover() throws Exception {
        String prefix = "mwmetr";
        Map<String, String> scrapes = new ConcurrentHashMap<>();
        Map<String, Integer> established = new ConcurrentHashMap<>();
        MigrationExperiment.Options options = MigrationExperiment.Options.defaults(BuiltDistribution.home())
                .withConnections(CONNECTIONS).withPrefix(prefix).withMonitor(DetectionExperiment.Profile.FAST)
                .withBeforeFailureMillis(8000).withAfterFailureMillis(10_000);
        Result result = MigrationExperiment.run(options, message -> System.out.println("[lab " + prefix + "] " + message),
                new MigrationExperiment.Observer() {
                    @Override
                    public void aboutToPull(LabNetwork lab, MigwareInstance migware) {
                        scrapes.put("before", scrape(lab));
                        String sockets = lab.exec(Role.CLIENT, "ss", "-Htn", "state", "established",
                                "dst", lab.address(Role.PRIMARY) + ":" + options.port()).requireSuccess().stdout();
                        established.put("before", (int) sockets.lines().filter(line -> !line.isBlank()).count());
                    }

                    @Override
                    public void finished(LabNetwork lab, MigwareInstance migware) {
                        scrapes.put("after", scrape(lab));
                    }
                });
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
        String before = scrapes.get("before");
        String after = scrapes.get("after");

        assertEquals(List.of(), promtool(before), before);
        assertEquals(List.of(), promtool(after), after);

        // before the pull: watching, every connection the client's kernel holds is tracked
        assertEquals(CONNECTIONS, established.get("before"), "the client's established sockets before the pull");
        assertEquals(1, value(before, "migware_failover_state{state=\"normal\"}"), before);
        assertEquals((double) established.get("before"), value(before, "migware_connections_tracked"), before);
        assertEquals(0, value(before, "migware_recovery_connections_total{outcome=\"recovered\"}"), before);

        // after: in PROXY, every connection the applications saw survive was recovered, and the counters moved
        assertEquals(CONNECTIONS, result.survived(), result.statusAfter());
        assertEquals(1, value(after, "migware_failover_state{state=\"proxy\"}"), after);
        assertEquals((double) result.survived(), value(after, "migware_recovery_connections_total{outcome=\"recovered\"}"), after);
        assertEquals(0, value(after, "migware_recovery_connections_total{outcome=\"failed\"}"), after);
        assertTrue(value(after, "migware_failover_last_transition_timestamp_seconds")
                >= result.linkPulled().getEpochSecond(), "the transition after the pull at " + result.linkPulled() + ":\n" + after);
        assertTrue(value(after, "migware_failover_last_transition_timestamp_seconds")
                > value(before, "migware_failover_last_transition_timestamp_seconds"), after);
        String received = "migware_capture_received_frames_total{source=\"" + source(before) + "\"}";
        assertTrue(value(after, received) > value(before, received), "capture counter moved:\n" + before + "\n" + after);
        assertTrue(value(after, "migware_proxy_mapped_packets{direction=\"to_replica\"}") > 0, after);
        assertTrue(value(after, "migware_proxy_mapped_packets{direction=\"to_client\"}") > 0, after);
        assertTrue(value(after, "migware_recovery_duration_seconds") > 0, after);
        System.out.printf("[lab %s] scraped at %s and after the run; recovered %d of %d%n", prefix, Instant.now(),
                (long) value(after, "migware_recovery_connections_total{outcome=\"recovered\"}"), CONNECTIONS);
    }

    private static String scrape(LabNetwork lab) {
        return lab.exec(Role.BACKUP, "curl", "-sS", "--max-time", "10", METRICS).requireSuccess().stdout();
    }

    /** @return the source label of the capture (the lab's interface) */
    private static String source(String metrics) {
        Matcher source = Pattern.compile("(?m)^migware_capture_received_frames_total\\{source=\"([^\"]+)\"\\}").matcher(metrics);
        assertTrue(source.find(), metrics);
        return source.group(1);
    }

    private static double value(String metrics, String sample) {
        Matcher line = Pattern.compile("(?m)^" + Pattern.quote(sample) + " (\\S+)$").matcher(metrics);
        assertTrue(line.find(), () -> "no sample " + sample + " in\n" + metrics);
        return Double.parseDouble(line.group(1));
    }

    /** @return promtool's complaints about {@code metrics}; empty when it accepts them */
    private static List<String> promtool(String metrics) throws IOException, InterruptedException {
        Process promtool = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        promtool.getOutputStream().write(metrics.getBytes(StandardCharsets.UTF_8));
        promtool.getOutputStream().close();
        String output = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(promtool.waitFor(60, TimeUnit.SECONDS), "promtool did not finish");
        List<String> problems = output.lines().filter(line -> !line.isBlank()).toList();
        return promtool.exitValue() != 0 && problems.isEmpty() ? List.of("exit " + promtool.exitValue()) : problems;
    }
}
