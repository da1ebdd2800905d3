package org.migware.api.failover;

import org.osgi.annotation.versioning.ProviderType;

/** The current failover state, provided by the core. */
@ProviderType
public interface FailoverStatus {

    /** @return the last change, which names the current state */
    FailoverEvent current();

    /**
     * @return the state with the decision's policy and the fence, as {@code migware:status} shows them
     * @since 1.2
     */
    FailoverSnapshot snapshot();

    /**
     * Whether this host serves the service address or is taking it over: RECOVERY, PROXY, or
     * NORMAL once the connections it carried have drained (the direct path). A backup that
     * watches is not serving. State sync follows it: a serving host imports no table.
     *
     * @return whether this host serves
     * @since 2.6
     */
    default boolean serving() {
        FailoverState state = current().to();
        return state == FailoverState.RECOVERY || state == FailoverState.PROXY;
    }
}
