package org.migware.core.internal.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.migware.api.failover.FailoverEvent;
import org.migware.api.failover.FailoverState;
import org.migware.api.failover.RecoveryHandle;

class TransitionHistoryTest {

    private static final Instant T0 = Instant.parse("2026-12-06T10:00:00Z");

    @Test
    void keepsTheLastChangesOnceInTimeOrderWithoutTheirRecoveryHandle() {
        TransitionHistory history = new TransitionHistory();
        RecoveryHandle handle = progress -> { };
        FailoverEvent started = new FailoverEvent(null, FailoverState.NORMAL, T0, "started: passive tracking");
        FailoverEvent down = new FailoverEvent(FailoverState.NORMAL, FailoverState.RECOVERY, T0.plusSeconds(5), "icmp: DOWN");
        FailoverEvent proxy = new FailoverEvent(FailoverState.RECOVERY, FailoverState.PROXY, T0.plusSeconds(6), "recovery finished");

        history.stateChanged(down.withRecovery(handle));
        history.stateChanged(started);                    // the registration's delivery, late
        history.stateChanged(down.withRecovery(handle));  // heard twice
        history.stateChanged(proxy.withRecovery(handle));

        assertEquals(List.of(started, down, proxy), history.recent());
        assertNull(history.recent().get(2).recovery());
    }

    @Test
    void dropsTheOldestBeyondItsCapacity() {
        TransitionHistory history = new TransitionHistory();
        for (int i = 0; i < TransitionHistory.CAPACITY + 5; i++) {
            history.stateChanged(new FailoverEvent(FailoverState.NORMAL, FailoverState.NORMAL, T0.plusSeconds(i), "change " + i));
        }
        List<FailoverEvent> recent = history.recent();
        assertEquals(TransitionHistory.CAPACITY, recent.size());
        assertEquals("change 5", recent.get(0).reason());
        assertEquals("change " + (TransitionHistory.CAPACITY + 4), recent.get(recent.size() - 1).reason());
    }
}
