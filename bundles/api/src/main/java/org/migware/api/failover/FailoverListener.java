package org.migware.api.failover;

import org.osgi.annotation.versioning.ConsumerType;

/** Told of every change of the failover state; register as a service to subscribe. */
@ConsumerType
public interface FailoverListener {

    /** Called after the state changed; return quickly and do not throw. */
    void stateChanged(FailoverEvent event);
}
