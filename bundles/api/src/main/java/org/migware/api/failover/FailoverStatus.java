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
}
