package org.migware.lab.oracles;

import java.util.Arrays;

/**
 * Round trips timed on the client's wire (issue 14): per client segment carrying payload, from
 * its capture time to (a) the first segment from the service side whose ACK covers its end
 * (PSH → ACK, the thesis's measurement) and (b) the first segment from the service side that
 * carries data and covers it, the answer's first byte ({@link WireAnalysis.Segment}). Samples
 * are collected for a window of send times, so the direct path (before the pull) and the path
 * through PROXY (after it) are read from the same capture, and rounds add up.
 *
 * <p>A segment that was sent again gives no sample (Karn: its ACK cannot be matched to one
 * send), nor one queued behind such a segment (its ACK waited for the other's loss); both are
 * counted as excluded. A clean segment in the window that was never acknowledged is counted as
 * such, so a tail cannot hide in missing samples. Kept as two growing arrays of primitives.
 */
public final class WireRoundTrips {

    private double[] ackMillis = new double[1024];
    private double[] answerMillis = new double[1024];
    private int size;
    private int answered;
    private long excluded;
    private long unacknowledged;
    private long answerAfterAck;

    /**
     * Adds the segments of one capture first sent in {@code [fromEpochSeconds, toEpochSeconds)}.
     *
     * @param wire the capture's analysis
     * @param fromEpochSeconds the window's start, inclusive
     * @param toEpochSeconds its end, exclusive
     * @return this
     */
    public WireRoundTrips add(WireAnalysis wire, double fromEpochSeconds, double toEpochSeconds) {
        for (WireAnalysis.Segment s : wire.segments()) {
            double sent = s.sentEpochSeconds();
            if (sent < fromEpochSeconds || sent >= toEpochSeconds) {
                continue;
            }
            if (!s.clean()) {
                excluded++;
            } else if (Double.isNaN(s.ackEpochSeconds())) {
                unacknowledged++;
            } else {
                double answer = Double.isNaN(s.answerEpochSeconds()) ? Double.NaN : (s.answerEpochSeconds() - sent) * 1000.0;
                add((s.ackEpochSeconds() - sent) * 1000.0, answer);
            }
        }
        return this;
    }

    /** Adds another collection's samples (another round's). */
    public WireRoundTrips addAll(WireRoundTrips other) {
        for (int i = 0; i < other.size; i++) {
            add(other.ackMillis[i], other.answerMillis[i]);
        }
        excluded += other.excluded;
        unacknowledged += other.unacknowledged;
        return this;
    }

    private void add(double ack, double answer) {
        if (size == ackMillis.length) {
            ackMillis = Arrays.copyOf(ackMillis, size * 2);
            answerMillis = Arrays.copyOf(answerMillis, size * 2);
        }
        ackMillis[size] = ack;
        answerMillis[size] = answer;
        size++;
        if (!Double.isNaN(answer)) {
            answered++;
            if (answer > ack) {
                answerAfterAck++;
            }
        }
    }

    /** @return PSH → ACK of the clean, acknowledged segments, in ms */
    public LatencyStats pshToAck() {
        return LatencyStats.of(Arrays.copyOf(ackMillis, size));
    }

    /** @return PSH → the answer's first byte of those that were answered, in ms */
    public LatencyStats pshToAnswer() {
        double[] values = new double[answered];
        int n = 0;
        for (int i = 0; i < size; i++) {
            if (!Double.isNaN(answerMillis[i])) {
                values[n++] = answerMillis[i];
            }
        }
        return LatencyStats.of(values);
    }

    /** @return segments sent again, or queued behind one that was: no sample */
    public long excluded() {
        return excluded;
    }

    /** @return clean segments in the window that no ACK from the service side covered */
    public long unacknowledged() {
        return unacknowledged;
    }

    /** @return samples whose answer's first byte came after their ACK (a pure ACK first): where (a) and (b) differ */
    public long answerAfterAck() {
        return answerAfterAck;
    }
}
