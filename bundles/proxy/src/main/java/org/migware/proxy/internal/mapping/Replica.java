package org.migware.proxy.internal.mapping;

/**
 * Where the re-created connections go.
 *
 * @param address the replica's IPv4 address (the backup's)
 * @param port the replica's port, 0 for the service's own
 */
public record Replica(int address, int port) {

    /** @return the replica port of a connection to {@code servicePort} */
    public int portFor(int servicePort) {
        return port == 0 ? servicePort : port;
    }

    /** @return the replica port of {@code mapping}'s connection */
    public int portFor(Mapping mapping) {
        return portFor(mapping.primaryPort);
    }
}
