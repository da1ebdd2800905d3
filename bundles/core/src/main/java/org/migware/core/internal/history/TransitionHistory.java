package org.migware.core.internal.history;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import org.migware.api.failover.FailoverEvent;
import org.migware.api.failover.FailoverHistory;
import org.migware.api.failover.FailoverListener;
import org.osgi.service.component.annotations.Component;

/**
 * The last {@value #CAPACITY} failover state changes, in memory, for the web page's timeline: a
 * listener of the coordinator like any other, so the coordinator itself keeps no history. It
 * hears the current state when it registers (after a restart: the state the core restored), then
 * every change. An event heard twice (registration racing a change) is kept once, and the list
 * stays in time order.
 */
@Component(service = {FailoverHistory.class, FailoverListener.class})
public final class TransitionHistory implements FailoverHistory, FailoverListener {

    /** How many changes are kept. */
    public static final int CAPACITY = 100;

    private final Deque<FailoverEvent> events = new ArrayDeque<>(CAPACITY);

    @Override
    public void stateChanged(FailoverEvent event) {
        // kept without the recovery handle: the history only shows, it never ends a recovery
        FailoverEvent kept = new FailoverEvent(event.from(), event.to(), event.time(), event.reason());
        synchronized (events) {
            if (events.contains(kept)) {
                return;
            }
            List<FailoverEvent> later = new ArrayList<>();
            while (!events.isEmpty() && events.peekLast().time().isAfter(kept.time())) {
                later.add(0, events.pollLast());
            }
            events.addLast(kept);
            later.forEach(events::addLast);
            while (events.size() > CAPACITY) {
                events.pollFirst();
            }
        }
    }

    @Override
    public List<FailoverEvent> recent() {
        synchronized (events) {
            return List.copyOf(events);
        }
    }

    @Override
    public int capacity() {
        return CAPACITY;
    }
}
