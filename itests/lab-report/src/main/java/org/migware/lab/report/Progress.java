package org.migware.lab.report;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The job's progress display: one line per step, prefixed with the time since the start and the
 * run being done; between steps, on a terminal one status line updated every second (elapsed,
 * the current run, an estimate of what is left), elsewhere (a log, CI) a heartbeat line every
 * 15 s when nothing else was printed.
 */
final class Progress implements AutoCloseable {

    private final PrintStream out;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private final long plannedMillis;
    private final Thread ticker;
    private long doneMillis;
    private String run = "starting";
    private long runStartedNanos = System.nanoTime();
    private long runEstimateMillis;
    private long lastPrintNanos = System.nanoTime();
    private boolean statusShown;
    private volatile boolean closed;

    /**
     * @param out where to print
     * @param terminal whether it is a terminal (a status line may be rewritten in place)
     * @param plannedMillis the estimated length of the whole job
     */
    Progress(PrintStream out, boolean terminal, long plannedMillis) {
        this.out = out;
        this.terminal = terminal;
        this.plannedMillis = plannedMillis;
        this.ticker = new Thread(this::tick, "migware-lab-progress");
        this.ticker.setDaemon(true);
        this.ticker.start();
    }

    /**
     * Starts the next run.
     *
     * @param name e.g. "MigWare N=20 (3/14)"
     * @param estimateMillis how long it should take
     */
    synchronized void startRun(String name, long estimateMillis) {
        run = name;
        runStartedNanos = System.nanoTime();
        runEstimateMillis = estimateMillis;
        print(name + ": starting");
    }

    /** Marks the current run finished, for the estimate of what is left. */
    synchronized void endRun() {
        doneMillis += runEstimateMillis;
    }

    /**
     * @param message a step of the current run
     */
    synchronized void step(String message) {
        print(run + ": " + message);
    }

    /**
     * @param message a line of its own, e.g. a result
     */
    synchronized void line(String message) {
        print(message);
    }

    private void print(String message) {
        clearStatus();
        out.println("[" + clock(elapsedMillis()) + "] " + message);
        out.flush();
        lastPrintNanos = System.nanoTime();
    }

    private void clearStatus() {
        if (statusShown) {
            out.print("\r\033[K");
            statusShown = false;
        }
    }

    private long elapsedMillis() {
        return (System.nanoTime() - start) / 1_000_000;
    }

    private void tick() {
        while (!closed) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            synchronized (this) {
                if (closed) {
                    return;
                }
                long inRun = (System.nanoTime() - runStartedNanos) / 1_000_000;
                long left = Math.max(0, plannedMillis - doneMillis - Math.min(inRun, runEstimateMillis));
                String status = String.format(Locale.ROOT, "[%s] %s: %d s of ~%d s; about %s left", clock(elapsedMillis()), run,
                        inRun / 1000, runEstimateMillis / 1000, clock(left));
                if (terminal) {
                    out.print("\r\033[K" + status);
                    out.flush();
                    statusShown = true;
                } else if (System.nanoTime() - lastPrintNanos > 15_000_000_000L) {
                    out.println(status);
                    out.flush();
                    lastPrintNanos = System.nanoTime();
                }
            }
        }
    }

    static String clock(long millis) {
        long s = millis / 1000;
        return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    @Override
    public synchronized void close() {
        closed = true;
        clearStatus();
        ticker.interrupt();
    }
}
