package org.migware.observability.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.migware.api.health.HealthVerdict;
import org.migware.api.health.HealthVerdictListener;
import org.migware.api.health.ProbeTimingListener;
import org.osgi.service.component.annotations.Component;

import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.Unit;

/**
 * Every monitor's probe round trips, as a Prometheus histogram per monitor, and its probes by
 * outcome. Registered as a verdict listener, which is how the monitors find it (see
 * {@link ProbeTimingListener}); verdicts themselves it leaves to the core. The buckets span what a
 * probe on a LAN takes (0.1 ms) to a timeout (5 s).
 */
@Component(service = {HealthVerdictListener.class, ProbeTimings.class})
public final class ProbeTimings implements HealthVerdictListener, ProbeTimingListener {

    /** Upper bounds in seconds; the last bucket, +Inf, is added by the model. */
    static final double[] BOUNDS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
        Double.POSITIVE_INFINITY};

    /** One monitor's counts. */
    private static final class Timings {
        final long[] buckets = new long[BOUNDS.length];
        double sumSeconds;
        long answered;
        long missed;
    }

    private final Map<String, Timings> byMonitor = new TreeMap<>();

    @Override
    public void verdict(HealthVerdict verdict) {
        // the verdicts are the core's; this listener is here for the probes
    }

    @Override
    public synchronized void probed(String monitor, boolean answered, long roundTripNanos) {
        Timings timings = byMonitor.computeIfAbsent(monitor, name -> new Timings());
        if (answered) {
            double seconds = roundTripNanos / 1e9;
            int bucket = 0;
            while (seconds > BOUNDS[bucket]) {
                bucket++;
            }
            timings.buckets[bucket]++;
            timings.sumSeconds += seconds;
            timings.answered++;
        } else {
            timings.missed++;
        }
    }

    /** @return the histogram of answered probes' round trips and the probes by outcome, per monitor */
    synchronized List<MetricSnapshot> snapshots() {
        List<MetricSnapshot> snapshots = new ArrayList<>();
        if (byMonitor.isEmpty()) {
            return snapshots;
        }
        HistogramSnapshot.Builder histogram = HistogramSnapshot.builder().name("migware_monitor_probe_duration_seconds")
                .help("How long each monitor's answered probes took, from the probe's start to its result").unit(Unit.SECONDS);
        CounterSnapshot.Builder probes = CounterSnapshot.builder().name("migware_monitor_probes")
                .help("Probes each monitor made, by outcome");
        byMonitor.forEach((monitor, t) -> {
            histogram.dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                    .labels(Labels.of("monitor", monitor))
                    .classicHistogramBuckets(ClassicHistogramBuckets.of(BOUNDS, t.buckets.clone()))
                    .sum(t.sumSeconds).build());
            probes.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                    .labels(Labels.of("monitor", monitor, "outcome", "answered")).value(t.answered).build());
            probes.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                    .labels(Labels.of("monitor", monitor, "outcome", "missed")).value(t.missed).build());
        });
        snapshots.add(histogram.build());
        snapshots.add(probes.build());
        return snapshots;
    }
}
