package org.migware.tracker.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** The capture gaps a backend swap can leave, on a clock the test moves. */
class SourceCoverageTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final SourceCoverage coverage = new SourceCoverage(now::get);

    private void advanceMillis(long millis) {
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    @Test
    void theTimeBeforeTheFirstSourceIsAStartNotAGap() {
        advanceMillis(5_000);
        assertEquals(-1, coverage.subscribed());
        assertEquals(1, coverage.sources());
        assertEquals(0, coverage.gaps());
        assertEquals(0, coverage.gapMillis());
    }

    @Test
    void theNewBackendFirstThenTheOldOneGoesLeavesNoGap() {
        coverage.subscribed();
        advanceMillis(100);
        assertEquals(-1, coverage.subscribed(), "the ring comes while pcap4j still captures");
        advanceMillis(100);
        coverage.unsubscribed();
        assertEquals(1, coverage.sources());
        assertEquals(0, coverage.gaps());
        assertEquals(0, coverage.gapMillis());
    }

    @Test
    void theOldBackendFirstLeavesAGapCountedWhileItLastsAndWhenItEnds() {
        coverage.subscribed();
        coverage.unsubscribed();
        advanceMillis(1_200);
        assertEquals(0, coverage.sources());
        assertEquals(1, coverage.gaps());
        assertEquals(1_200, coverage.gapMillis(), "an ongoing gap counts");
        advanceMillis(300);
        assertEquals(1_500, coverage.subscribed(), "the gap this source ends");
        advanceMillis(10_000);
        assertEquals(1_500, coverage.gapMillis(), "an ended gap no longer grows");
        coverage.unsubscribed();
        advanceMillis(250);
        coverage.subscribed();
        assertEquals(2, coverage.gaps());
        assertEquals(1_750, coverage.gapMillis());
    }

    @Test
    void anUnbindWithNoSourceChangesNothing() {
        coverage.unsubscribed();
        assertEquals(0, coverage.sources());
        assertEquals(0, coverage.gaps());
    }
}
