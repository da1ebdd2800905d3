package org.migware.api.failover;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * What the migration bundle is doing, for {@code migware:status} and {@code migware:connections}:
 * records, which the core formats.
 *
 * @since 1.1
 */
@ProviderType
public interface MigrationStatus {

    /**
     * @return the migration's counters now
     * @since 1.2
     */
    MigrationProgress progressSnapshot();

    /**
     * @return every connection MigWare carries
     * @since 1.2
     */
    List<MappingSnapshot> mappingSnapshots();

    /**
     * @return every connection kept for a failover, and what a failover now would do with it;
     *     empty when nothing is kept for replay
     * @since 2.1
     */
    default List<KeptConnection> keptConnections() {
        return List.of();
    }

    /**
     * Looks at the TUN and the replica's listening sockets now (a few kilobytes of the kernel's
     * tables); not for the packet path.
     *
     * @return whether the replica's side of a failover is ready; empty when migration is not
     *     configured or cannot work ({@link MigrationProgress#phase()} says why), or when the
     *     provider does not tell
     * @since 2.2
     */
    default Optional<ReplicaReadiness> replicaReadiness() {
        return Optional.empty();
    }
}
