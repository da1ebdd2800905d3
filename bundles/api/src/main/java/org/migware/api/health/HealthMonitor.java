package org.migware.api.health;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A check of the primary that a site can write and deploy as its own bundle.
 *
 * <p>Register an implementation as an OSGi service (a DS component is simplest). The core
 * collects every registered monitor (whiteboard) and asks each for its
 * {@link #currentVerdict()}; a monitor that reaches a new verdict also tells every registered
 * {@link HealthVerdictListener} at once, so the core need not wait for its next look.
 * Removing the bundle removes the monitor; nothing needs restarting.
 */
@ConsumerType
public interface HealthMonitor {

    /** @return a short, unique name such as {@code icmp} or {@code tcp:7000} */
    String name();

    /** @return the latest verdict; {@link HealthStatus#UNKNOWN} until the first check completes */
    HealthVerdict currentVerdict();
}
