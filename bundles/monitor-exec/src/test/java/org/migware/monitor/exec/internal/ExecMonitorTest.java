package org.migware.monitor.exec.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.migware.testing.Verdicts.awaitStatus;
import static org.migware.testing.Verdicts.inject;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

import org.junit.jupiter.api.Test;
import org.migware.api.health.HealthStatus;
import org.migware.api.health.HealthVerdict;
import org.migware.monitor.support.ProbeSettings;
import org.migware.monitor.support.VerdictStateMachine;
import org.migware.testing.FakeClock;

class ExecMonitorTest {

    /** A Config as DS makes it: an attribute not given takes its default. */
    static ExecMonitor.Config config(Map<String, Object> values) {
        return (ExecMonitor.Config) Proxy.newProxyInstance(ExecMonitor.Config.class.getClassLoader(),
                new Class<?>[] {ExecMonitor.Config.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "annotationType" -> ExecMonitor.Config.class;
                    case "toString" -> "Config" + values;
                    case "hashCode" -> values.hashCode();
                    case "equals" -> proxy == args[0];
                    default -> values.containsKey(method.getName()) ? values.get(method.getName()) : method.getDefaultValue();
                });
    }

    @Test
    void commandAndName() {
        assertEquals(List.of("/bin/sh", "-c", "pg_isready -h 192.0.2.10"), ExecMonitor.command(new String[] {"pg_isready -h 192.0.2.10"}));
        assertEquals(List.of("/usr/bin/pg_isready", "-h", "192.0.2.10"),
                ExecMonitor.command(new String[] {"/usr/bin/pg_isready", "-h", "192.0.2.10"}));
        assertEquals(List.of(), ExecMonitor.command(new String[] {" "}));
        assertEquals("exec:pg_isready", ExecMonitor.name("", ExecMonitor.command(new String[] {"pg_isready -h 192.0.2.10"})));
        assertEquals("exec:pg_isready", ExecMonitor.name("", List.of("/usr/bin/pg_isready", "-h", "x")));
        assertEquals("exec:db", ExecMonitor.name(" db ", List.of("true")));
    }

    @Test
    void withoutACommandTheVerdictIsUnknownNamingTheKey() {
        ExecMonitor monitor = new ExecMonitor(config(Map.of("name", "db")));
        monitor.activate();
        try {
            assertEquals("exec:db", monitor.name());
            assertEquals(HealthStatus.UNKNOWN, monitor.currentVerdict().status());
            assertEquals("not probing: 'command' is not set", monitor.currentVerdict().reason());
        } finally {
            monitor.deactivate();
        }
    }

    /** Real runs of true, false and a sleeper, counted by the state machine on a fake clock (misses 2, recoveries 2). */
    @Test
    void stateMachineWithRealCommandsOnAFakeClock() throws Exception {
        FakeClock clock = new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));
        VerdictStateMachine machine = new VerdictStateMachine("exec:test", "test", new ProbeSettings(500, 300, 2, 2), clock, "starting");
        CommandProbe ok = new CommandProbe(List.of("true"));
        CommandProbe failing = new CommandProbe(List.of("false"));
        CommandProbe sleeper = new CommandProbe(ExecMonitor.command(new String[] {"sleep 10"}));
        Duration timeout = Duration.ofMillis(300);
        assertEquals(HealthStatus.UNKNOWN, machine.current().status());

        clock.advance(Duration.ofMillis(500));
        assertEquals(HealthStatus.UP, machine.record(ok.probe(timeout)).orElseThrow().status());
        clock.advance(Duration.ofMillis(500));
        assertTrue(machine.record(failing.probe(timeout)).isEmpty(), "one miss of two");
        clock.advance(Duration.ofMillis(500));
        assertTrue(machine.record(ok.probe(timeout)).isEmpty(), "flapping: still UP");
        clock.advance(Duration.ofMillis(500));
        assertTrue(machine.record(failing.probe(timeout)).isEmpty());
        clock.advance(Duration.ofMillis(500));
        HealthVerdict down = machine.record(sleeper.probe(timeout)).orElseThrow();
        assertEquals(HealthStatus.DOWN, down.status());
        assertEquals("still running after 300 ms: killed (2 consecutive misses)", down.reason());
        assertEquals(Instant.parse("2026-01-01T00:00:02.500Z"), down.time());
        clock.advance(Duration.ofMillis(500));
        assertTrue(machine.record(ok.probe(timeout)).isEmpty(), "one success of two recoveries");
        clock.advance(Duration.ofMillis(500));
        assertEquals(HealthStatus.UP, machine.record(ok.probe(timeout)).orElseThrow().status());
    }

    /** The whole component: a command that succeeds until a marker file appears. */
    @Test
    void componentPublishesUpThenDown(@org.junit.jupiter.api.io.TempDir java.nio.file.Path directory) throws Exception {
        java.nio.file.Path marker = directory.resolve("primary-dead");
        BlockingQueue<HealthVerdict> verdicts = new LinkedBlockingQueue<>();
        ExecMonitor monitor = new ExecMonitor(config(Map.of("name", "marker",
                "command", new String[] {"if [ -e " + marker + " ]; then echo primary is dead; exit 1; fi"},
                "intervalMillis", 20L, "timeoutMillis", 2000L)));
        inject(monitor, List.of(verdicts::add));
        monitor.activate();
        try {
            assertEquals(HealthStatus.UP, awaitStatus(verdicts, HealthStatus.UP).status());
            java.nio.file.Files.createFile(marker);
            HealthVerdict down = awaitStatus(verdicts, HealthStatus.DOWN);
            assertEquals("primary is dead (exit status 1) (1 miss)", down.reason());
            assertEquals("exec:marker", down.monitor());
        } finally {
            monitor.deactivate();
        }
    }

}
