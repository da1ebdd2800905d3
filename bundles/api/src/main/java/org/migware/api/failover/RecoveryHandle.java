package org.migware.api.failover;

import org.osgi.annotation.versioning.ProviderType;

/**
 * How the migration bundle tells the core that RECOVERY is over. The core hands one to every
 * {@link FailoverListener} with each {@link FailoverEvent} in RECOVERY or PROXY
 * ({@link FailoverEvent#recovery()}), also when it tells a listener that arrives later where
 * things stand, so the migration bundle needs no reference to the core.
 *
 * @since 1.2
 */
@ProviderType
public interface RecoveryHandle {

    /**
     * Every connection that could be re-created has been (or has timed out): RECOVERY moves on
     * to PROXY. Ignored in any other state, and after the core that handed out this handle has
     * stopped (a restarted core tells its listeners again, with a new handle).
     *
     * @param progress the migration's counters at the end of recovery
     */
    void finished(MigrationProgress progress);

    /**
     * Every connection MigWare carried has ended, and this host serves the service address itself
     * (the direct path): PROXY moves on to NORMAL in the new role, where this host serves and does
     * not fail over. Ignored in any other state than PROXY.
     *
     * @param progress the migration's counters when the last carried connection ended
     * @since 2.5
     */
    default void drained(MigrationProgress progress) {
    }
}
