package org.migware.proxy.internal.recovery;

/**
 * Hands out the shadow endpoints (address, port) that stand in for the clients towards the
 * replica: every re-created connection gets its own pair, so two clients that use the same
 * source port never collide at the replica. Addresses come from the shadow prefix routed
 * through the TUN (never a local address: the kernel would drop a packet "from itself").
 */
public final class ShadowEndpoints {

    public static final int FIRST_PORT = 10_000;
    public static final int LAST_PORT = 60_999;
    private static final int PORTS_PER_ADDRESS = LAST_PORT - FIRST_PORT + 1;

    private final int firstAddress;
    private final int addresses;
    private long next;

    /**
     * @param network the shadow prefix's network address
     * @param prefixLength its length; the first two addresses (network, the TUN's own) are skipped
     */
    public ShadowEndpoints(int network, int prefixLength) {
        if (prefixLength < 8 || prefixLength > 30) {
            throw new IllegalArgumentException("'shadowPrefix' length must be 8 to 30, was " + prefixLength);
        }
        this.firstAddress = network + 2;
        this.addresses = (1 << (32 - prefixLength)) - 3;
    }

    /** @return the next free endpoint as {@code address << 16 | port} in a long */
    public synchronized long allocate() {
        long index = next++;
        if (index >= (long) addresses * PORTS_PER_ADDRESS) {
            throw new IllegalStateException("the shadow prefix is exhausted after " + index + " connections");
        }
        int address = firstAddress + (int) (index / PORTS_PER_ADDRESS);
        int port = FIRST_PORT + (int) (index % PORTS_PER_ADDRESS);
        return (address & 0xffff_ffffL) << 16 | port;
    }

    /** @return how many endpoints have been handed out, for {@link #continueAfter} after a restart */
    public synchronized long allocated() {
        return next;
    }

    /** Hands out nothing below {@code allocated} any more: those are in use by restored mappings. */
    public synchronized void continueAfter(long allocated) {
        next = Math.max(next, allocated);
    }

    public static int address(long endpoint) {
        return (int) (endpoint >>> 16);
    }

    public static int port(long endpoint) {
        return (int) (endpoint & 0xffff);
    }
}
