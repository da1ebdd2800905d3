package org.migware.proxy.internal.direct;

/**
 * One carried connection as the client sends it: client address and port, service address and
 * port (IPv4, the direction the kernel must not see).
 */
public record CarriedTuple(int clientAddress, int clientPort, int serviceAddress, int servicePort) {

    /** @return the tuple as an element of the nftables set: {@code 10.0.0.7 . 40000 . 10.0.0.100 . 8080} */
    public String element() {
        return address(clientAddress) + " . " + clientPort + " . " + address(serviceAddress) + " . " + servicePort;
    }

    static String address(int address) {
        return (address >>> 24) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "." + (address & 0xff);
    }
}
