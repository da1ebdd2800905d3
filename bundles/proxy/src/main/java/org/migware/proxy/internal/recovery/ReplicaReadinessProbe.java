package org.migware.proxy.internal.recovery;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;

import org.migware.api.failover.ReplicaReadiness;

/**
 * Whether the replica's side of a failover is ready now, as the kernel sees it: the TUN's
 * {@code IFF_UP} flag in {@code /sys/class/net/NAME/flags}, and a listening socket on the
 * replica's port for each service port ({@link ReplicaAcceptQueue}). Asked by the health
 * endpoint, never on the packet path.
 */
public final class ReplicaReadinessProbe {

    /** IFF_UP in {@code <linux/if.h>}. */
    private static final int IFF_UP = 0x1;

    private final Path interfaces;

    /** The real interfaces of this network namespace. */
    public ReplicaReadinessProbe() {
        this(Path.of("/sys/class/net"));
    }

    /** @param interfaces a folder laid out as {@code /sys/class/net}, for tests */
    ReplicaReadinessProbe(Path interfaces) {
        this.interfaces = interfaces;
    }

    /**
     * @param tun the TUN's name
     * @param servicePorts the service's ports
     * @param replicaPortOf the replica's port for a service port
     * @param listeners the replica's listening sockets, read afresh
     * @return the readiness now
     */
    public ReplicaReadiness probe(String tun, int[] servicePorts, IntUnaryOperator replicaPortOf, ReplicaAcceptQueue listeners) {
        List<ReplicaReadiness.ReplicaPort> ports = new ArrayList<>(servicePorts.length);
        for (int servicePort : servicePorts) {
            int replicaPort = replicaPortOf.applyAsInt(servicePort);
            ports.add(new ReplicaReadiness.ReplicaPort(servicePort, replicaPort, listeners.waiting(replicaPort) != ReplicaAcceptQueue.UNKNOWN));
        }
        return new ReplicaReadiness(tun, isUp(tun), ports);
    }

    /** @return whether the interface exists and its IFF_UP flag is set */
    boolean isUp(String name) {
        try {
            String flags = Files.readString(interfaces.resolve(name).resolve("flags")).trim();
            return (Integer.decode(flags) & IFF_UP) != 0;
        } catch (IOException | NumberFormatException | java.nio.file.InvalidPathException e) {
            return false;
        }
    }
}
