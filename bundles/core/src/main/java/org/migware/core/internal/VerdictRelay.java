package org.migware.core.internal;

import java.util.function.Consumer;

import org.migware.api.health.HealthVerdict;
import org.migware.api.health.HealthVerdictListener;
import org.osgi.service.component.annotations.Component;

/**
 * Hears every monitor's new verdict on the coordinator's behalf and hands it on. Were the
 * coordinator itself the {@link HealthVerdictListener}, a monitor's activation would need the
 * coordinator, whose activation needs every monitor: SCR reported that circle ("Circular
 * reference detected trying to get service [org.migware.api.health.HealthMonitor]") at every
 * start. This component needs nothing, so the monitors and the coordinator both need it, and
 * the circle is gone.
 */
@Component(service = {HealthVerdictListener.class, VerdictRelay.class})
public final class VerdictRelay implements HealthVerdictListener {

    private volatile Consumer<HealthVerdict> receiver = verdict -> { };

    /** @param newReceiver told each verdict from now on, on the monitor's thread */
    void deliverTo(Consumer<HealthVerdict> newReceiver) {
        receiver = newReceiver;
    }

    /** Verdicts go nowhere from now on (until the next {@link #deliverTo}), if {@code oldReceiver} still receives them. */
    void stopDelivering(Consumer<HealthVerdict> oldReceiver) {
        if (receiver == oldReceiver) {
            receiver = verdict -> { };
        }
    }

    @Override
    public void verdict(HealthVerdict verdict) {
        receiver.accept(verdict);
    }
}
