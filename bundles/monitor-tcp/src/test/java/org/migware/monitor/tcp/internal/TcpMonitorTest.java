package org.migware.monitor.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.migware.testing.Verdicts.awaitStatus;
import static org.migware.testing.Verdicts.inject;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

import org.junit.jupiter.api.Test;
import org.migware.api.connection.ServiceEndpoints;
import org.migware.api.health.HealthStatus;
import org.migware.api.health.HealthVerdict;
import org.migware.monitor.support.ProbeResult;
import org.migware.monitor.support.ProbeSettings;
import org.migware.monitor.support.VerdictStateMachine;
import org.migware.testing.FakeClock;

class TcpMonitorTest {

    private static final Duration INTERVAL = Duration.ofMillis(500);

    @Test
    void defaultsAreTheSafeProfileAndComeFromTheServicePid() {
        TcpMonitor.Target target = TcpMonitor.target(service(new String[] {"192.0.2.10", "192.0.2.11"}, new int[] {7000, 7001}),
                TcpConfigs.tcp(Map.of()));
        assertEquals("192.0.2.10", target.host());
        assertEquals(7000, target.port());
        assertEquals(new ProbeSettings(100, 100, 8, 1), target.settings());
        assertEquals(0, target.send().length);
        assertEquals(0, target.expect().length);
    }

    @Test
    void ownKeysWin() {
        TcpMonitor.Target target = TcpMonitor.target(service(new String[] {"192.0.2.10"}, new int[] {7000}),
                TcpConfigs.tcp(Map.of("target", "192.0.2.99", "port", 22, "intervalMillis", 20L, "timeoutMillis", 20L,
                        "misses", 3, "recoveries", 2)));
        assertEquals("192.0.2.99", target.host());
        assertEquals(22, target.port());
        assertEquals(new ProbeSettings(20, 20, 3, 2), target.settings());
        assertEquals(ProbeSettings.THESIS, TcpMonitor.target(service(new String[] {"192.0.2.10"}, new int[] {7000}),
                TcpConfigs.tcp(Map.of("profile", "thesis"))).settings());
    }

    @Test
    void aMissingOrWrongKeyIsNamed() {
        ServiceEndpoints none = null; // no ProtectedService: not configured, or refused by its owner
        assertEquals("'target' is not set, and neither is 'addresses' in org.migware.service",
                assertThrows(IllegalArgumentException.class, () -> TcpMonitor.target(none, TcpConfigs.tcp(Map.of()))).getMessage());
        assertEquals("'port' is not set, and neither is 'ports' in org.migware.service",
                assertThrows(IllegalArgumentException.class,
                        () -> TcpMonitor.target(none, TcpConfigs.tcp(Map.of("target", "127.0.0.1")))).getMessage());
        assertEquals("'port' 70000 is not a TCP port (1-65535)",
                assertThrows(IllegalArgumentException.class,
                        () -> TcpMonitor.target(none, TcpConfigs.tcp(Map.of("target", "127.0.0.1", "port", 70000)))).getMessage());
        assertEquals("'misses' must be at least 1 (is -1)",
                assertThrows(IllegalArgumentException.class,
                        () -> TcpMonitor.target(none, TcpConfigs.tcp(Map.of("target", "127.0.0.1", "port", 1, "misses", -1)))).getMessage());
    }

    @Test
    void unconfiguredMonitorIsUnknownNamingTheKey() {
        TcpMonitor monitor = new TcpMonitor(TcpConfigs.tcp(Map.of()));
        monitor.activate();
        try {
            assertEquals("tcp", monitor.name());
            HealthVerdict verdict = monitor.currentVerdict();
            assertEquals(HealthStatus.UNKNOWN, verdict.status());
            assertTrue(verdict.reason().contains("'target' is not set"), verdict.reason());
        } finally {
            monitor.deactivate();
        }
    }

