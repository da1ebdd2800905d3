package org.migware.proxy.internal.mapping;

import java.util.ArrayDeque;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import org.migware.proxy.internal.events.DeferredLog;





/**
 * Finds a connection's mapping by the client's 4-tuple (frames from the wire) and by its shadow
 * endpoint (packets from the replica), and removes closed ones after their linger. Not
 * thread-safe: the engine's lock guards it.
 */
public final class MappingTable {

    /**
     * How long a mapping stays after both FINs: the last ACK, or a FIN sent again, must still be
     * translated.
     */
    public static final long CLOSED_LINGER_NANOS = 10_000_000_000L;

    private final PairKeyMap<Mapping> byClient = new PairKeyMap<>();
    private final PairKeyMap<Mapping> byShadow = new PairKeyMap<>();
    /** Mappings closed by both FINs, oldest first, waiting out their linger. */
    private final ArrayDeque<Mapping> closing = new ArrayDeque<>();
    private final LongSupplier nanos;
    private final DeferredLog log;

    public MappingTable(LongSupplier nanos, DeferredLog log) {
        this.nanos = nanos;
        this.log = log;
    }

    public static long shadowKey(int shadowAddress, int shadowPort) {
        return (shadowAddress & 0xffff_ffffL) << 16 | shadowPort;
    }

    public void register(Mapping mapping) {
        mapping.lastSeenNanos = nanos.getAsLong();
        byClient.put(ConnectionKey.addresses(mapping.clientAddress, mapping.primaryAddress),
                ConnectionKey.ports(mapping.clientPort, mapping.primaryPort), mapping);
        byShadow.put(shadowKey(mapping.shadowAddress, mapping.shadowPort), 0, mapping);
    }

    /** @return the mapping of a client's connection to a service address and port, or {@code null} */
    public Mapping byClient(int clientAddress, int clientPort, int serviceAddress, int servicePort) {
        return byClient.get(ConnectionKey.addresses(clientAddress, serviceAddress), ConnectionKey.ports(clientPort, servicePort));
    }

    /** @return the mapping whose shadow endpoint this is, or {@code null} */
    public Mapping byShadow(int shadowAddress, int shadowPort) {
        return byShadow.get(shadowKey(shadowAddress, shadowPort), 0);
    }

    /** Every mapping a client can reach, in table order. */
    public void forEachByClient(Consumer<Mapping> action) {
        byClient.forEachValue(action);
    }

    /** Every mapping the replica can reach, in table order. */
    public void forEachByShadow(Consumer<Mapping> action) {
        byShadow.forEachValue(action);
    }

    /** Takes a mapping out of both tables; {@code why} is logged. */
    public void close(Mapping mapping, String why) {
        closeQuietly(mapping);
        log.info("proxy: {} ended: {}", mapping, why);
    }

    /** Takes a mapping out of both tables without a line in the log: for many at once, counted by the caller. */
    public void closeQuietly(Mapping mapping) {
        mapping.state = MappingState.CLOSED;
        long addresses = ConnectionKey.addresses(mapping.clientAddress, mapping.primaryAddress);
        long ports = ConnectionKey.ports(mapping.clientPort, mapping.primaryPort);
        // The client may have reused its port for a new connection meanwhile: that mapping stays.
        if (byClient.get(addresses, ports) == mapping) {
            byClient.remove(addresses, ports);
        }
        byShadow.remove(shadowKey(mapping.shadowAddress, mapping.shadowPort), 0);
        if (mapping.replay != null) {
            mapping.replay.release(); // a replayed connection's kept bytes are of no use any more
        }
    }

    /** @return the mappings a client can reach */
    public int size() {
        return byClient.size();
    }

    /**
     * Both sides have sent their FIN: the connection is closing in both kernels. The mapping
     * stays for {@link #CLOSED_LINGER_NANOS} and is removed by {@link #removeClosed} afterwards,
     * so that closed connections do not pile up in PROXY.
     */
    public void lingerIfClosed(Mapping mapping) {
        if (mapping.clientFin && mapping.replicaFin && mapping.closingSinceNanos == 0) {
            mapping.closingSinceNanos = Math.max(1, nanos.getAsLong());
            closing.add(mapping);
        }
    }

    /** Removes the mappings whose linger is over. */
    public void removeClosed(long now) {
        while (!closing.isEmpty() && now - closing.peek().closingSinceNanos >= CLOSED_LINGER_NANOS) {
            Mapping mapping = closing.poll();
            if (mapping.state != MappingState.CLOSED) {
                close(mapping, "closed by both sides");
            }
        }
    }

    /**
     * @return the primary's MAC as a mapping of {@code primaryAddress} recorded it, -1 when none
     *     has: a walk of the mappings, for the rare ARP request the keeper's learnt MACs do not answer
     */
    public long primaryMacOf(int primaryAddress) {
        long[] found = {-1L};
        byClient.forEachValue(m -> {
            if (found[0] < 0 && m.primaryAddress == primaryAddress) {
                found[0] = m.primaryMac;
            }
        });
        return found[0];
    }
}
