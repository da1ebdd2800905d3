package org.migware.lab.network;

import java.util.Map;
import java.util.Properties;

/**
 * What one direction of a {@link WireBox} did with the frames it read.
 *
 * @param received frames read from the input side (those the box sent itself not counted)
 * @param forwarded frames the kernel took on the output side, at once or after the delay
 * @param delayed frames held back for the delay and then sent (or refused, see sendErrors)
 * @param reordered frames sent at once while older frames of the direction were still held back:
 *        the ones that really overtook
 * @param duplicated frames sent a second time (the copy counted in forwarded too)
 * @param queueFull frames dropped because the queue was full (netem's limit)
 * @param oversize frames dropped because they were longer than the box's buffers
 * @param sendErrors frames the kernel refused to send (the output side down, no buffer)
 * @param receiveErrors reads that failed other than for an empty or a downed interface
 * @param queued frames held back at the time of writing
 * @param lateMeanMicros how much later than due the delayed frames left, on average
 * @param lateMaxMicros and at the most
 */
public record WireCounters(long received, long forwarded, long delayed, long reordered, long duplicated, long queueFull,
        long oversize, long sendErrors, long receiveErrors, long queued, long lateMeanMicros, long lateMaxMicros) {

    private static final String[] KEYS = {"received", "forwarded", "delayed", "reordered", "duplicated", "queueFull", "oversize",
        "sendErrors", "receiveErrors", "queued", "lateMeanMicros", "lateMaxMicros"};

    /** @return the counters by name, for a JSON report */
    public Map<String, Object> toMap() {
        return CounterLines.toMap(KEYS, values());
    }

    /**
     * @param prefix the direction's name, e.g. {@code towardsRole}
     * @param out receives one {@code prefix.name=value} line per counter
     */
    void appendTo(String prefix, StringBuilder out) {
        CounterLines.append(prefix, KEYS, values(), out);
    }

    /**
     * @param prefix the direction's name
     * @param p what {@link #appendTo} wrote, loaded
     * @return the counters; a missing one reads as -1
     */
    static WireCounters from(String prefix, Properties p) {
        long[] v = CounterLines.read(prefix, KEYS, p);
        return new WireCounters(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11]);
    }

    private long[] values() {
        return new long[] {received, forwarded, delayed, reordered, duplicated, queueFull, oversize, sendErrors, receiveErrors, queued,
            lateMeanMicros, lateMaxMicros};
    }
}
