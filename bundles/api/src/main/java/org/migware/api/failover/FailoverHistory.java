package org.migware.api.failover;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The last changes of the failover state, kept in memory by the core (bounded: the oldest go
 * first), for a timeline of what happened and why. Not persisted: after a restart it starts with
 * the state the core restored.
 *
 * @since 2.4
 */
@ProviderType
public interface FailoverHistory {

    /** @return the last changes, oldest first, at most {@link #capacity()}; never a recovery handle */
    List<FailoverEvent> recent();

    /** @return how many changes are kept */
    int capacity();
}
