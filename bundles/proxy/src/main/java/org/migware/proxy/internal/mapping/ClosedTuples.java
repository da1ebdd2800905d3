package org.migware.proxy.internal.mapping;

import java.net.Inet4Address;
import java.util.ArrayDeque;

import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.DirectionState;
import org.migware.api.connection.TcpState;

/**
 * The connections that had closed both ways when the primary failed (both FINs seen): the primary
 * was in TIME_WAIT or LAST_ACK for them, and their client may still send its FIN again (the
 * primary's acknowledgement of it was lost, or never sent) or its last ACK. MigWare answers them
 * as the primary's TIME_WAIT would, for as long (60 s, Linux's 2·MSL): a FIN or data with the exact
 * ACK, a bare ACK not at all, and never with a reset. A SYN on such a tuple is a new connection
 * (RFC 6191), and the tuple is forgotten. Bounded: at most {@link #MAX_ENTRIES}; more are not kept
 * (counted), and their clients get the reset a host sends for no connection, as before.
 *
 * <p>They outlive a restart of MigWare in PROXY: the state file holds each tuple with the wall-clock
 * time its linger ends ({@link #forEach}, {@link #restore}), since a {@code nanoTime} does not
 * survive the process.
 *
 * <p>Not thread-safe: used under the engine's lock.
 */
public final class ClosedTuples {

    /** How long a closed tuple is answered: Linux's TIME_WAIT. */
    public static final long LINGER_NANOS = 60_000_000_000L;
    /** The most closed tuples kept. */
    public static final int MAX_ENTRIES = 65_536;

    /**
     * One closed connection.
     *
     * @param serverNext the primary's sequence number after its FIN: the answer's sequence number
     * @param clientNext the client's after its FIN: the answer's acknowledgement
     * @param clientMac the client's MAC
     * @param primaryMac the primary's MAC, the answer's source
     * @param expiresNanos when it is forgotten
     */
    public record Closed(int serverNext, int clientNext, long clientMac, long primaryMac, long expiresNanos) {
    }

    /** One remembered tuple, handed out by {@link #forEach}: what the state file keeps. */
    @FunctionalInterface
    public interface Visitor {
        void tuple(int clientAddress, int clientPort, int serviceAddress, int servicePort, Closed closed);
    }

    private final PairKeyMap<Closed> byClient = new PairKeyMap<>();
    /** The keys as remembered, oldest first: every entry lingers as long, so the oldest expires first. */
    private final ArrayDeque<long[]> order = new ArrayDeque<>();
    private long remembered;
    private long notKept;
    private long answered;

    /**
     * Remembers the connection of {@code c} if it had closed both ways.
     *
     * @return whether it had, and is remembered
     */
    public boolean remember(ConnectionSnapshot c, long now) {
        DirectionState client = c.clientToServer();
        DirectionState server = c.serverToClient();
        if (c.state() == TcpState.RESET || !client.finSeen() || !server.finSeen()
                || !(c.client().address() instanceof Inet4Address) || !(c.server().address() instanceof Inet4Address)
                || c.client().mac() == null || c.server().mac() == null) {
            return false;
        }
        if (byClient.size() >= MAX_ENTRIES) {
            notKept++;
            return false;
        }
        long addresses = ConnectionKey.addresses(RecoveryCandidate.ipv4(c.client().address()), RecoveryCandidate.ipv4(c.server().address()));
        long ports = ConnectionKey.ports(c.client().port(), c.server().port());
        byClient.put(addresses, ports, new Closed((int) server.finSequence() + 1, (int) client.finSequence() + 1,
                RecoveryCandidate.mac(c.client().mac()), RecoveryCandidate.mac(c.server().mac()), now + LINGER_NANOS));
        order.add(new long[] {addresses, ports});
        remembered++;
        return true;
    }

    /**
     * Takes back a tuple a previous process remembered (the state file), lingering until
     * {@code closed.expiresNanos()} on this process's clock. Restored oldest first, as
     * {@link #forEach} handed them out, the expiry order holds; should a file not keep it, a tuple
     * is still never answered past its own end ({@link #find}), only held in memory until the ones
     * before it end (at most one linger). A tuple already known, or one beyond
     * {@link #MAX_ENTRIES}, is not taken (the latter counted as not kept).
     *
     * @return whether it was taken
     */
    public boolean restore(int clientAddress, int clientPort, int serviceAddress, int servicePort, Closed closed) {
        long addresses = ConnectionKey.addresses(clientAddress, serviceAddress);
        long ports = ConnectionKey.ports(clientPort, servicePort);
        if (byClient.get(addresses, ports) != null) {
            return false;
        }
        if (byClient.size() >= MAX_ENTRIES) {
            notKept++;
            return false;
        }
        byClient.put(addresses, ports, closed);
        order.add(new long[] {addresses, ports});
        return true;
    }

    /** Hands out every tuple still answered at {@code now}, oldest first. */
    public void forEach(long now, Visitor visitor) {
        expire(now);
        for (long[] key : order) {
            Closed closed = byClient.get(key[0], key[1]);
            if (closed != null && now - closed.expiresNanos() < 0) {
                visitor.tuple(ConnectionKey.clientAddress(key[0]), ConnectionKey.clientPort(key[1]),
                        ConnectionKey.serviceAddress(key[0]), ConnectionKey.servicePort(key[1]), closed);
            }
        }
    }

    /** @return the closed connection of the tuple, {@code null} when none (or it expired) */
    public Closed find(int clientAddress, int clientPort, int serviceAddress, int servicePort, long now) {
        expire(now);
        Closed closed = byClient.get(ConnectionKey.addresses(clientAddress, serviceAddress), ConnectionKey.ports(clientPort, servicePort));
        // its own end too: restored tuples of a damaged or forged file need not come in the order they end
        return closed != null && now - closed.expiresNanos() < 0 ? closed : null;
    }

    /** Forgets the tuple: a new connection uses it. */
    public void forget(int clientAddress, int clientPort, int serviceAddress, int servicePort) {
        byClient.remove(ConnectionKey.addresses(clientAddress, serviceAddress), ConnectionKey.ports(clientPort, servicePort));
    }

    /** Forgets the tuples whose linger is over. */
    public void expire(long now) {
        while (!order.isEmpty()) {
            long[] key = order.peek();
            Closed closed = byClient.get(key[0], key[1]);
            if (closed != null && now - closed.expiresNanos() < 0) {
                return;
            }
            order.poll();
            if (closed != null) {
                byClient.remove(key[0], key[1]);
            }
        }
    }

    /** Counts one segment answered as TIME_WAIT would. */
    public void answered() {
        answered++;
    }

    /** @return the closed tuples kept now */
    public int size() {
        return byClient.size();
    }

    /** @return the tuples remembered at failover */
    public long remembered() {
        return remembered;
    }

    /** @return the closed tuples not kept because the table was full */
    public long notKept() {
        return notKept;
    }

    /** @return the client segments answered */
    public long answeredCount() {
        return answered;
    }
}
