package org.migware.monitor.traffic.internal;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.function.LongSupplier;

/**
 * A clock that moves only when told to: the monotonic nanoseconds of the detector and the
 * instants of the verdicts move together.
 */
final class FakeClock extends Clock implements LongSupplier {

    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    /** Starts far from zero, so that nothing may depend on the monotonic clock's origin. */
    private volatile long nanos = 7_000_000_000_000L;
    private final long originNanos = nanos;

    void advanceMillis(long millis) {
        nanos += millis * 1_000_000L;
    }

    long elapsedMillis() {
        return (nanos - originNanos) / 1_000_000L;
    }

    @Override
    public long getAsLong() {
        return nanos;
    }

    @Override
    public Instant instant() {
        return START.plusNanos(nanos - originNanos);
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
