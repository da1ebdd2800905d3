package org.migware.api.health;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Told of every probe every monitor makes, with how long it took: the round trips behind
 * {@code /metrics}' probe histogram. A {@link HealthVerdictListener} service that also implements
 * this interface hears the probes of the monitors that use {@code org.migware.monitor.support}.
 *
 * @since 1.1
 */
@ConsumerType
public interface ProbeTimingListener {

    /**
     * Called on the monitor's thread after each probe; return quickly and do not throw.
     *
     * @param monitor the monitor's name ({@code icmp}, {@code tcp:7000}, ...)
     * @param answered whether the primary answered as expected
     * @param roundTripNanos from the probe's start to its result
     */
    void probed(String monitor, boolean answered, long roundTripNanos);
}
