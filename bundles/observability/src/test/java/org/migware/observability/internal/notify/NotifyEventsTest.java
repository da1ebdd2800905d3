package org.migware.observability.internal.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.migware.api.failover.FailoverEvent;
import org.migware.api.failover.FailoverState;
import org.migware.api.health.HealthStatus;
import org.migware.api.health.HealthVerdict;

class NotifyEventsTest {

    private static final Instant T = Instant.parse("2026-12-06T21:00:00Z");

    @Test
    void aStateChangeNamesBothStatesAndTheReason() {
        NotifyEvents events = new NotifyEvents();
        Map<String, String> first = events.state(new FailoverEvent(null, FailoverState.NORMAL, T, "started"));
        Map<String, String> env = events.state(new FailoverEvent(FailoverState.NORMAL, FailoverState.RECOVERY, T, "primary DOWN"));
        assertEquals("", first.get("MIGWARE_FROM"));
        assertEquals(Map.of("MIGWARE_EVENT", "STATE", "MIGWARE_SEQUENCE", "2", "MIGWARE_TIME", "2026-12-06T21:00:00Z",
                "MIGWARE_FROM", "NORMAL", "MIGWARE_TO", "RECOVERY", "MIGWARE_REASON", "primary DOWN"), env);
    }

    @Test
    void onlyAVerdictThatDiffersFromItsMonitorsLastIsAnEvent() {
        NotifyEvents events = new NotifyEvents();
        Map<String, String> up = events.verdict(new HealthVerdict("icmp", "10.0.0.2", HealthStatus.UP, T, "answered"));
        assertEquals("", up.get("MIGWARE_FROM"));
        assertEquals("UP", up.get("MIGWARE_VERDICT"));
        assertNull(events.verdict(new HealthVerdict("icmp", "10.0.0.2", HealthStatus.UP, T, "answered again")));
        Map<String, String> otherMonitor = events.verdict(new HealthVerdict("tcp", "10.0.0.2:80", HealthStatus.UP, T, "connected"));
        assertEquals("tcp", otherMonitor.get("MIGWARE_MONITOR"));
        Map<String, String> down = events.verdict(new HealthVerdict("icmp", "10.0.0.2", HealthStatus.DOWN, T, "3 missed"));
        assertEquals(List.of("VERDICT", "UP", "DOWN", "icmp", "10.0.0.2", "3 missed"), List.of(down.get("MIGWARE_EVENT"),
                down.get("MIGWARE_FROM"), down.get("MIGWARE_TO"), down.get("MIGWARE_MONITOR"), down.get("MIGWARE_TARGET"),
                down.get("MIGWARE_REASON")));
    }

    @Test
    void aVerdictReadAtStartDoesNotUndoOneHeardMeanwhile() {
        NotifyEvents events = new NotifyEvents();
        assertEquals("DOWN", events.verdict(new HealthVerdict("icmp", "10.0.0.2", HealthStatus.DOWN, T, "missed"), false).get("MIGWARE_TO"));
        assertNull(events.verdict(new HealthVerdict("icmp", "10.0.0.2", HealthStatus.UP, T, "read at start"), true));
        assertEquals("UP", events.verdict(new HealthVerdict("tcp", "10.0.0.2:80", HealthStatus.UP, T, "read at start"), true).get("MIGWARE_TO"));
    }

    @Test
    void armAndDisarmAreChangesOfWhetherAnyReasonIsLeft() {
        NotifyEvents events = new NotifyEvents();
        Map<String, String> disarmed = events.armed(List.of("capture: no capture source is running", "monitor: none is present"), T);
        assertEquals(List.of("DISARMED", "", "disarmed", "capture: no capture source is running; monitor: none is present"),
                List.of(disarmed.get("MIGWARE_EVENT"), disarmed.get("MIGWARE_FROM"), disarmed.get("MIGWARE_TO"), disarmed.get("MIGWARE_REASON")));
        assertNull(events.armed(List.of("monitor: none is present"), T), "still disarmed, for another reason");
        Map<String, String> armed = events.armed(List.of(), T);
        assertEquals(List.of("ARMED", "disarmed", "armed", ""), List.of(armed.get("MIGWARE_EVENT"), armed.get("MIGWARE_FROM"),
                armed.get("MIGWARE_TO"), armed.get("MIGWARE_REASON")));
        assertNull(events.armed(List.of(), T));
    }
}
