package org.migware.monitor.support;

import java.time.Clock;
import java.util.Collection;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import org.migware.api.health.HealthMonitor;
import org.migware.api.health.HealthStatus;
import org.migware.api.health.HealthVerdict;
import org.migware.api.health.HealthVerdictListener;
import org.migware.api.health.ProbeTimingListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link Probe} at a fixed interval and keeps the resulting verdict: the engine of a
 * {@link HealthMonitor}.
 *
 * <p>A started loop owns two daemon threads, both named after the monitor: a scheduler that starts
 * a probe every {@code intervalMillis} (measured start to start; a probe that takes longer only
 * delays the next one, probes never overlap or catch up in a burst), and a worker that runs the
 * probe. The scheduler waits for each result at most {@code timeoutMillis} plus a small allowance
 * for the hand-over between the threads (a tenth of the timeout, 2 to 100 ms); a probe that takes
 * longer is interrupted and counted as a miss. While it still has not returned, the intervals it
 * blocks are skipped (a late probe is most often this host's own stall, not the target's
 * failure); once it has been running for five seconds (or ten waits, if longer) it counts as hung and
 * every further interval is another miss. Results go through a {@link VerdictStateMachine}; each change of
 * status is logged with its time, target and reason and handed to every listener by a
 * {@link VerdictPublisher}, on the scheduler thread. Nothing a probe or a listener throws stops
 * the loop.
 *
 * <p>Typical use in a DS component:
 *
 * <pre>{@code
 * @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
 * private volatile List<HealthVerdictListener> listeners;
 * private final Config config;
 * private volatile ProbeLoop loop;
 *
 * @Activate
 * public MyMonitor(Config config) { this.config = config; }
 *
 * // DS sets 'listeners' after the constructor and before this method: they hear the first verdicts
 * @Activate void activate() {
 *     loop = ProbeLoop.start("my", config.target(), new ProbeSettings(...), new MyProbe(config), () -> listeners);
 * }
 * @Deactivate void deactivate() { loop.close(); }
 * public HealthVerdict currentVerdict() { return loop.currentVerdict(); }
 * }</pre>
 *
 * <p>A monitor without a usable configuration uses {@link #idle(String, String, String, Supplier)}:
 * no threads, a constant {@code UNKNOWN} verdict whose reason names the key to fix.
 */
public final class ProbeLoop implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ProbeLoop.class);
    private static final long MIN_ALLOWANCE_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    private static final long MAX_ALLOWANCE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final String monitor;
    private final ProbeSettings settings;
    private final Probe probe;
    private final VerdictStateMachine machine;
    private final VerdictPublisher publisher;
    private final Supplier<? extends Collection<? extends HealthVerdictListener>> listeners;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService worker;
    private final long timeoutNanos;
    private final long waitNanos;
    private volatile boolean closed;
    /**
     * The probe handed to the worker and not yet started: the worker claims it before it probes,
     * the scheduler withdraws it when the worker has not started it within the wait. Exactly one of
     * the two wins, so a probe withdrawn before it started can never leave {@link #probeRunning}
     * set — that had made a monitor blind for five seconds when its worker thread did not get a
     * CPU in time (three JVMs starting on two cores).
     */
    private final AtomicReference<Object> handedOver = new AtomicReference<>();
    /** Set by the worker while it runs a probe. */
    private volatile boolean probeRunning;
    private volatile long runningSinceNanos;
    /** When the worker first failed to start a probe in time, with none started since; -1 otherwise. */
    private long notStartedSinceNanos = -1;
    /** How long a probe may overrun before the intervals it blocks count as misses: it is hung, not just late. */
    private final long hungNanos;

    private ProbeLoop(String monitor, String target, ProbeSettings settings, Probe probe,
                      Supplier<? extends Collection<? extends HealthVerdictListener>> listeners, Clock clock,
                      String startReason, boolean probing, ExecutorService workerOverride) {
        this.monitor = Objects.requireNonNull(monitor, "monitor");
        this.settings = settings;
        this.probe = probe;
        this.machine = new VerdictStateMachine(monitor, target, settings, clock, startReason);
        this.publisher = new VerdictPublisher(machine.current(), listeners);
        this.listeners = listeners;
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(settings.timeoutMillis());
        this.waitNanos = timeoutNanos + Math.min(MAX_ALLOWANCE_NANOS, Math.max(MIN_ALLOWANCE_NANOS, timeoutNanos / 10));
        this.hungNanos = Math.max(TimeUnit.SECONDS.toNanos(5), 10 * waitNanos);
        if (probing) {
            this.scheduler = Executors.newSingleThreadScheduledExecutor(daemon("migware-monitor-" + monitor));
            this.worker = workerOverride != null ? workerOverride
                    : Executors.newSingleThreadExecutor(daemon("migware-monitor-" + monitor + "-probe"));
        } else {
            this.scheduler = null;
            this.worker = null;
        }
    }

    /**
     * Starts probing at once. The verdict is {@code UNKNOWN} until the first probe completes; this
     * first verdict is logged and published from the loop's thread before the first probe.
     *
     * @param monitor the monitor's name, for verdicts, logs and thread names
     * @param target what is probed, for verdicts and logs
     * @param settings interval, timeout, misses, recoveries
     * @param probe the check
     * @param listeners asked for the listeners at each new verdict; may return {@code null}
     * @return the running loop; {@link #close()} it when the monitor stops
     */
    public static ProbeLoop start(String monitor, String target, ProbeSettings settings, Probe probe,
                                  Supplier<? extends Collection<? extends HealthVerdictListener>> listeners) {
        return start(monitor, target, settings, probe, listeners, Clock.systemUTC());
    }

    /**
     * As {@link #start(String, String, ProbeSettings, Probe, Supplier)}, with the clock that stamps
     * the verdicts.
     *
     * @param monitor the monitor's name
     * @param target what is probed
     * @param settings interval, timeout, misses, recoveries
     * @param probe the check
     * @param listeners asked for the listeners at each new verdict
     * @param clock the time of each verdict
     * @return the running loop
     */
    public static ProbeLoop start(String monitor, String target, ProbeSettings settings, Probe probe,
                                  Supplier<? extends Collection<? extends HealthVerdictListener>> listeners, Clock clock) {
        return start(monitor, target, settings, probe, listeners, clock, null);
    }

    /** As above, with the executor that runs the probes (tests use it to delay a probe's start). */
    static ProbeLoop start(String monitor, String target, ProbeSettings settings, Probe probe,
                           Supplier<? extends Collection<? extends HealthVerdictListener>> listeners, Clock clock,
                           ExecutorService worker) {
        Objects.requireNonNull(probe, "probe");
        ProbeLoop loop = new ProbeLoop(monitor, target, settings, probe, listeners, clock,
                "starting: no probe has completed yet; probing " + settings.describe(), true, worker);
        loop.scheduler.execute(loop::first);
        return loop;
    }

    /**
     * A loop that does not probe: its verdict is {@code UNKNOWN} with {@code reason} for good. Use it
     * when the configuration is missing or unusable; the reason should name the key to fix. The
     * verdict is logged (one line) and published at once.
     *
     * @param monitor the monitor's name
     * @param target what would be probed, or a placeholder such as {@code "(none)"}
     * @param reason why nothing is probed, naming the configuration key
     * @param listeners who to tell
     * @return the idle loop
     */
    public static ProbeLoop idle(String monitor, String target, String reason,
                                 Supplier<? extends Collection<? extends HealthVerdictListener>> listeners) {
        ProbeLoop loop = new ProbeLoop(monitor, target, ProbeSettings.THESIS, null, listeners, Clock.systemUTC(), reason, false, null);
        loop.publisher.publish(loop.machine.current());
        return loop;
    }

    /** @return the monitor's name */
    public String monitor() {
        return monitor;
    }

    /** @return the settings the loop probes with */
    public ProbeSettings settings() {
        return settings;
    }

    /** @return the latest verdict; {@link HealthStatus#UNKNOWN} until the first probe completes */
    public HealthVerdict currentVerdict() {
        return publisher.latest();
    }

    /**
     * Stops probing and waits (at most the timeout and one more second) until a running probe has
     * returned, so that the caller may then free what the probe uses. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (scheduler == null) {
            return;
        }
        scheduler.shutdownNow();
        worker.shutdownNow();
        try {
            long waitMillis = TimeUnit.NANOSECONDS.toMillis(waitNanos) + 1000;
            if (!scheduler.awaitTermination(waitMillis, TimeUnit.MILLISECONDS)
                    || !worker.awaitTermination(waitMillis, TimeUnit.MILLISECONDS)) {
                LOG.warn("monitor {}: the probe did not stop within {} ms", monitor, waitMillis);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void first() {
        publisher.publish(machine.current());
        tick();
    }

    private void tick() {
        long started = System.nanoTime();
        try {
            ProbeResult result = probeOnce();
            if (result != null && !closed) {
                if (result.outcome() != ProbeResult.Outcome.UNKNOWN) {
                    timed(result.isSuccess(), System.nanoTime() - started);
                }
                machine.record(result).ifPresent(publisher::publish);
                if (result.isMiss() && LOG.isDebugEnabled()) {
                    LOG.debug("monitor {}: miss {} of {}: {}", monitor, machine.consecutiveMisses(), settings.misses(), result.reason());
                }
            }
        } catch (RuntimeException e) { // only a bug of ours can get here; keep probing
            LOG.error("monitor {}: probe loop failed: {}", monitor, e.toString());
        } finally {
            scheduleNext(started);
        }
    }

    /** Tells the listeners that time probes ({@link ProbeTimingListener}) how long this one took. */
    private void timed(boolean answered, long roundTripNanos) {
        Collection<? extends HealthVerdictListener> current = listeners.get();
        if (current == null) {
            return;
        }
        for (HealthVerdictListener listener : current) {
            if (listener instanceof ProbeTimingListener timings) {
                try {
                    timings.probed(monitor, answered, roundTripNanos);
                } catch (RuntimeException e) {
                    LOG.warn("monitor {}: a probe timing listener failed: {}", monitor, e.toString());
                }
            }
        }
    }

    private void scheduleNext(long started) {
        if (closed) {
            return;
        }
        long delay = TimeUnit.MILLISECONDS.toNanos(settings.intervalMillis()) - (System.nanoTime() - started);
        try {
            scheduler.schedule(this::tick, Math.max(0, delay), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    /** @return the result of one probe, or {@code null} when the loop is closing */
    private ProbeResult probeOnce() {
        // Not Future.isDone(): a cancelled future is done while its thread may still be in the probe.
        if (probeRunning) {
            long runningNanos = System.nanoTime() - runningSinceNanos;
            if (runningNanos < hungNanos) {
                // Most often this host's own stall (GC, a busy CPU) holds the probe past its wait:
                // the intervals it overlaps probed nothing, so they are neither misses nor
                // successes. Counting each as a miss turned a 60 ms stall into a false DOWN.
                return null;
            }
            return ProbeResult.miss("the previous probe has not returned after "
                    + TimeUnit.NANOSECONDS.toMillis(runningNanos) + " ms (it ignores its timeout)");
        }
        Future<ProbeResult> running;
        Object ticket = new Object();
        handedOver.set(ticket);
        try {
            running = worker.submit(() -> {
                if (!handedOver.compareAndSet(ticket, null)) {
                    return null; // withdrawn by the scheduler before this thread got to it
                }
                runningSinceNanos = System.nanoTime();
                probeRunning = true;
                try {
                    return probe.probe(settings.timeout());
                } finally {
                    probeRunning = false;
                }
            });
        } catch (RejectedExecutionException e) {
            handedOver.set(null);
            return null;
        }
        try {
            ProbeResult result = running.get(waitNanos, TimeUnit.NANOSECONDS);
            notStartedSinceNanos = -1;
            return result != null ? result : ProbeResult.miss("the probe returned no result");
        } catch (TimeoutException e) {
            if (handedOver.compareAndSet(ticket, null)) {
                // The worker never started it: this host did not give the probe thread a CPU, which
                // says nothing about the target. Like a late probe, no verdict either way — until
                // it has gone on for as long as a hung probe.
                running.cancel(false);
                long now = System.nanoTime();
                if (notStartedSinceNanos < 0) {
                    notStartedSinceNanos = now;
                }
                long waitedNanos = now - notStartedSinceNanos + waitNanos;
                return waitedNanos < hungNanos ? null : ProbeResult.miss("the probe thread could not start a probe for "
                        + TimeUnit.NANOSECONDS.toMillis(waitedNanos) + " ms");
            }
            notStartedSinceNanos = -1;
            running.cancel(true);
            return ProbeResult.miss("no result within " + settings.timeoutMillis() + " ms");
        } catch (ExecutionException e) {
            return ProbeResult.miss(describe(e.getCause()));
        } catch (CancellationException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static String describe(Throwable failure) {
        if (failure == null) {
            return "the probe failed";
        }
        String message = failure.getMessage();
        return message == null || message.isBlank() ? failure.getClass().getSimpleName() : message;
    }

    private static ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
