package org.migware.monitor.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.migware.api.health.HealthStatus;
import org.migware.api.health.HealthVerdict;
import org.migware.api.health.HealthVerdictListener;

/** The loop with real threads; every wait is on a verdict queue with a generous timeout. */
class ProbeLoopTest {

    private final BlockingQueue<HealthVerdict> verdicts = new LinkedBlockingQueue<>();
    private final List<HealthVerdictListener> listeners = List.of(verdicts::add);

    private HealthVerdict next() throws InterruptedException {
        HealthVerdict verdict = verdicts.poll(10, TimeUnit.SECONDS);
        if (verdict == null) {
            throw new AssertionError("no verdict within 10 s");
        }
        return verdict;
    }

    @Test
    void publishesUnknownThenUpAndStopsOnClose() throws Exception {
        AtomicInteger probes = new AtomicInteger();
        try (ProbeLoop loop = ProbeLoop.start("test", "t", new ProbeSettings(10, 100, 1, 1),
                timeout -> ProbeResult.success("probe " + probes.incrementAndGet()), () -> listeners)) {
            HealthVerdict first = next();
            assertEquals(HealthStatus.UNKNOWN, first.status());
            assertTrue(first.reason().startsWith("starting"), first.reason());
            HealthVerdict up = next();
            assertEquals(HealthStatus.UP, up.status());
            assertEquals("probe 1", up.reason());
            assertEquals(up, loop.currentVerdict());
            loop.close();
            int after = probes.get();
            TimeUnit.MILLISECONDS.sleep(50); // nothing to wait for: the loop must stay silent
            assertEquals(after, probes.get(), "no probe after close");
        }
    }

    @Test
    void aThrowingProbeIsAMissWithTheExceptionsMessage() throws Exception {
        try (ProbeLoop loop = ProbeLoop.start("test", "t", new ProbeSettings(10, 100, 2, 1),
                timeout -> {
                    throw new java.io.IOException("socket exploded");
                }, () -> listeners)) {
            assertEquals(HealthStatus.UNKNOWN, next().status());
            HealthVerdict down = next();
            assertEquals(HealthStatus.DOWN, down.status());
            assertEquals("socket exploded (2 consecutive misses)", down.reason());
        }
    }

