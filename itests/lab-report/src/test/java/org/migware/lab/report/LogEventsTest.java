package org.migware.lab.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class LogEventsTest {

    /** Lines as MigWare's core and proxy log them (from a lab run), with a start-up verdict before the pull. */
    private static final String LOG = String.join("\n",
            "2026-11-30T11:46:13.306Z [migware-monitor-icmp] INFO FailoverCoordinator - core: verdict icmp UNKNOWN for 10.77.0.2 at"
                    + " 2026-11-30T11:46:13.302180909Z (starting: no probe has completed yet)",
            "2026-11-30T11:46:20.000Z [migware-monitor-icmp] INFO FailoverCoordinator - core: verdict icmp DOWN for 10.77.0.2 at"
                    + " 2026-11-30T11:46:20.000000000Z (a false DOWN long before the pull)",
            "2026-11-30T11:46:36.316Z [migware-monitor-icmp] INFO FailoverCoordinator - core: verdict icmp DOWN for 10.77.0.2 at"
                    + " 2026-11-30T11:46:36.316147677Z (no echo reply within 500 ms (1 miss))",
            "2026-11-30T11:46:36.318Z [migware-failover] WARN FailoverCoordinator - core: state NORMAL -> RECOVERY at"
                    + " 2026-11-30T11:46:36.317993361Z (primary DOWN: 1 of 1 monitors DOWN (policy any))",
            "2026-11-30T11:46:36.341Z [migware-proxy-recovery] INFO MigrationEngine - proxy: recovery finished: 200 recovered,"
                    + " 0 failed, 0 pending, 0 not recoverable, in 16 ms",
            "2026-11-30T11:46:36.342Z [migware-failover] WARN FailoverCoordinator - core: state RECOVERY -> PROXY at"
                    + " 2026-11-30T11:46:36.342261505Z (recovery finished: 200 recovered, 0 failed, 0 pending, 0 not recoverable, in 16 ms)");

    @Test
    void readsTheFailoversInstantsFromMigwaresLog() {
        LogEvents.Migware e = LogEvents.migware(LOG, Instant.parse("2026-11-30T11:46:35.800Z"));
        assertEquals(Instant.parse("2026-11-30T11:46:36.316147677Z"), e.downVerdict(), "the first DOWN after the pull");
        assertEquals(Instant.parse("2026-11-30T11:46:36.317993361Z"), e.decision());
        assertEquals(Instant.parse("2026-11-30T11:46:36.342261505Z"), e.proxy());
        assertEquals(16.0, e.recoveryMillis());
        assertEquals(200, e.recovered());
        assertEquals(0, e.failed());
        assertTrue(e.recoveryLine().startsWith("proxy: recovery finished: 200 recovered"), e.recoveryLine());
    }

    @Test
    void readsHaproxysDownFromItsRfc5424Log() {
        String log = "<134>1 2026-11-30T12:02:04.100000+00:00 - haproxy 9 - - Connect from 10.77.0.1:38342 to 10.77.0.3:7100\n"
                + "<129>1 2026-11-30T11:54:49.464064+00:00 - haproxy 9902 - - Server servers/primary is DOWN, reason: Layer4 timeout,"
                + " check duration: 101ms. 0 active and 1 backup servers left.\n";
        assertEquals(Instant.parse("2026-11-30T11:54:49.464064Z"), LogEvents.haproxyDown(log, "primary").orElseThrow());
        assertTrue(LogEvents.haproxyDown(log, "backup").isEmpty());
    }
}
