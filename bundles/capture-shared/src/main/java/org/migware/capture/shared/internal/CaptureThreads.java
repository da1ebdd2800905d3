package org.migware.capture.shared.internal;

import java.util.concurrent.TimeUnit;

/** What stopping a live backend's capture thread needs, the same for every backend. */
public final class CaptureThreads {

    private CaptureThreads() {
    }

    /**
     * Waits for a capture thread to end. An interrupt of the caller does not cut the wait short
     * (stopping is finished first) and is restored before returning.
     *
     * @param thread the capture thread
     * @param timeoutSeconds how long to wait at the most
     * @return whether it ended in time
     */
    public static boolean join(Thread thread, long timeoutSeconds) {
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
