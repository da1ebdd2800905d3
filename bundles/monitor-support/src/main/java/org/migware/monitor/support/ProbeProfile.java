package org.migware.monitor.support;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A named set of {@link ProbeSettings}, chosen with one configuration key ({@code profile}) of a
 * probing monitor; a key set beside it ({@code intervalMillis}, {@code timeoutMillis}, {@code misses},
 * {@code recoveries}) overrides that one value of the profile.
 *
 * <p>Like keepalived's {@code fall} and HAProxy's {@code fall}, every profile asks for consecutive
 * misses; they differ in how long the primary must stay silent, which is what random loss and bursts
 * of loss must not reach.
 */
public enum ProbeProfile {

    /**
     * The shipped default: a probe every 100 ms, 100 ms to answer, DOWN after 8 misses in a row (the
     * primary silent for 800 ms; decided 0.8-0.9 s after it stops answering, no later than the thesis's
     * worst case). Under 2 % loss each way (about 4 % of probes lost) eight misses in a row come with
     * probability 0.04^8 = 6e-12 per probe: at 10 probes a second, once in centuries; under 5 % each
     * way (10 % of probes) about once in 4 months. A burst of total loss shorter than 700 ms is no
     * failover.
     */
    SAFE(new ProbeSettings(100, 100, 8, 1)),

    /**
     * The 2004 thesis's detector: a probe every 500 ms, 500 ms to answer, DOWN after one miss (500-1000
     * ms). One lost probe is a failover: about every 13 s under 2 % loss each way.
     */
    THESIS(ProbeSettings.THESIS),

    /**
     * Fast and loss-tolerant on a LAN: a probe every 10 ms, 10 ms to answer, DOWN after 5 misses in a
     * row (56-91 ms on the lab); it tolerates only about 60 ms of this host's stall and costs 100
     * probes a second.
     */
    FAST(new ProbeSettings(10, 10, 5, 1));

    /** The configuration key that names the profile. */
    public static final String KEY = "profile";

    private final ProbeSettings settings;

    ProbeProfile(ProbeSettings settings) {
        this.settings = settings;
    }

    /** @return the profile's settings */
    public ProbeSettings settings() {
        return settings;
    }

    /** @return the name as written in a configuration ({@code safe}, {@code thesis}, {@code fast}) */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @param text the value of the {@code profile} key; empty or null is {@link #SAFE}
     * @return the profile of that name (case and surrounding blanks ignored)
     * @throws IllegalArgumentException naming the key and the known profiles
     */
    public static ProbeProfile named(String text) {
        String name = text == null ? "" : text.trim();
        if (name.isEmpty()) {
            return SAFE;
        }
        for (ProbeProfile p : values()) {
            if (p.configName().equals(name.toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new IllegalArgumentException("'" + KEY + "' must be one of "
                + Arrays.stream(values()).map(ProbeProfile::configName).collect(Collectors.joining(", ")) + " (is '" + text + "')");
    }

    /**
     * The profile's settings with the values a configuration sets itself; 0 (the keys' default) keeps
     * the profile's value.
     *
     * @throws IllegalArgumentException naming the key of a negative value
     */
    public ProbeSettings with(long intervalMillis, long timeoutMillis, int misses, int recoveries) {
        return new ProbeSettings(
                orProfile(intervalMillis, settings.intervalMillis()),
                orProfile(timeoutMillis, settings.timeoutMillis()),
                (int) orProfile(misses, settings.misses()),
                (int) orProfile(recoveries, settings.recoveries()));
    }

    private static long orProfile(long configured, long profile) {
        return configured == 0 ? profile : configured; // negative values reach ProbeSettings, which names the key
    }

    /**
     * @param profile the {@code profile} key's value
     * @return the settings of the named profile with the other keys' values laid over them
     * @throws IllegalArgumentException naming the wrong key
     */
    public static ProbeSettings resolve(String profile, long intervalMillis, long timeoutMillis, int misses, int recoveries) {
        return named(profile).with(intervalMillis, timeoutMillis, misses, recoveries);
    }
}
