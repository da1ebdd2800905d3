package org.migware.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.function.LongSupplier;

/**
 * A clock that moves only when told to. It is both a {@link Clock} for instants and, as a
 * {@link LongSupplier}, a monotonic nanosecond clock: the two move together.
 */
public final class FakeClock extends Clock implements LongSupplier {

    /** Where the instants start when no start is given. */
    public static final Instant DEFAULT_START = Instant.parse("2026-01-01T00:00:00Z");

    /** The monotonic clock starts far from zero, so that nothing may depend on its origin. */
    private static final long NANOS_ORIGIN = 7_000_000_000_000L;
    private static final long NANOS_PER_MILLI = 1_000_000L;

    private final Instant start;
    private volatile long nanos = NANOS_ORIGIN;

    public FakeClock() {
        this(DEFAULT_START);
    }

    public FakeClock(Instant start) {
        this.start = start;
    }

    public void advance(Duration step) {
        nanos += step.toNanos();
    }

    public void advanceMillis(long millis) {
        nanos += millis * NANOS_PER_MILLI;
    }

    /** @return the milliseconds advanced since the clock was made */
    public long elapsedMillis() {
        return (nanos - NANOS_ORIGIN) / NANOS_PER_MILLI;
    }

    /** @return the monotonic nanoseconds */
    @Override
    public long getAsLong() {
        return nanos;
    }

    @Override
    public Instant instant() {
        return start.plusNanos(nanos - NANOS_ORIGIN);
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
