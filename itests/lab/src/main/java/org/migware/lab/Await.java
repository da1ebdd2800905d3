package org.migware.lab;

import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waiting for an observable condition with a deadline, instead of sleeping and hoping. Polls every
 * 20 ms; the failure message names the condition, so a timeout explains itself.
 */
public final class Await {

    private static final long POLL_MILLIS = 20;

    private Await() {
    }

    /**
     * Waits until {@code condition} is true.
     *
     * @param what the condition in words, used in the failure message
     * @param timeout how long to wait at most
     * @param condition polled until true; exceptions it throws propagate
     * @throws LabException when the condition is still false at the deadline
     */
    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        value(what, timeout, () -> condition.getAsBoolean() ? Optional.of(Boolean.TRUE) : Optional.empty());
    }

    /**
     * Waits until {@code probe} returns a value and returns it.
     *
     * @param <T> the value's type
     * @param what the awaited value in words, used in the failure message
     * @param timeout how long to wait at most
     * @param probe polled until it returns a non-empty Optional
     * @return the first value the probe produced
     * @throws LabException when no value appeared before the deadline
     */
    public static <T> T value(String what, Duration timeout, Supplier<Optional<T>> probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<T> value = probe.get();
            if (value.isPresent()) {
                return value.get();
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new LabException("timed out after " + timeout.toMillis() + " ms waiting for " + what);
            }
            sleep(POLL_MILLIS);
        }
    }

    /**
     * Sleeps for a fixed time, where the lab waits for time itself to pass (a workload's
     * duration, a settle time), not for a condition.
     *
     * @throws LabException when interrupted, with the thread's interrupt flag set again
     */
    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted", e);
        }
    }
}
