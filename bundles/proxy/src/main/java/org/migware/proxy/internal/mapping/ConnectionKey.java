package org.migware.proxy.internal.mapping;

/**
 * The two longs a client's connection is found by in a {@link PairKeyMap}: both IPv4 addresses in
 * one, both ports in the other. The service address belongs in the key: a client may use one
 * source port toward two service addresses at once, and those are two connections whose bytes
 * must never meet.
 */
public final class ConnectionKey {

    private ConnectionKey() {
    }

    /** @return the addresses half of a client connection's key */
    public static long addresses(int clientAddress, int serviceAddress) {
        return (clientAddress & 0xffff_ffffL) << 32 | serviceAddress & 0xffff_ffffL;
    }

    /** @return the ports half of a client connection's key */
    public static long ports(int clientPort, int servicePort) {
        return (long) clientPort << 16 | servicePort;
    }

    /** @return the client address of a key's addresses half */
    public static int clientAddress(long addresses) {
        return (int) (addresses >>> 32);
    }

    /** @return the service address of a key's addresses half */
    public static int serviceAddress(long addresses) {
        return (int) addresses;
    }

    /** @return the client port of a key's ports half */
    public static int clientPort(long ports) {
        return (int) (ports >>> 16) & 0xffff;
    }

    /** @return the service port of a key's ports half */
    public static int servicePort(long ports) {
        return (int) ports & 0xffff;
    }
}