    @Test
    void aProbePastItsTimeoutIsInterruptedAndAMiss() throws Exception {
        CountDownLatch interrupted = new CountDownLatch(1);
        try (ProbeLoop loop = ProbeLoop.start("test", "t", new ProbeSettings(10, 30, 1, 1),
                timeout -> {
                    try {
                        Thread.sleep(60_000);
                    } catch (InterruptedException e) {
                        interrupted.countDown();
                        throw e;
                    }
                    return ProbeResult.success("too late");
                }, () -> listeners)) {
            assertEquals(HealthStatus.UNKNOWN, next().status());
            HealthVerdict down = next();
            assertEquals(HealthStatus.DOWN, down.status());
            assertEquals("no result within 30 ms (1 miss)", down.reason());
            assertTrue(interrupted.await(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void aProbeThatIgnoresItsTimeoutCountsAsMissesOnceItIsHung() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (ProbeLoop loop = ProbeLoop.start("test", "t", new ProbeSettings(5, 10, 3, 1),
                timeout -> {
                    while (release.getCount() > 0) {
                        try {
                            release.await();
                        } catch (InterruptedException ignored) {
                            // a badly written probe
                        }
                    }
                    return ProbeResult.success("finally");
                }, () -> listeners)) {
            assertEquals(HealthStatus.UNKNOWN, next().status());
            HealthVerdict down = next();
            assertEquals(HealthStatus.DOWN, down.status());
            assertTrue(down.reason().startsWith("the previous probe has not returned"), down.reason());
            release.countDown();
            assertEquals(HealthStatus.UP, next().status());
        }
    }

    /**
     * The worker thread gets no CPU for a while (here: the executor holds the first probe back
     * for 200 ms, many waits): the probe is withdrawn unstarted, nothing is concluded, and the loop
     * goes on probing at once afterwards — a target that then stops answering is DOWN after its
     * misses, not after the five seconds of a hung probe.
     */
    @Test
    void aProbeTheWorkerCouldNotStartIsWithdrawnAndTheLoopStaysAlert() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean targetUp = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicBoolean stallFirst = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.ExecutorService stallingWorker = new java.util.concurrent.ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>()) {
            @Override
            protected void beforeExecute(Thread t, Runnable r) {
                if (stallFirst.getAndSet(false)) {
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        AtomicInteger probes = new AtomicInteger();
        try (ProbeLoop loop = ProbeLoop.start("test", "t", new ProbeSettings(10, 10, 3, 1),
                timeout -> {
                    probes.incrementAndGet();
                    return targetUp.get() ? ProbeResult.success("answered") : ProbeResult.miss("silent");
                }, () -> listeners, java.time.Clock.systemUTC(), stallingWorker)) {
            assertEquals(HealthStatus.UNKNOWN, next().status());
            HealthVerdict up = next();
            assertEquals(HealthStatus.UP, up.status());
            long before = System.nanoTime();
            targetUp.set(false);
            HealthVerdict down = next();
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);
            assertEquals(HealthStatus.DOWN, down.status());
            assertEquals("silent (3 consecutive misses)", down.reason());
            // Blind for five seconds before the fix; three 10 ms misses now (a second is slack for a busy CI host).
            assertTrue(millis < 1000, () -> "DOWN after " + millis + " ms");
        } finally {
            stallingWorker.shutdownNow();
        }
    }

    @Test
    void aThrowingListenerDoesNotStopTheLoop() throws Exception {
        AtomicInteger probes = new AtomicInteger();
        HealthVerdictListener throwing = v -> {
            throw new IllegalStateException("bug");
        };
        List<HealthVerdictListener> both = List.of(throwing, verdicts::add);
        try (ProbeLoop loop = ProbeLoop.start("test", "t", new ProbeSettings(5, 100, 1, 1),
                timeout -> probes.incrementAndGet() % 2 == 0 ? ProbeResult.miss("odd") : ProbeResult.success("even"),
                () -> both)) {
            for (int i = 0; i < 6; i++) {
                next();
            }
        }
    }

    @Test
    void aListenerThatLeavesHearsNothingAndHearsAgainWhenItComesBack() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean primaryUp = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicReference<List<HealthVerdictListener>> bound = new java.util.concurrent.atomic.AtomicReference<>(listeners);
        try (ProbeLoop loop = ProbeLoop.start("test", "t", new ProbeSettings(5, 100, 1, 1),
                timeout -> primaryUp.get() ? ProbeResult.success("up") : ProbeResult.miss("down"), bound::get)) {
            assertEquals(HealthStatus.UNKNOWN, next().status());
            assertEquals(HealthStatus.UP, next().status());
            // The listener's service goes away; a sentinel that stays shows when the DOWN has been published.
            java.util.concurrent.BlockingQueue<HealthVerdict> sentinel = new java.util.concurrent.LinkedBlockingQueue<>();
            bound.set(List.of(sentinel::add));
            primaryUp.set(false);
            HealthVerdict down = sentinel.poll(10, TimeUnit.SECONDS);
            assertEquals(HealthStatus.DOWN, down == null ? null : down.status());
            assertEquals(HealthStatus.DOWN, loop.currentVerdict().status());
            assertTrue(verdicts.isEmpty(), "a listener that is gone is not told");
            bound.set(listeners); // and comes back
            primaryUp.set(true);
            assertEquals(HealthStatus.UP, next().status());
        }
    }

    @Test
    void idleIsUnknownWithItsReasonAndPublishedOnce() {
        ProbeLoop loop = ProbeLoop.idle("tcp", "(none)", "'port' is not set", () -> listeners);
        assertEquals(HealthStatus.UNKNOWN, loop.currentVerdict().status());
        assertEquals("'port' is not set", loop.currentVerdict().reason());
        assertEquals(List.of(loop.currentVerdict()), List.copyOf(verdicts));
        loop.close();
    }
}
