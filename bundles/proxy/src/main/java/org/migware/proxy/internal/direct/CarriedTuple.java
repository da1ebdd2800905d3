package org.migware.proxy.internal.direct;

/**
 * One carried connection as the client sends it: client address and port, service address and
 * port (IPv4, the direction the kernel must not see).
 */
public record CarriedTuple(int clientAddress, int clientPort, int serviceAddress, int servicePort) {

    /**
     * @param connection a tracked connection
     * @return its tuple as the client sends it, or null when it is not IPv4
     */
    public static CarriedTuple of(org.migware.api.connection.ConnectionSnapshot connection) {
        byte[] client = connection.client().address().getAddress();
        byte[] server = connection.server().address().getAddress();
        if (client.length != 4 || server.length != 4) {
            return null;
        }
        return new CarriedTuple(java.nio.ByteBuffer.wrap(client).getInt(), connection.client().port(),
                java.nio.ByteBuffer.wrap(server).getInt(), connection.server().port());
    }

    /** @return the tuple as an element of the nftables set: {@code 10.0.0.7 . 40000 . 10.0.0.100 . 8080} */
    public String element() {
        return address(clientAddress) + " . " + clientPort + " . " + address(serviceAddress) + " . " + servicePort;
    }

    static String address(int address) {
        return (address >>> 24) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "." + (address & 0xff);
    }
}
