package org.migware.monitor.support;

import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

import org.migware.api.health.HealthStatus;
import org.migware.api.health.HealthVerdict;
import org.migware.api.health.HealthVerdictListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a monitor's latest verdict and hands every new one to the log and to every listener.
 *
 * <p>The listeners are asked for at each verdict, so a DS component passes a supplier of its
 * dynamic reference field ({@code () -> listeners}); {@code null} counts as none. A listener that
 * throws is logged and the others are still told: nothing a listener does reaches the caller.
 * Thread-safe.
 */
public final class VerdictPublisher {

    private static final Logger LOG = LoggerFactory.getLogger(VerdictPublisher.class);

    private final Supplier<? extends Collection<? extends HealthVerdictListener>> listeners;
    private volatile HealthVerdict latest;

    /**
     * @param first the verdict to hold until the first {@link #publish(HealthVerdict)}; not published
     * @param listeners who to tell of every new verdict
     */
    public VerdictPublisher(HealthVerdict first, Supplier<? extends Collection<? extends HealthVerdictListener>> listeners) {
        this.latest = Objects.requireNonNull(first, "first");
        this.listeners = Objects.requireNonNull(listeners, "listeners");
    }

    /** @return the latest verdict */
    public HealthVerdict latest() {
        return latest;
    }

    /**
     * Makes {@code verdict} the latest, logs it with its time, target and reason ({@code DOWN} as a
     * warning, the others as information), and tells every listener. Never throws.
     *
     * @param verdict the new verdict
     */
    public void publish(HealthVerdict verdict) {
        latest = verdict;
        if (verdict.status() != HealthStatus.DOWN) {
            LOG.info("monitor {}: {} {} at {} ({})", verdict.monitor(), verdict.target(), verdict.status(), verdict.time(), verdict.reason());
        } else {
            LOG.warn("monitor {}: {} {} at {} ({})", verdict.monitor(), verdict.target(), verdict.status(), verdict.time(), verdict.reason());
        }
        for (HealthVerdictListener listener : currentListeners()) {
            try {
                listener.verdict(verdict);
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable e) { // a listener's bug must not stop the monitor
                LOG.error("monitor {}: listener {} threw on verdict {}: {}", verdict.monitor(), listener, verdict.status(), e.toString());
            }
        }
    }

    private Collection<? extends HealthVerdictListener> currentListeners() {
        try {
            Collection<? extends HealthVerdictListener> current = listeners.get();
            return current == null ? List.of() : List.copyOf(current);
        } catch (RuntimeException e) {
            LOG.error("monitor: could not get the verdict listeners: {}", e.toString());
            return List.of();
        }
    }
}
