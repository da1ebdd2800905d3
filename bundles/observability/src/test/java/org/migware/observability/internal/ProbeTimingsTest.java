package org.migware.observability.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

/** The probes' round trips as Prometheus writes them: cumulative buckets, a sum, a count, probes by outcome. */
class ProbeTimingsTest {

    @Test
    void roundTripsLandInTheirBucketsAndMissesAreCountedApart() throws Exception {
        ProbeTimings timings = new ProbeTimings();
        timings.probed("icmp", true, TimeUnit.MICROSECONDS.toNanos(80));
        timings.probed("icmp", true, TimeUnit.MICROSECONDS.toNanos(300));
        timings.probed("icmp", true, TimeUnit.MILLISECONDS.toNanos(3));
        timings.probed("icmp", false, TimeUnit.MILLISECONDS.toNanos(500));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, new MetricSnapshots(timings.snapshots()), EscapingScheme.UNDERSCORE_ESCAPING);
        String text = out.toString(StandardCharsets.UTF_8);
        for (String line : new String[] {
            "migware_monitor_probe_duration_seconds_bucket{monitor=\"icmp\",le=\"1.0E-4\"} 1",
            "migware_monitor_probe_duration_seconds_bucket{monitor=\"icmp\",le=\"5.0E-4\"} 2",
            "migware_monitor_probe_duration_seconds_bucket{monitor=\"icmp\",le=\"0.005\"} 3",
            "migware_monitor_probe_duration_seconds_bucket{monitor=\"icmp\",le=\"+Inf\"} 3",
            "migware_monitor_probe_duration_seconds_count{monitor=\"icmp\"} 3",
            "migware_monitor_probes_total{monitor=\"icmp\",outcome=\"missed\"} 1.0"}) {
            assertTrue(text.contains(line), () -> "missing: " + line + "\n" + text);
        }
    }
}
