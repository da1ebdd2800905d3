package org.migware.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * {@code /metrics} of the running container, fed a capture file whose frames tshark counted:
 * {@code promtool check metrics} (Prometheus's own parser and linter) accepts it, and the capture
 * and tracker counters agree with the file. The endpoint listens on loopback only, as the
 * kernel's socket table shows.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class MetricsEndpointTest extends MigwareTestSupport {

    private static final Duration PROMTOOL_TIMEOUT = Duration.ofSeconds(60);

    @Test
    public void promtoolAcceptsTheMetricsAndTheCountersAgreeWithTheCapture() throws Exception {
        configure("org.migware.service", Map.of("addresses", new String[] {TrackingCapture.SERVER},
                "ports", new int[] {TrackingCapture.PORT}));
        String capture = TrackingCapture.part(1).toString();
        configure("org.migware.capture.file", Map.of("path", capture));
        HttpEndpoint http = HttpEndpoint.of(bundleContext, TIMEOUT);
        String received = "migware_capture_received_frames_total{source=\"file:" + capture + "\"}";

        String metrics = awaitSample(http, received, TrackingCapture.PART1_PACKETS, TIMEOUT);

        assertSample(metrics, received, TrackingCapture.PART1_PACKETS);
        assertSample(metrics, "migware_tracker_tracked_packets_total", TrackingCapture.PART1_PACKETS);
        assertSample(metrics, "migware_failover_state{state=\"normal\"}", 1);
        assertSample(metrics, "migware_part_running{part=\"tracker\"}", 1);
        List<String> problems = promtool(metrics);
        assertTrue("promtool check metrics: " + problems + "\n" + metrics, problems.isEmpty());
    }

    @Test
    public void theEndpointListensOnLoopbackOnly() throws Exception {
        HttpEndpoint http = HttpEndpoint.of(bundleContext, TIMEOUT);
        assertEquals("the distribution's default host", "127.0.0.1", distributionHttpProperties().get("org.apache.felix.http.host"));
        assertEquals(http.base().toString(), "127.0.0.1", http.base().getHost());

        // The kernel's word, not Jetty's: every socket listening on the port is bound to 127.0.0.1.
        int port = http.base().getPort();
        Process ss = new ProcessBuilder("ss", "-Hltn", "sport = :" + port).redirectErrorStream(true).start();
        String listeners = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("ss did not finish", ss.waitFor(PROMTOOL_TIMEOUT.toSeconds(), TimeUnit.SECONDS));
        List<String> lines = listeners.lines().filter(line -> !line.isBlank()).toList();
        assertFalse("no listener on port " + port + " in ss's table", lines.isEmpty());
        for (String line : lines) {
            String local = line.trim().split("\\s+")[3];
            assertTrue(line, local.equals("127.0.0.1:" + port) || local.equals("[::ffff:127.0.0.1]:" + port));
        }
    }

    /** GETs /metrics until the sample has the value, or the deadline passes; returns the last scrape. */
    private static String awaitSample(HttpEndpoint http, String sample, double value, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        String metrics = http.awaitServed("/metrics", timeout).body();
        while (!hasSample(metrics, sample, value) && Instant.now().isBefore(deadline)) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            HttpResponse<String> response = http.get("/metrics");
            assertEquals(200, response.statusCode());
            metrics = response.body();
        }
        return metrics;
    }

    private static boolean hasSample(String metrics, String sample, double value) {
        Matcher line = Pattern.compile("(?m)^" + Pattern.quote(sample) + " (\\S+)$").matcher(metrics);
        return line.find() && Double.parseDouble(line.group(1)) == value;
    }

    private static void assertSample(String metrics, String sample, double value) {
        assertTrue("no sample '" + sample + " " + value + "' in\n" + metrics, hasSample(metrics, sample, value));
    }

    /** @return promtool's complaints about {@code metrics}; empty when it accepts them */
    private static List<String> promtool(String metrics) throws IOException, InterruptedException {
        Process promtool;
        try {
            promtool = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("promtool is missing: install the Debian package 'prometheus' (.ci/setup-machine does)", e);
        }
        promtool.getOutputStream().write(metrics.getBytes(StandardCharsets.UTF_8));
        promtool.getOutputStream().close();
        String output = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("promtool did not finish", promtool.waitFor(PROMTOOL_TIMEOUT.toSeconds(), TimeUnit.SECONDS));
        List<String> problems = output.lines().filter(line -> !line.isBlank()).toList();
        if (promtool.exitValue() != 0 && problems.isEmpty()) {
            return List.of("exit " + promtool.exitValue());
        }
        return problems;
    }
}
