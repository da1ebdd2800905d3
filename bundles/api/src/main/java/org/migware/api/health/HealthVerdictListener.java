package org.migware.api.health;

import org.osgi.annotation.versioning.ConsumerType;

/** Told of every new verdict of every monitor; register as a service to subscribe. */
@ConsumerType
public interface HealthVerdictListener {

    /** Called on the monitor's thread; return quickly and do not throw. */
    void verdict(HealthVerdict verdict);
}
