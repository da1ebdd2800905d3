package org.migware.observability.internal.notify;

import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.migware.api.config.ShellCommand;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the site's notify command once per event, like keepalived's {@code notify_*} scripts:
 * through {@code /bin/sh -c}, with the event in its environment, on one thread of its own, one
 * event after the other in the order they were handed in.
 *
 * <p>Nothing here ever waits for the command on the caller's thread: {@link #submit} puts the
 * event in a bounded queue and returns. A full queue drops the new event; the drop is counted
 * ({@link #dropped()}, and {@code MIGWARE_DROPPED} of the next command that runs) and logged. A
 * command still running after the timeout is killed, with its descendants, and the next event's
 * command starts.
 */
public final class NotifyRunner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NotifyRunner.class);
    /** In each command's environment: how many events were dropped so far because the queue was full. */
    public static final String DROPPED_VARIABLE = "MIGWARE_DROPPED";

    private final String command;
    private final long timeoutMillis;
    private final ThreadPoolExecutor executor;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong killed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong finished = new AtomicLong();
    private volatile Process running;

    /**
     * @param command the shell command, not blank
     * @param timeoutMillis how long one run may take before it is killed
     * @param queueCapacity how many events may wait while a command runs
     */
    public NotifyRunner(String command, long timeoutMillis, int queueCapacity) {
        if (command == null || command.isBlank()) {
            throw new IllegalArgumentException("no notify command");
        }
        this.command = command.trim();
        this.timeoutMillis = Math.max(1, timeoutMillis);
        this.executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(Math.max(1, queueCapacity)),
                task -> {
                    Thread thread = new Thread(task, "migware-notify");
                    thread.setDaemon(true);
                    return thread;
                });
    }

    /** @return the command */
    public String command() {
        return command;
    }

    /**
     * Queues one run of the command; never blocks.
     *
     * @param environment the event's variables
     * @param description the event in words, for the log
     * @return whether it was queued; {@code false} when the queue was full (counted and logged) or the runner is closed
     */
    public boolean submit(Map<String, String> environment, String description) {
        Map<String, String> variables = Map.copyOf(environment);
        try {
            executor.execute(() -> run(variables, description));
            return true;
        } catch (RejectedExecutionException e) {
            if (executor.isShutdown()) {
                return false;
            }
            long total = dropped.incrementAndGet();
            LOG.warn("notify: queue full ({} waiting): dropped event {} ({} dropped so far)", executor.getQueue().size(),
                    description, total);
            return false;
        }
    }

    private void run(Map<String, String> variables, String description) {
        Map<String, String> environment = new java.util.HashMap<>(variables);
        environment.put(DROPPED_VARIABLE, Long.toString(dropped.get()));
        ShellCommand.Result run;
        try {
            run = ShellCommand.run(command, environment, timeoutMillis, process -> running = process);
        } finally {
            running = null;
        }
        if (!run.refused().isEmpty()) {
            failed.incrementAndGet();
            LOG.error("notify: command refused for {}: {}", description, String.join("; ", run.refused()));
        } else if (run.startError() != null) {
            failed.incrementAndGet();
            LOG.error("notify: the command could not start for {}: {}", description, run.startError());
        } else if (run.timedOut()) {
            killed.incrementAndGet();
            LOG.warn("notify: the command for {} was still running after {} ms: killed", description, timeoutMillis);
        } else if (run.ended()) {
            if (run.exit() != 0) {
                failed.incrementAndGet();
                LOG.warn("notify: the command for {} exited {} after {} ms{}", description, run.exit(), run.millis(), run.lastLine());
            } else {
                LOG.debug("notify: the command for {} ran in {} ms", description, run.millis());
            }
            finished.incrementAndGet();
        }
    }

    /** @return events dropped because the queue was full */
    public long dropped() {
        return dropped.get();
    }

    /** @return runs killed at the timeout */
    public long killed() {
        return killed.get();
    }

    /** @return runs that ended within the timeout, whatever their exit */
    public long finished() {
        return finished.get();
    }

    /** @return runs that could not start or exited other than 0 */
    public long failed() {
        return failed.get();
    }

    /** Drops the events still queued and kills a command that runs; returns at once. */
    @Override
    public void close() {
        executor.shutdownNow();
        Process process = running;
        if (process != null) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly(); // not reaped here: close() returns at once
        }
    }
}
