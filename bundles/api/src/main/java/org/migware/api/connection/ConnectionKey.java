package org.migware.api.connection;

import java.net.InetAddress;
import java.util.Objects;

/**
 * The 4-tuple that names a connection, oriented client to server.
 *
 * @param clientAddress the client's IP address
 * @param clientPort the client's TCP port
 * @param serverAddress the service address
 * @param serverPort the service port
 */
public record ConnectionKey(InetAddress clientAddress, int clientPort, InetAddress serverAddress, int serverPort) {

    /** Validates the fields. */
    public ConnectionKey {
        Objects.requireNonNull(clientAddress, "clientAddress");
        Objects.requireNonNull(serverAddress, "serverAddress");
    }

    @Override
    public String toString() {
        return new Endpoint(clientAddress, clientPort, null).hostAndPort() + " -> "
                + new Endpoint(serverAddress, serverPort, null).hostAndPort();
    }
}
