package org.migware.proxy.internal.keeper;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.migware.api.connection.ConnectionKey;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.ConnectionTable;
import org.migware.api.connection.DirectionState;
import org.migware.api.connection.Endpoint;
import org.migware.api.connection.TableStatistics;
import org.migware.api.connection.TcpState;
import org.migware.proxy.internal.keeper.IdleExpiry.Tracked;

/**
 * The keeper's idle sweep asks the tracker's table by the API's key, built from the keeper's
 * integers: the table here is keyed by addresses as the tracker's snapshots name them (the
 * dotted addresses, not the keeper's numbers), so a key built wrongly would find nothing and
 * every kept stream would look forgotten.
 */
class TableTrackerTest {

    private static final int CLIENT = 0x0a4d_0001; // 10.77.0.1
    private static final int SERVICE = 0x0a4d_0002; // 10.77.0.2

    /** A table of snapshots found by their own key, as the tracker's find does. */
    private static class Table implements ConnectionTable {
        final Map<ConnectionKey, ConnectionSnapshot> connections = new HashMap<>();

        void add(ConnectionSnapshot snapshot) {
            connections.put(snapshot.key(), snapshot);
        }

        @Override
        public int size() {
            return connections.size();
        }

        @Override
        public List<ConnectionSnapshot> connections() {
            return List.copyOf(connections.values());
        }

        @Override
        public Optional<ConnectionSnapshot> find(ConnectionKey key) {
            return Optional.ofNullable(connections.get(key));
        }

        @Override
        public TableStatistics statistics() {
            throw new UnsupportedOperationException();
        }
    }

    private static ConnectionSnapshot snapshot(int clientPort, TcpState state) throws Exception {
        DirectionState side = new DirectionState(100, 1460, 7, true, true, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        return new ConnectionSnapshot(new Endpoint(InetAddress.getByName("10.77.0.1"), clientPort, null),
                new Endpoint(InetAddress.getByName("10.77.0.2"), 7000, null), side, side, state, true, Instant.EPOCH, Instant.EPOCH);
    }

    @Test
    void saysWhatTheTableHoldsOfEachConnection() throws Exception {
        Table table = new Table();
        table.add(snapshot(40_000, TcpState.ESTABLISHED));
        table.add(snapshot(40_001, TcpState.HANDSHAKE));
        table.add(snapshot(40_002, TcpState.CLOSING));
        table.add(snapshot(40_003, TcpState.CLOSED));
        table.add(snapshot(40_004, TcpState.RESET));
        TableTracker tracker = new TableTracker(() -> table);

        assertEquals(Tracked.LIVE, tracker.of(CLIENT, 40_000, SERVICE, 7000));
        assertEquals(Tracked.LIVE, tracker.of(CLIENT, 40_001, SERVICE, 7000));
        assertEquals(Tracked.LIVE, tracker.of(CLIENT, 40_002, SERVICE, 7000), "a half-closed client still waits for its answer");
        assertEquals(Tracked.NOT_LIVE, tracker.of(CLIENT, 40_003, SERVICE, 7000));
        assertEquals(Tracked.NOT_LIVE, tracker.of(CLIENT, 40_004, SERVICE, 7000));
        assertEquals(Tracked.FORGOTTEN, tracker.of(CLIENT, 40_005, SERVICE, 7000));
        assertEquals(Tracked.FORGOTTEN, tracker.of(CLIENT, 40_000, SERVICE, 7001), "another service port is another connection");
        assertEquals(Tracked.FORGOTTEN, tracker.of(CLIENT, 40_000, 0x0a4d_0003, 7000), "another service address too");
    }

    @Test
    void withoutATrackerNothingIsKnown() {
        assertEquals(Tracked.UNKNOWN, new TableTracker(() -> null).of(CLIENT, 40_000, SERVICE, 7000));
    }

    @Test
    void aTrackerGoingAwayAsItIsAskedIsNotTakenForForgetting() {
        Table going = new Table() {
            @Override
            public Optional<ConnectionSnapshot> find(ConnectionKey key) {
                throw new IllegalStateException("the tracker's component is deactivated");
            }
        };
        assertEquals(Tracked.UNKNOWN, new TableTracker(() -> going).of(CLIENT, 40_000, SERVICE, 7000));
    }
}
