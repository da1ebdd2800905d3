package org.migware.capture.shared.internal;

import java.util.concurrent.TimeUnit;

import org.migware.api.packet.CaptureStatistics;
import org.migware.api.packet.PacketListener;
import org.migware.api.packet.PacketSource;
import org.migware.api.packet.PacketSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every live backend's source does around its own capture loop: one named daemon thread
 * that runs the loop and hands every frame to a {@link FrameDispatcher}, the start, the statistics,
 * and the stop. The stop sets {@link #stopping()}, lets the backend {@link #wake()} a loop blocked
 * in the backend, waits for the thread, and only then has the backend read its counters one last
 * time and close its handles, so that no handle is closed under a running loop.
 */
public abstract class LiveCaptureSource implements PacketSource, AutoCloseable {

    /** How long {@link #close()} waits for the capture thread. */
    public static final long STOP_TIMEOUT_SECONDS = 5;

    private final Logger log = LoggerFactory.getLogger(getClass());
    private final String name;
    private final CaptureSettings settings;
    /** Hands the frames out; the backend's loop calls {@link FrameDispatcher#dispatch}. */
    protected final FrameDispatcher dispatcher;
    private final Thread captureThread;
    private volatile boolean running;
    private volatile boolean stopping;
    private boolean started; // guarded by this
    private boolean closed; // guarded by this

    /**
     * @param name the source's name, e.g. {@code pcap4j:eth0}
     * @param settings the validated settings it runs with
     */
    protected LiveCaptureSource(String name, CaptureSettings settings) {
        this.name = name;
        this.settings = settings;
        this.dispatcher = new FrameDispatcher(name);
        this.captureThread = new Thread(this::runCapture, "migware-capture-" + settings.interfaceName());
        // A stuck backend must not keep the JVM alive after the framework stopped.
        this.captureThread.setDaemon(true);
        this.dispatcher.captureThread(captureThread);
    }

    /** The backend's capture loop, on the capture thread: returns once {@link #stopping()}, or on a failure it has logged. */
    protected abstract void captureLoop();

    /** Wakes a loop blocked in the backend; called by {@link #close()} before it waits. Nothing by default. */
    protected void wake() {
    }

    /** Reads the backend's counters into totals that stay readable after the close. */
    protected abstract void refreshCounters();

    /** @return frames the kernel dropped since the open */
    protected abstract long kernelDrops();

    /** @return frames the interface dropped since the open */
    protected abstract long interfaceDrops();

    /** Closes the backend's handles; the capture thread has ended. */
    protected abstract void releaseHandles();

    /** @return how this backend captures, for the log line at the start */
    protected abstract String describe();

    /** Starts the capture thread; a second call, or one after the close, does nothing. */
    public final synchronized void start() {
        if (started || closed) {
            return;
        }
        started = true;
        running = true; // now, not when the thread gets going, so that statistics() agree with start()
        captureThread.start();
        log.info("{}: capturing{}, filter: {}", name, describe(), settings.filter());
    }

    /** @return whether the source is being closed: the capture loop returns */
    protected final boolean stopping() {
        return stopping;
    }

    @Override
    public final String name() {
        return name;
    }

    /** @return the settings this source runs with */
    public final CaptureSettings settings() {
        return settings;
    }

    @Override
    public final PacketSubscription subscribe(PacketListener listener) {
        return dispatcher.subscribe(listener);
    }

    @Override
    public final CaptureStatistics statistics() {
        refreshCounters();
        return new CaptureStatistics(dispatcher.received(), kernelDrops(), interfaceDrops(), dispatcher.drops(), running);
    }

    /** @return how many subscriptions are open; for tests */
    public final int subscriberCount() {
        return dispatcher.subscriberCount();
    }

    /**
     * Stops the capture: wakes the loop, waits for the capture thread, closes the backend's handles
     * and ends every subscription. Closing twice is harmless.
     */
    @Override
    public final void close() {
        boolean wasStarted;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            wasStarted = started;
        }
        stopping = true;
        if (wasStarted) {
            wake();
            if (!join(captureThread, STOP_TIMEOUT_SECONDS)) {
                // closing the handle under a loop that still runs could crash the JVM: leave it to the process
                log.error("{}: the capture thread did not stop within {} s; its handle stays open", name, STOP_TIMEOUT_SECONDS);
                dispatcher.closeAll();
                return;
            }
        }
        refreshCounters(); // keep the final numbers readable after close
        releaseHandles();
        running = false;
        dispatcher.closeAll();
        log.info("{}: stopped; {}", name, statistics());
    }

    private void runCapture() {
        try {
            if (!stopping) {
                captureLoop();
            }
        } catch (RuntimeException | Error e) {
            log.error("{}: capture stopped by an unexpected failure", name, e);
        } finally {
            running = false;
        }
    }

    /** Waits for the thread; an interrupt does not cut the wait short and is restored afterwards. */
    private static boolean join(Thread thread, long timeoutSeconds) {
        boolean interrupted = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        try {
            while (thread.isAlive()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedJoin(thread, left);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            return true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
