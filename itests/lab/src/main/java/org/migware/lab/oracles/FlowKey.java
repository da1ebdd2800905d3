package org.migware.lab.oracles;

/**
 * A TCP connection's 4-tuple, oriented: the client is the side that sent the SYN.
 *
 * @param clientIp the client's address
 * @param clientPort the client's port
 * @param serverIp the server's address
 * @param serverPort the server's port
 */
public record FlowKey(String clientIp, int clientPort, String serverIp, int serverPort) {

    @Override
    public String toString() {
        return clientIp + ":" + clientPort + "->" + serverIp + ":" + serverPort;
    }
}
