package org.migware.lab.oracles;

import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A distribution of milliseconds, summarised: count, mean, median, p90, p99 (nearest rank) and
 * max. An empty sample gives count 0 and NaN elsewhere (written as null in JSON).
 *
 * @param count samples
 * @param mean arithmetic mean (the thesis averages)
 * @param median the 50th percentile
 * @param p90 the 90th percentile
 * @param p99 the 99th percentile
 * @param min the smallest sample
 * @param max the largest sample
 */
public record LatencyStats(int count, double mean, double median, double p90, double p99, double min, double max) {

    /** No samples. */
    public static final LatencyStats EMPTY = new LatencyStats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
            Double.NaN);

    /**
     * @param samples milliseconds
     * @return their summary
     */
    public static LatencyStats of(Collection<Double> samples) {
        return of(samples.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /**
     * @param samples milliseconds (not modified)
     * @return their summary
     */
    public static LatencyStats of(double[] samples) {
        if (samples.length == 0) {
            return EMPTY;
        }
        double[] sorted = samples.clone();
        Arrays.sort(sorted);
        double sum = 0;
        for (double v : sorted) {
            sum += v;
        }
        return new LatencyStats(sorted.length, sum / sorted.length, percentile(sorted, 50), percentile(sorted, 90),
                percentile(sorted, 99), sorted[0], sorted[sorted.length - 1]);
    }

    /**
     * Nearest-rank percentile: the smallest sample with at least {@code p} % of the samples at or
     * below it, so p99 of 10 samples is the largest, never an interpolated value nobody measured.
     *
     * @param sorted ascending, non-empty
     * @param p 0..100
     * @return the percentile
     */
    static double percentile(double[] sorted, double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
    }

    /** @return this summary as a JSON object */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", count);
        m.put("mean", mean);
        m.put("median", median);
        m.put("p90", p90);
        m.put("p99", p99);
        m.put("min", min);
        m.put("max", max);
        return m;
    }
}
