package org.migware.api.connection;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The service MigWare protects, as configured in PID {@value org.migware.api.config.ConfigurationPids#SERVICE}:
 * the primary's addresses and ports. One component owns that configuration and registers this
 * service only while the configuration is valid; every bundle that must tell the service's
 * traffic from the rest references this service instead of reading the PID.
 *
 * <p>When the configuration changes, the same registration stays and its properties change:
 * a consumer with a dynamic reference and an {@code updated} method reads {@link #endpoints()}
 * again and keeps its state. The service properties {@value #ADDRESSES} ({@code String[]}) and
 * {@value #PORTS} ({@code int[]}) show the values, for filters and the shell.
 *
 * @since 1.3
 */
@ProviderType
public interface ProtectedService {

    /** The configuration key and service property with the service's IP addresses. */
    String ADDRESSES = "addresses";

    /** The configuration key and service property with the service's TCP ports. */
    String PORTS = "ports";

    /** @return the configured endpoints, never null */
    ServiceEndpoints endpoints();
}
