package org.migware.core.internal;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.migware.api.failover.FailoverEvent;
import org.migware.api.failover.FailoverListener;
import org.migware.api.failover.FailoverState;
import org.migware.api.failover.FailoverStatus;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that owns the instance's failover state. This version knows NORMAL only: it
 * starts there and stays there; failure detection and migration add the transitions.
 *
 * <p>Listeners are a whiteboard: every registered {@link FailoverListener} is told of each
 * change, and a listener that arrives later is told the current state at once, so a bundle
 * that is updated while the container runs never misses where things stand.
 */
@Component(service = FailoverStatus.class)
public final class FailoverCoordinator implements FailoverStatus {

    private static final Logger LOG = LoggerFactory.getLogger(FailoverCoordinator.class);

    private final List<FailoverListener> listeners = new CopyOnWriteArrayList<>();
    private volatile FailoverEvent current;

    @Activate
    public FailoverCoordinator() {
        this(Clock.systemUTC());
    }

    FailoverCoordinator(Clock clock) {
        current = new FailoverEvent(null, FailoverState.NORMAL, clock.instant(), "started: passive tracking");
        LOG.info("core: state {} ({})", current.to(), current.reason());
    }

    @Override
    public FailoverEvent current() {
        return current;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addFailoverListener(FailoverListener listener) {
        listeners.add(listener);
        notifyQuietly(listener, current);
    }

    void removeFailoverListener(FailoverListener listener) {
        listeners.remove(listener);
    }

    private static void notifyQuietly(FailoverListener listener, FailoverEvent event) {
        try {
            listener.stateChanged(event);
        } catch (RuntimeException e) {
            LOG.error("core: failover listener {} failed on {}", listener, event, e);
        }
    }
}
