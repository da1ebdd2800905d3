package org.migware.tracker.internal;

import org.migware.api.connection.TcpState;

/**
 * One tracked connection: its 4-tuple (128-bit addresses, IPv4 mapped), both sides, its state
 * and times. Mutable, touched only under the store's lock; a snapshot is what leaves the store.
 */
final class TrackedConnection {

    final long clientAddressHigh;
    final long clientAddressLow;
    final long serverAddressHigh;
    final long serverAddressLow;
    final int clientPort;
    final int serverPort;
    /** The tuple's hash under the owning store's seed. */
    int hash;

    final SideState client = new SideState();
    final SideState server = new SideState();

    TcpState state;
    boolean handshakeSeen;
    long firstSeenNanos;
    long lastActivityNanos;
    /**
     * The sides whose next segment is taken as it comes ({@link #PICKUP_CLIENT}, {@link #PICKUP_SERVER}):
     * set on a connection restored from a state file, whose sequence numbers are as old as the file.
     */
    int pickup;
    /** Whether the handshake came from the serving host's table through state sync, not from this host's capture. */
    boolean handshakeFromSync;

    static final int PICKUP_CLIENT = 1;
    static final int PICKUP_SERVER = 2;

    TrackedConnection(long clientAddressHigh, long clientAddressLow, int clientPort,
            long serverAddressHigh, long serverAddressLow, int serverPort, int hash) {
        this.clientAddressHigh = clientAddressHigh;
        this.clientAddressLow = clientAddressLow;
        this.clientPort = clientPort;
        this.serverAddressHigh = serverAddressHigh;
        this.serverAddressLow = serverAddressLow;
        this.serverPort = serverPort;
        this.hash = hash;
    }

    boolean matches(long cHigh, long cLow, int cPort, long sHigh, long sLow, int sPort) {
        return clientAddressLow == cLow && clientPort == cPort && serverPort == sPort
                && clientAddressHigh == cHigh && serverAddressLow == sLow && serverAddressHigh == sHigh;
    }

    /**
     * @param seed the store's secret: without it, nobody can choose tuples that land in one probe chain
     */
    static int hash(long seed, long cHigh, long cLow, int cPort, long sHigh, long sLow, int sPort) {
        long h = (cLow ^ seed) * 0x9E3779B97F4A7C15L;
        h ^= cHigh + 0x632BE59BD9B4E019L + (h << 6) + (h >>> 2);
        h ^= sLow * 0xC2B2AE3D27D4EB4FL;
        h ^= sHigh;
        h ^= ((long) cPort << 16 | sPort) * 0x165667B19E3779F9L;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h ^= seed >>> 17;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return (int) h;
    }
}
