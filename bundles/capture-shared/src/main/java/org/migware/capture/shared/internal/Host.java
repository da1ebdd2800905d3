package org.migware.capture.shared.internal;

import java.util.List;
import java.util.Optional;

/**
 * What the validation needs to know about the machine, behind an interface so that tests can
 * pretend to be an unprivileged user or a host without the interface.
 */
public interface Host {

    /** @return the names of the network interfaces of this network namespace, sorted */
    List<String> interfaceNames();

    /** @return whether this process may open packet sockets (root, or CAP_NET_RAW) */
    boolean mayCapture();

    /** @return who this process runs as, for messages */
    String userName();

    /**
     * Compiles a BPF expression for an Ethernet capture.
     *
     * @param expression the filter
     * @param snapshotLength the snapshot length it will run with
     * @return the compiler's (libpcap's) complaint, or empty when it compiles
     */
    Optional<String> filterError(String expression, int snapshotLength);
}
