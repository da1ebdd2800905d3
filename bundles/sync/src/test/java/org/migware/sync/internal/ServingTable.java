package org.migware.sync.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

import org.migware.api.connection.ConnectionSnapshot;

/** The serving host's table as the serving side reads it: its connections and a change count that moves with them. */
final class ServingTable {

    private final List<ConnectionSnapshot> connections = new CopyOnWriteArrayList<>();
    private final AtomicLong changes = new AtomicLong();

    void add(ConnectionSnapshot c) {
        connections.add(c);
        changes.incrementAndGet();
    }

    void removeIf(Predicate<ConnectionSnapshot> which) {
        if (connections.removeIf(which)) {
            changes.incrementAndGet();
        }
    }

    List<ConnectionSnapshot> snapshot() {
        return List.copyOf(connections);
    }

    long changeCount() {
        return changes.get();
    }
}
