package org.migware.monitor.support;

import java.time.Duration;

/**
 * How often and how strictly a {@link ProbeLoop} probes. The names are the configuration keys every
 * MigWare monitor uses, so that an error message can name the key to fix.
 *
 * @param intervalMillis time from the start of one probe to the start of the next, at least 1
 * @param timeoutMillis how long one probe may take before it is a miss, at least 1
 * @param misses consecutive misses that make the verdict {@code DOWN}, at least 1
 * @param recoveries consecutive successes that make a {@code DOWN} verdict {@code UP} again, at least 1
 */
public record ProbeSettings(long intervalMillis, long timeoutMillis, int misses, int recoveries) {

    /** The thesis's behaviour: a probe every 500 ms, 500 ms to answer, one miss is {@code DOWN}. */
    public static final ProbeSettings THESIS = new ProbeSettings(500, 500, 1, 1);

    /**
     * Validates the values.
     *
     * @throws IllegalArgumentException whose message names the key, for example
     *         {@code "'misses' must be at least 1 (is 0)"}
     */
    public ProbeSettings {
        atLeastOne("intervalMillis", intervalMillis);
        atLeastOne("timeoutMillis", timeoutMillis);
        atLeastOne("misses", misses);
        atLeastOne("recoveries", recoveries);
    }

    private static void atLeastOne(String key, long value) {
        if (value < 1) {
            throw new IllegalArgumentException("'" + key + "' must be at least 1 (is " + value + ")");
        }
    }

    /** @return {@link #intervalMillis()} as a duration */
    public Duration interval() {
        return Duration.ofMillis(intervalMillis);
    }

    /** @return {@link #timeoutMillis()} as a duration */
    public Duration timeout() {
        return Duration.ofMillis(timeoutMillis);
    }

    /** @return the settings in words, for a log line */
    public String describe() {
        return "every " + intervalMillis + " ms, timeout " + timeoutMillis + " ms, DOWN after " + misses
                + (misses == 1 ? " miss" : " consecutive misses") + ", UP again after " + recoveries
                + (recoveries == 1 ? " success" : " consecutive successes");
    }
}
