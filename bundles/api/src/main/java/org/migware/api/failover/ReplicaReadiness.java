package org.migware.api.failover;

import java.util.List;
import java.util.Objects;

/**
 * Whether the replica's side of a failover is ready now: the TUN through which MigWare carries
 * the connections, and something listening on the replica's port for each service port.
 *
 * @param tun the TUN's name
 * @param tunUp whether the TUN interface is up
 * @param ports each service port, with the replica's port and whether it listens
 * @since 2.2
 */
public record ReplicaReadiness(String tun, boolean tunUp, List<ReplicaPort> ports) {

    /**
     * One service port and where the replica takes its connections.
     *
     * @param servicePort the service's port, as configured
     * @param replicaPort the replica's port the connections of {@code servicePort} go to
     * @param listening whether a socket listens on {@code replicaPort} in MigWare's network namespace now
     */
    public record ReplicaPort(int servicePort, int replicaPort, boolean listening) {
    }

    /** Validates the fields and copies the list so that the record stays immutable. */
    public ReplicaReadiness {
        Objects.requireNonNull(tun, "tun");
        ports = List.copyOf(ports);
    }
}
