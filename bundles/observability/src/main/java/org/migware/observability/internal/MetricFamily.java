package org.migware.observability.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.Unit;

/**
 * One metric family being filled from the status records: a name, a help text, a unit and its
 * samples, each with its labels. The Prometheus client's model checks the names and labels and
 * its writers add {@code _total} to a counter's name.
 *
 * <p>Built afresh at every scrape from records the status services made anyway: nothing here is
 * on the packet path.
 */
final class MetricFamily {

    private final boolean counter;
    private final String name;
    private final String help;
    private final Unit unit;
    private final List<Labels> labels = new ArrayList<>();
    private final List<Double> values = new ArrayList<>();

    private MetricFamily(boolean counter, String name, String help, Unit unit) {
        this.counter = counter;
        this.name = name;
        this.help = help;
        this.unit = unit;
    }

    /** @return a counter family; {@code name} without {@code _total}, which the writers add */
    static MetricFamily counter(String name, String help) {
        return new MetricFamily(true, name, help, unitOf(name));
    }

    /** @return a gauge family */
    static MetricFamily gauge(String name, String help) {
        return new MetricFamily(false, name, help, unitOf(name));
    }

    /** The unit is the name's last word, when it is one (Prometheus: the unit ends the name). */
    private static Unit unitOf(String name) {
        if (name.endsWith("_bytes")) {
            return Unit.BYTES;
        }
        if (name.endsWith("_seconds")) {
            return Unit.SECONDS;
        }
        return null;
    }

    /**
     * Adds a sample.
     *
     * @param value the value
     * @param labelNamesAndValues name, value, name, value...
     * @return this family
     */
    MetricFamily add(double value, String... labelNamesAndValues) {
        labels.add(Labels.of(labelNamesAndValues));
        values.add(value);
        return this;
    }

    /** @return {@code true} as 1, {@code false} as 0, for gauges of a condition */
    static double flag(boolean condition) {
        return condition ? 1 : 0;
    }

    /** @return an enum constant as a label value: {@code RESUMABLE_ONLY} as {@code resumable_only} */
    static String label(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT);
    }

    /** @return whether no sample was added (a family without samples is left out) */
    boolean isEmpty() {
        return values.isEmpty();
    }

    /** @return the family in the client's model */
    MetricSnapshot snapshot() {
        if (counter) {
            CounterSnapshot.Builder builder = CounterSnapshot.builder().name(name).help(help);
            if (unit != null) {
                builder.unit(unit);
            }
            for (int i = 0; i < values.size(); i++) {
                builder.dataPoint(CounterDataPointSnapshot.builder().labels(labels.get(i)).value(values.get(i)).build());
            }
            return builder.build();
        }
        GaugeSnapshot.Builder builder = GaugeSnapshot.builder().name(name).help(help);
        if (unit != null) {
            builder.unit(unit);
        }
        for (int i = 0; i < values.size(); i++) {
            builder.dataPoint(GaugeDataPointSnapshot.builder().labels(labels.get(i)).value(values.get(i)).build());
        }
        return builder.build();
    }
}
