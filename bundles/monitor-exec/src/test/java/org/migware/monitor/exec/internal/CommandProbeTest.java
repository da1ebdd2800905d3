package org.migware.monitor.exec.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.migware.monitor.support.ProbeResult;

class CommandProbeTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private static ProbeResult run(String line, Duration timeout) throws Exception {
        return new CommandProbe(ExecMonitor.command(new String[] {line})).probe(timeout);
    }

    @Test
    void trueIsASuccess() throws Exception {
        assertEquals(ProbeResult.success("exit status 0"), run("true", TIMEOUT));
        assertEquals(ProbeResult.success("exit status 0"), new CommandProbe(List.of("true")).probe(TIMEOUT));
    }

    @Test
    void falseIsAMissWithItsStatus() throws Exception {
        assertEquals(ProbeResult.miss("exit status 1"), run("false", TIMEOUT));
    }

    @Test
    void theFirstLineOfOutputIsTheReason() throws Exception {
        assertEquals(ProbeResult.miss("replica lag 30 s (exit status 2)"),
                run("echo; echo 'replica lag 30 s'; echo second line; echo to stderr >&2; exit 2", TIMEOUT));
        assertEquals(ProbeResult.miss("on stderr (exit status 3)"), run("echo on stderr >&2; exit 3", TIMEOUT));
    }

    @Test
    void aTalkativeCommandDoesNotBlockOnAFullPipe() throws Exception {
        // 1 MiB of output is far more than a pipe holds
        assertEquals(ProbeResult.success("exit status 0"), run("head -c 1048576 /dev/zero | tr '\\\\0' x", TIMEOUT));
    }

    @Test
    void aCommandPastItsTimeoutIsKilledWithItsChildrenAndIsAMiss(@TempDir Path directory) throws Exception {
        Path pidFile = directory.resolve("child.pid");
        long started = System.nanoTime();
        ProbeResult result = run("sleep 30 & echo $! > " + pidFile + "; wait", Duration.ofMillis(300));
        assertEquals(ProbeResult.miss("still running after 300 ms: killed"), result);
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(10));
        long child = Long.parseLong(Files.readString(pidFile).trim());
        awaitGone(child);
    }

    @Test
    void aMissingProgramIsUnknownNotAMiss() throws Exception {
        ProbeResult result = new CommandProbe(List.of("/nonexistent/check-primary")).probe(TIMEOUT);
        assertEquals(ProbeResult.Outcome.UNKNOWN, result.outcome());
        assertTrue(result.reason().startsWith("cannot run /nonexistent/check-primary"), result.reason());
    }

    /** Gone, or a zombie that nobody reaps (PID 1 of a container may not): either way it runs no more. */
    static void awaitGone(long pid) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        while (true) {
            String state;
            try {
                String text = Files.readString(stat);
                state = text.substring(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3);
            } catch (java.nio.file.NoSuchFileException e) {
                return;
            }
            if (state.equals("Z") || state.equals("X")) {
                return;
            }
            assertFalse(System.nanoTime() > deadline, "process " + pid + " still runs (state " + state + ")");
            TimeUnit.MILLISECONDS.sleep(10);
        }
    }
}
