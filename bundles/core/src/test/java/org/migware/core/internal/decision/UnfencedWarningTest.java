package org.migware.core.internal.decision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.migware.api.failover.FailoverEvent;
import org.migware.api.failover.FailoverPolicy;
import org.migware.api.failover.FailoverSnapshot;
import org.migware.api.failover.FailoverState;
import org.migware.api.failover.FailoverStatus;
import org.migware.api.failover.FenceStatus;

class UnfencedWarningTest {

    private static FailoverStatus status(FenceStatus fence) {
        Instant t = Instant.parse("2026-12-06T21:00:00Z");
        return new FailoverStatus() {
            @Override
            public FailoverEvent current() {
                return new FailoverEvent(null, FailoverState.NORMAL, t, "started");
            }

            @Override
            public FailoverSnapshot snapshot() {
                return new FailoverSnapshot(FailoverState.NORMAL, t, "started", new FailoverPolicy(FailoverPolicy.Mode.ANY, 1, 0, false), fence);
            }
        };
    }

    @Test
    void withoutAFenceCommandItWarnsOnceAtStartThatMigwareIsUnfenced() {
        List<String> warnings = new ArrayList<>();
        new UnfencedWarning(status(new FenceStatus(false, "", null)), warnings::add);
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).startsWith("core: unfenced: no fenceCommand in etc/org.migware.core.failover.cfg"), warnings.get(0));
    }

    @Test
    void withOneItSaysNothing() {
        List<String> warnings = new ArrayList<>();
        new UnfencedWarning(status(new FenceStatus(true, "ipmitool power off", null)), warnings::add);
        assertEquals(List.of(), warnings);
    }
}
