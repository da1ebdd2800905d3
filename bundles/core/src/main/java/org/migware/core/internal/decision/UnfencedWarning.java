package org.migware.core.internal.decision;

import java.util.function.Consumer;

import org.migware.api.config.ConfigurationPids;
import org.migware.api.failover.FailoverStatus;
import org.migware.api.failover.FenceStatus;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warns once at start when no fence command is configured: a takeover then trusts the primary
 * to stay down, and a primary that comes back resets every carried connection (see
 * {@link Fence}). {@code migware:status} says {@value FenceStatus#UNFENCED} for as long as that
 * holds. Its own component, so that the coordinator's start is not touched.
 */
@Component(service = {})
public final class UnfencedWarning {

    private static final Logger LOG = LoggerFactory.getLogger(UnfencedWarning.class);

    /** @param failover the coordinator's status: whether a fence command is configured */
    @Activate
    public UnfencedWarning(@Reference FailoverStatus failover) {
        this(failover, LOG::warn);
    }

    UnfencedWarning(FailoverStatus failover, Consumer<String> warn) {
        FenceStatus fence = failover.snapshot().fence();
        if (!fence.configured()) {
            warn.accept(message());
        }
    }

    /** @return the warning's text */
    static String message() {
        return "core: " + FenceStatus.UNFENCED + ": no fenceCommand in etc/" + ConfigurationPids.CORE_FAILOVER
                + ".cfg: a takeover trusts the primary to stay down; a primary that comes back would reset every carried connection";
    }
}
