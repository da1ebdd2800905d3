package org.migware.testing;

import java.lang.reflect.Field;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import org.migware.api.health.HealthMonitor;
import org.migware.api.health.HealthStatus;
import org.migware.api.health.HealthVerdict;
import org.migware.api.health.HealthVerdictListener;

/** What the monitors' tests do with verdicts: hand a monitor its listeners, and wait for a status. */
public final class Verdicts {

    /** Long enough for a probe loop on a busy host; a test that passes never waits it out. */
    private static final long WAIT_SECONDS = 15;

    private Verdicts() {
    }

    /** Sets a monitor's dynamic {@code listeners} reference field, as DS would. */
    public static void inject(HealthMonitor monitor, List<HealthVerdictListener> listeners) throws ReflectiveOperationException {
        Field field = monitor.getClass().getDeclaredField("listeners");
        field.setAccessible(true);
        field.set(monitor, listeners);
    }

    /** @return the first verdict with {@code status}, skipping others; fails after 15 s without one */
    public static HealthVerdict awaitStatus(BlockingQueue<HealthVerdict> verdicts, HealthStatus status) throws InterruptedException {
        while (true) {
            HealthVerdict verdict = verdicts.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            if (verdict == null) {
                throw new AssertionError("no " + status + " verdict within " + WAIT_SECONDS + " s");
            }
            if (verdict.status() == status) {
                return verdict;
            }
        }
    }
}
