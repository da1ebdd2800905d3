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
     */
    String progress();

    /**
     * @return one line per connection MigWare carries: client, shadow endpoint, state, D2,
     *     timestamp offset, window shifts and packet counters
     */
    List<String> mappings();
}
