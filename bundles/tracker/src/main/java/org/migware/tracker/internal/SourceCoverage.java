package org.migware.tracker.internal;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Whether the table is fed: how many packet sources it is subscribed to, and the times it had
 * none after it had had one. A capture backend swapped on a running container (issue 14) leaves
 * such a gap when the old one goes before the new one comes; every frame of that time is lost to
 * the table, so it is counted and shown rather than guessed. The time before the first source is
 * a start, not a gap.
 */
final class SourceCoverage {

    private final LongSupplier nanoTime;
    private int sources;
    private boolean everFed;
    /** When the current gap began; meaningful while {@code sources == 0 && everFed}. */
    private long uncoveredSince;
    private long gaps;
    private long closedGapNanos;

    SourceCoverage(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /** @return the gap this subscription ends, in milliseconds; -1 when it ends none */
    synchronized long subscribed() {
        long ended = -1;
        if (sources == 0 && everFed) {
            long gap = nanoTime.getAsLong() - uncoveredSince;
            closedGapNanos += gap;
            ended = TimeUnit.NANOSECONDS.toMillis(gap);
        }
        sources++;
        everFed = true;
        return ended;
    }

    synchronized void unsubscribed() {
        if (sources == 0) {
            return;
        }
        sources--;
        if (sources == 0) {
            gaps++;
            uncoveredSince = nanoTime.getAsLong();
        }
    }

    synchronized int sources() {
        return sources;
    }

    synchronized long gaps() {
        return gaps;
    }

    /** @return the gaps' time in all, the one going on now included */
    synchronized long gapMillis() {
        long ongoing = sources == 0 && everFed ? nanoTime.getAsLong() - uncoveredSince : 0;
        return TimeUnit.NANOSECONDS.toMillis(closedGapNanos + ongoing);
    }
}