    /** The thesis's state machine driven by real probes against a local server, on a fake clock. */
    @Test
    void stateMachineWithRealProbesUpThenDownAfterOneMissThenUpAgain() throws Exception {
        FakeClock clock = new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));
        LocalServer server = new LocalServer(request -> null);
        int port = server.port();
        TcpMonitor.Target target = TcpMonitor.target(service(new String[] {"127.0.0.1"}, new int[] {port}),
                TcpConfigs.tcp(Map.of("profile", "thesis")));
        TcpProbe probe = new TcpProbe(target.host(), target.port(), target.send(), target.expect());
        VerdictStateMachine machine = new VerdictStateMachine("tcp:" + port, "127.0.0.1:" + port, target.settings(), clock, "starting");
        assertEquals(HealthStatus.UNKNOWN, machine.current().status());

        clock.advance(INTERVAL);
        assertEquals(HealthStatus.UP, machine.record(probe.probe(target.settings().timeout())).orElseThrow().status());
        server.close();
        clock.advance(INTERVAL);
        HealthVerdict down = machine.record(probe.probe(target.settings().timeout())).orElseThrow();
        assertEquals(HealthStatus.DOWN, down.status());
        assertEquals("connection refused (1 miss)", down.reason());
        assertEquals(Instant.parse("2026-01-01T00:00:01Z"), down.time());

        try (LocalServer again = new LocalServer(request -> null)) {
            TcpProbe probeAgain = new TcpProbe("127.0.0.1", again.port(), new byte[0], new byte[0]);
            clock.advance(INTERVAL);
            assertEquals(HealthStatus.UP, machine.record(probeAgain.probe(target.settings().timeout())).orElseThrow().status());
        }
    }

    @Test
    void fastProfileToleratesTwoMissesAndFlappingStaysUp() throws Exception {
        FakeClock clock = new FakeClock(Instant.EPOCH);
        ProbeSettings fast = new ProbeSettings(20, 20, 3, 1);
        VerdictStateMachine machine = new VerdictStateMachine("tcp:7000", "192.0.2.10:7000", fast, clock, "starting");
        ProbeResult up = ProbeResult.success("connected");
        ProbeResult refused = ProbeResult.miss("connection refused");
        machine.record(up);
        for (int i = 0; i < 20; i++) {
            clock.advance(Duration.ofMillis(20));
            machine.record(refused);
            clock.advance(Duration.ofMillis(20));
            machine.record(refused);
            clock.advance(Duration.ofMillis(20));
            assertTrue(machine.record(up).isEmpty());
        }
        assertEquals(HealthStatus.UP, machine.current().status());
        machine.record(refused);
        machine.record(refused);
        assertEquals(HealthStatus.DOWN, machine.record(refused).orElseThrow().status());
    }

    @Test
    void aServiceThatArrivesChangesAndLeavesRestartsTheMonitor() {
        TcpMonitor monitor = new TcpMonitor(TcpConfigs.tcp(Map.of()));
        monitor.activate();
        try {
            assertTrue(monitor.currentVerdict().reason().contains("'target' is not set"));
            monitor.bindProtectedService(() -> service(new String[] {"192.0.2.10"}, new int[] {7000}));
            assertEquals("tcp:7000", monitor.name());
            assertEquals("192.0.2.10:7000", monitor.currentVerdict().target());
            monitor.updatedProtectedService(() -> service(new String[] {"192.0.2.20"}, new int[] {7001, 7000}));
            assertEquals("tcp:7001", monitor.name());
            assertEquals("192.0.2.20:7001", monitor.currentVerdict().target());
            monitor.unbindProtectedService(null);
            assertTrue(monitor.currentVerdict().reason().contains("'target' is not set"));
        } finally {
            monitor.deactivate();
        }
        monitor.unbindProtectedService(null); // DS may unbind after deactivation: no loop starts again
    }

    /** The endpoints the service's owner would publish. */
    static ServiceEndpoints service(String[] addresses, int[] ports) {
        return ServiceEndpoints.parse(addresses, ports);
    }

    /** The whole component, with its own thread, against a local server that goes away. */
    @Test
    void componentPublishesUpThenDownToListeners() throws Exception {
        BlockingQueue<HealthVerdict> verdicts = new LinkedBlockingQueue<>();
        LocalServer server = new LocalServer(request -> null);
        TcpMonitor monitor = new TcpMonitor(TcpConfigs.tcp(Map.of("profile", "thesis", "intervalMillis", 20L, "timeoutMillis", 200L)));
        ServiceEndpoints local = service(new String[] {"127.0.0.1"}, new int[] {server.port()});
        monitor.bindProtectedService(() -> local);
        inject(monitor, List.of(verdicts::add));
        monitor.activate();
        try {
            assertEquals("tcp:" + server.port(), monitor.name());
            awaitStatus(verdicts, HealthStatus.UP);
            server.close();
            HealthVerdict down = awaitStatus(verdicts, HealthStatus.DOWN);
            assertEquals("connection refused (1 miss)", down.reason());
            assertEquals("127.0.0.1:" + server.port(), down.target());
            assertEquals(down, monitor.currentVerdict());
        } finally {
            monitor.deactivate();
        }
    }

}
