package org.migware.api.failover;

import org.osgi.annotation.versioning.ProviderType;

/**
 * How the migration bundle reports back to the core, which owns the state: RECOVERY ends when
 * the bundle that re-creates the connections says so.
 *
 * @since 1.1
 * @deprecated since 1.2: report through the {@link RecoveryHandle} of the {@link FailoverEvent}
 *     in RECOVERY. Looking this service up from a {@link FailoverListener} makes a runtime cycle
 *     between the core and the migration bundle; it goes once the migration bundle uses the handle.
 */
@Deprecated
@ProviderType
public interface FailoverControl {

    /**
     * Every connection that could be re-created has been (or has timed out): RECOVERY moves on
     * to PROXY. Ignored in any other state.
     *
     * @param summary what was recovered, in words, for the log and {@code migware:status}
     */
    void recoveryFinished(String summary);
}
