package org.migware.lab.oracles;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Where a round trip through PROXY spends its time, from three captures of the same frames
 * (tcpdump, tshark; never MigWare's own report), joined by the record each client segment
 * carries ({@code c<conn> r<seq>}):
 * <ol>
 * <li><b>to MigWare</b>: the client's link → the backup's link (the hub);</li>
 * <li><b>MigWare in</b>: the backup's link → MigWare's write of the translated segment into the
 * TUN (capture, translation, the TUN write);</li>
 * <li><b>replica</b>: that write → the replica's first ACK covering it handed to the TUN (the
 * replica's kernel);</li>
 * <li><b>MigWare out</b>: that ACK in the TUN → MigWare's translated ACK on the backup's link
 * (the TUN read, translation, the send);</li>
 * <li><b>to the client</b>: the backup's link → the client's link.</li>
 * </ol>
 * Every record whose five stages are all seen counts, once (its first transmission on each
 * link; a record whose segment was sent again anywhere is left out, as in {@link WireRoundTrips}).
 */
public final class RoundTripStages {

    /** The stages' names, in order. */
    public static final List<String> NAMES = List.of("to MigWare (hub)", "MigWare in (capture → TUN write)",
            "replica's kernel (TUN → its ACK)", "MigWare out (TUN read → send)", "to the client (hub)");

    private final List<double[]> samples = new ArrayList<>();

    /**
     * Adds the records first sent by the client in {@code [fromEpochSeconds, toEpochSeconds)}.
     *
     * @param client the capture on the client's link
     * @param backup the capture on the backup's link (where MigWare captures and sends)
     * @param tun the capture on MigWare's TUN
     * @param fromEpochSeconds the window's start
     * @param toEpochSeconds its end
     * @return this
     */
    public RoundTripStages add(WireAnalysis client, WireAnalysis backup, WireAnalysis tun, double fromEpochSeconds,
            double toEpochSeconds) {
        Map<String, WireAnalysis.Segment> atClient = byRecord(client);
        Map<String, WireAnalysis.Segment> atBackup = byRecord(backup);
        Map<String, WireAnalysis.Segment> atTun = byRecord(tun);
        atClient.forEach((record, c) -> {
            WireAnalysis.Segment b = atBackup.get(record);
            WireAnalysis.Segment t = atTun.get(record);
            if (b == null || t == null || c.sentEpochSeconds() < fromEpochSeconds || c.sentEpochSeconds() >= toEpochSeconds
                    || !c.clean() || !b.clean() || !t.clean() || Double.isNaN(c.ackEpochSeconds())
                    || Double.isNaN(b.ackEpochSeconds()) || Double.isNaN(t.ackEpochSeconds())) {
                return;
            }
            samples.add(new double[] {
                    ms(b.sentEpochSeconds() - c.sentEpochSeconds()),
                    ms(t.sentEpochSeconds() - b.sentEpochSeconds()),
                    ms(t.ackEpochSeconds() - t.sentEpochSeconds()),
                    ms(b.ackEpochSeconds() - t.ackEpochSeconds()),
                    ms(c.ackEpochSeconds() - b.ackEpochSeconds()),
                    ms(c.ackEpochSeconds() - c.sentEpochSeconds())});
        });
        return this;
    }

    /** Adds another collection's samples (another round's). */
    public RoundTripStages addAll(RoundTripStages other) {
        samples.addAll(other.samples);
        return this;
    }

    /** @return each clean segment carrying records, keyed by its first record ("conn/seq") */
    private static Map<String, WireAnalysis.Segment> byRecord(WireAnalysis wire) {
        Map<String, WireAnalysis.Segment> out = new java.util.HashMap<>();
        for (WireAnalysis.Segment s : wire.segments()) {
            if (!s.records().isEmpty()) {
                long[] r = s.records().get(0);
                out.putIfAbsent(r[0] + "/" + r[1], s);
            }
        }
        return out;
    }

    private static double ms(double seconds) {
        return seconds * 1000.0;
    }

    /** @return how many records were seen through every stage */
    public int count() {
        return samples.size();
    }

    /**
     * @param stage 0..4 ({@link #NAMES}), or 5 for the whole round trip on the client's link
     * @return that stage's distribution, in ms
     */
    public LatencyStats stage(int stage) {
        return LatencyStats.of(samples.stream().mapToDouble(s -> s[stage]).toArray());
    }

    /**
     * Where the slowest round trips spent their time: over the samples whose whole round trip is
     * at or above its {@code percentile}, the mean of each stage.
     *
     * @param percentile e.g. 99
     * @return the mean per stage (ms), then the mean whole round trip, for those samples
     */
    public double[] tailMeans(double percentile) {
        double threshold = stage(5).count() == 0 ? Double.NaN : LatencyStats.percentile(sortedTotals(), percentile);
        double[] sum = new double[6];
        int n = 0;
        for (double[] s : samples) {
            if (s[5] >= threshold) {
                for (int i = 0; i < 6; i++) {
                    sum[i] += s[i];
                }
                n++;
            }
        }
        for (int i = 0; i < 6; i++) {
            sum[i] = n == 0 ? Double.NaN : sum[i] / n;
        }
        return sum;
    }

    /** @return how many samples {@link #tailMeans} averaged for that percentile */
    public int tailCount(double percentile) {
        if (samples.isEmpty()) {
            return 0;
        }
        double threshold = LatencyStats.percentile(sortedTotals(), percentile);
        return (int) samples.stream().filter(s -> s[5] >= threshold).count();
    }

    private double[] sortedTotals() {
        double[] totals = samples.stream().mapToDouble(s -> s[5]).toArray();
        Arrays.sort(totals);
        return totals;
    }
}
