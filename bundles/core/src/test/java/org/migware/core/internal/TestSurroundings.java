package org.migware.core.internal;

import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The coordinator's surroundings in a test: a monotonic clock the test moves, a capture whose
 * frames flow (or not) and whose link is up (or not), and a decision thread that runs what the
 * coordinator hands it but, unless {@link #ticking}, never looks on its own: the test decides
 * when an evaluation happens.
 */
public final class TestSurroundings implements Surroundings {

    /** The monotonic clock; a test moves it. */
    public final AtomicLong monotonic = new AtomicLong();
    /** Frames the capture has received; each look adds one while {@link #trafficFlows}. */
    public final AtomicLong frames = new AtomicLong();
    public volatile boolean trafficFlows = true;
    public volatile Boolean linkUp = true;
    /** Whether keepalived has put the service address on this host. */
    public volatile boolean addressLocal;
    private final boolean ticking;
    private final Path stateFile;

    /** Surroundings whose coordinator evaluates only when the test says so, keeping no state. */
    public TestSurroundings() {
        this(false, null);
    }

    /**
     * @param ticking whether the coordinator's periodic look runs, as in the container
     * @param stateFile where the state is kept across a restart of the core, or null
     */
    public TestSurroundings(boolean ticking, Path stateFile) {
        this.ticking = ticking;
        this.stateFile = stateFile;
    }

    @Override
    public Clock clock() {
        return Clock.systemUTC();
    }

    @Override
    public long monotonicNanos() {
        return monotonic.get();
    }

    @Override
    public long framesReceived() {
        return trafficFlows ? frames.incrementAndGet() : frames.get();
    }

    @Override
    public Boolean captureLinkUp() {
        return linkUp;
    }

    @Override
    public ScheduledExecutorService newDecisionThread() {
        ScheduledThreadPoolExecutor thread = ticking ? new ScheduledThreadPoolExecutor(1) : new ScheduledThreadPoolExecutor(1) {
            @Override
            public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
                // The test evaluates when it wants to: a look of the coordinator's own would race it.
                return schedule(() -> { }, 0, unit);
            }
        };
        thread.setThreadFactory(runnable -> {
            Thread t = new Thread(runnable, "test-failover");
            t.setDaemon(true);
            return t;
        });
        return thread;
    }

    @Override
    public Path stateFile() {
        return stateFile;
    }

    @Override
    public boolean serviceAddressLocal() {
        return addressLocal;
    }
}
