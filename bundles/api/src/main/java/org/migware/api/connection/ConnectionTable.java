package org.migware.api.connection;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The connections to the configured service address(es) that MigWare is tracking.
 *
 * <p>Every read returns immutable snapshots; the table goes on changing underneath. The table
 * survives the swap of any other bundle and, through its persisted state, an update of the
 * tracker itself.
 */
@ProviderType
public interface ConnectionTable {

    /** @return the number of connections in the table */
    int size();

    /** @return a snapshot of every connection, in no particular order */
    List<ConnectionSnapshot> connections();

    /** @return a snapshot of one connection */
    Optional<ConnectionSnapshot> find(ConnectionKey key);

    /** @return the table's counters */
    TableStatistics statistics();
}
