package org.migware.sync.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.migware.api.connection.ConnectionKey;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.DirectionState;
import org.migware.api.connection.TcpState;

/**
 * The serving host's side of what is synced: the table's established (and half-closed)
 * connections whose handshakes are known. Each poll compares the table with the last one and
 * says which connections came and which went; a connection whose client ISN changed is a new
 * incarnation of its 4-tuple, so it went and came. Not thread-safe: the caller's lock.
 */
final class TableWatcher {

    /** One poll's changes. */
    record Changes(List<ConnectionSnapshot> added, List<ConnectionSnapshot> gone) {
        boolean isEmpty() {
            return added.isEmpty() && gone.isEmpty();
        }
    }

    private Map<ConnectionKey, ConnectionSnapshot> current = new HashMap<>();

    /** @return whether a connection of the table is synced: its handshake is known and it is established or half-closed */
    static boolean synced(ConnectionSnapshot c) {
        return c.handshakeSeen() && (c.state() == TcpState.ESTABLISHED || c.state() == TcpState.CLOSING)
                && c.clientToServer().initialSequence() != DirectionState.UNKNOWN
                && c.serverToClient().initialSequence() != DirectionState.UNKNOWN;
    }

    Changes poll(List<ConnectionSnapshot> table) {
        Map<ConnectionKey, ConnectionSnapshot> next = new HashMap<>(Math.max(16, table.size() * 2));
        List<ConnectionSnapshot> added = new ArrayList<>();
        for (ConnectionSnapshot c : table) {
            if (!synced(c)) {
                continue;
            }
            ConnectionKey key = c.key();
            next.put(key, c);
            ConnectionSnapshot before = current.get(key);
            if (before == null || before.clientToServer().initialSequence() != c.clientToServer().initialSequence()) {
                added.add(c);
            }
        }
        List<ConnectionSnapshot> gone = new ArrayList<>();
        for (Map.Entry<ConnectionKey, ConnectionSnapshot> e : current.entrySet()) {
            ConnectionSnapshot now = next.get(e.getKey());
            if (now == null || now.clientToServer().initialSequence() != e.getValue().clientToServer().initialSequence()) {
                gone.add(e.getValue());
            }
        }
        current = next;
        return new Changes(added, gone);
    }

    /** @return the synced connections as of the last poll */
    List<ConnectionSnapshot> current() {
        return new ArrayList<>(current.values());
    }
}
