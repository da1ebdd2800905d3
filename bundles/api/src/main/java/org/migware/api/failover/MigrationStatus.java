package org.migware.api.failover;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * What the migration bundle is doing, for {@code migware:status} and {@code migware:connections}.
 *
 * @since 1.1
 */
@ProviderType
public interface MigrationStatus {

    /**
     * @return the recovery's progress in words, such as
     *     {@code 200 recovered, 0 failed, 0 pending, 0 not recoverable, in 14 ms}, or why nothing
     *     can be migrated
     * @deprecated since 1.2: {@link #progressSnapshot()}; the core formats it
     */
    @Deprecated
    String progress();

    /**
     * @return one line per connection MigWare carries: client, shadow endpoint, state, D2,
     *     timestamp offset, window shifts and packet counters
     * @deprecated since 1.2: {@link #mappingSnapshots()}; the core formats them
     */
    @Deprecated
    List<String> mappings();

    /**
     * The default serves a provider written against 1.1 only, until it implements this method;
     * it goes with {@link #progress()}.
     *
     * @return the migration's counters now, or {@code null} from a provider that reports only
     *     {@link #progress()}
     * @since 1.2
     */
    default MigrationProgress progressSnapshot() {
        return null;
    }

    /**
     * The default serves a provider written against 1.1 only, until it implements this method;
     * it goes with {@link #mappings()}.
     *
     * @return every connection MigWare carries, or {@code null} from a provider that reports
     *     only {@link #mappings()}
     * @since 1.2
     */
    default List<MappingSnapshot> mappingSnapshots() {
        return null;
    }
}
