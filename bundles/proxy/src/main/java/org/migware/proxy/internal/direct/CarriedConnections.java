package org.migware.proxy.internal.direct;

import java.util.List;

import org.migware.api.failover.MigrationProgress;

/** What the direct path needs of the migration engine. */
public interface CarriedConnections {

    /** @return whether a failover has started: the engine carries connections */
    boolean active();

    /** @return whether every connection of the recovery has been handled */
    boolean recoveryFinished();

    /** @return the tuples of every connection still carried (queued, handshaking, established; closing ones until removed) */
    List<CarriedTuple> carried();

    /**
     * @return the tuples of every connection a failover would take over now (the tracker's live
     *     ones): while the core claims (CLAIMING), the set holds them before keepalived is released,
     *     so that the kernel, once the address is its own, never answers their segments with a reset
     */
    List<CarriedTuple> toTakeOver();

    /**
     * @param local true once this host owns the service address: new connections and segments of
     *     no carried connection are the kernel's, and the address's ARP is the kernel's too
     */
    void serviceAddressLocal(boolean local);

    /** @return the migration's counters */
    MigrationProgress progress();
}
