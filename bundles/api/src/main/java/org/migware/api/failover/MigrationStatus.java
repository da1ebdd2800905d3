package org.migware.api.failover;

import java.util.List;

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
}
