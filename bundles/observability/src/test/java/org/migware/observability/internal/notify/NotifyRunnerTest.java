package org.migware.observability.internal.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The runner with real commands through /bin/sh; the oracle is what the commands wrote and the process table. */
@Timeout(60)
class NotifyRunnerTest {

    @TempDir
    Path dir;

    private static void await(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + limit + ": " + what);
            }
            Thread.sleep(20);
        }
    }

    private static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void eventsRunOneAfterTheOtherInTheOrderTheyWereHandedIn() throws Exception {
        Path out = dir.resolve("out");
        try (NotifyRunner runner = new NotifyRunner("echo \"$MIGWARE_SEQUENCE $MIGWARE_TO\" >> '" + out + "'", 10_000, 64)) {
            for (int i = 1; i <= 30; i++) {
                assertTrue(runner.submit(Map.of("MIGWARE_SEQUENCE", Integer.toString(i), "MIGWARE_TO", "state" + i), "event " + i));
            }
            await("30 lines", Duration.ofSeconds(30), () -> lines(out).size() == 30);
            List<String> expected = new ArrayList<>();
            for (int i = 1; i <= 30; i++) {
                expected.add(i + " state" + i);
            }
            assertEquals(expected, lines(out));
            assertEquals(0, runner.dropped());
        }
    }

    @Test
    void aCommandStillRunningAtTheTimeoutIsKilledAndTheNextEventRuns() throws Exception {
        Path pidFile = dir.resolve("pid");
        Path out = dir.resolve("out");
        // the hanging run becomes the sleep itself (exec), so its pid is the process that must die
        String command = "if [ \"$MIGWARE_EVENT\" = hang ]; then echo $$ > '" + pidFile + "'; exec sleep 60; fi; echo \"$MIGWARE_EVENT\" >> '" + out + "'";
        try (NotifyRunner runner = new NotifyRunner(command, 500, 8)) {
            assertTrue(runner.submit(Map.of("MIGWARE_EVENT", "hang"), "hang"));
            assertTrue(runner.submit(Map.of("MIGWARE_EVENT", "after"), "after"));
            await("the hanging command's pid", Duration.ofSeconds(10), () -> lines(pidFile).size() == 1 && !lines(pidFile).get(0).isBlank());
            long pid = Long.parseLong(lines(pidFile).get(0).trim());
            await("the next event's command", Duration.ofSeconds(20), () -> lines(out).equals(List.of("after")));
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the sleep (pid " + pid + ") was killed");
            assertEquals(1, runner.killed());
        }
    }

    @Test
    void aFullQueueDropsTheNewEventWithoutWaitingAndCountsIt() throws Exception {
        Path gate = dir.resolve("gate");
        Path out = dir.resolve("out");
        String command = "while [ ! -e '" + gate + "' ]; do sleep 0.02; done; echo \"$MIGWARE_SEQUENCE dropped=$MIGWARE_DROPPED\" >> '" + out + "'";
        try (NotifyRunner runner = new NotifyRunner(command, 30_000, 2)) {
            List<Boolean> accepted = new ArrayList<>();
            // 1 runs (and waits at the gate), 2 and 3 wait in the queue, 4 and 5 find it full;
            // were submit to wait for room, this thread would hang here until the test's timeout
            for (int i = 1; i <= 5; i++) {
                accepted.add(runner.submit(Map.of("MIGWARE_SEQUENCE", Integer.toString(i)), "event " + i));
            }
            assertEquals(List.of(true, true, true, false, false), accepted);
            assertEquals(2, runner.dropped());
            Files.createFile(gate);
            await("three lines", Duration.ofSeconds(20), () -> lines(out).size() == 3);
            // the count at each command's start: 1 had started before the drops
            List<String> seen = lines(out);
            assertEquals("2 dropped=2", seen.get(1));
            assertEquals("3 dropped=2", seen.get(2));
            assertTrue(seen.get(0).startsWith("1 dropped="), seen.toString());
        }
    }
}
