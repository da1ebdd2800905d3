package org.migware.core.internal.decision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fence command runs for real, through /bin/sh. */
class FenceTest {

    @TempDir
    Path dir;

    @Test
    void exitZeroFencesAndTheReasonIsInTheEnvironment() throws Exception {
        Path said = dir.resolve("said");
        Fence.Outcome outcome = new Fence("echo \"$MIGWARE_FAILOVER_REASON\" > " + said + "; echo powered off", 5000)
                .run("primary DOWN: icmp");
        assertTrue(outcome.succeeded(), outcome.description());
        assertTrue(outcome.description().startsWith("fenced in ") && outcome.description().endsWith(": powered off"),
                outcome.description());
        assertEquals("primary DOWN: icmp", Files.readString(said).strip());
    }

    @Test
    void aProgramOthersCanChangeIsRefusedAndNeverRun() throws Exception {
        Path ran = dir.resolve("ran");
        Path script = dir.resolve("fence.sh");
        Files.writeString(script, "#!/bin/sh\ntouch " + ran + "\n");
        Files.setAttribute(dir, "unix:mode", 0700);
        Files.setAttribute(script, "unix:mode", 0775);
        Fence.Outcome outcome = new Fence(script + " --off", 5000).run("test");
        assertFalse(outcome.succeeded(), "a refused fence is a failed fence: no takeover");
        assertTrue(outcome.description().startsWith("fence command refused: " + script.toRealPath() + " is writable by its group"),
                outcome.description());
        assertFalse(Files.exists(ran), "the program did not run");

        Files.setAttribute(script, "unix:mode", 0755);
        assertTrue(new Fence(script + " --off", 5000).run("test").succeeded(), "once only its owner can change it, it runs");
        assertTrue(Files.exists(ran));
    }

    @Test
    void aNonZeroExitIsAFailedFenceWithTheCommandsLastWords() {
        Fence.Outcome outcome = new Fence("echo connecting to bmc; echo 'bmc: auth failed' >&2; exit 3", 5000).run("test");
        assertFalse(outcome.succeeded());
        assertTrue(outcome.description().startsWith("fence command exited 3 after "), outcome.description());
        assertTrue(outcome.description().endsWith(": bmc: auth failed"), outcome.description());
    }

    @Test
    void aCommandPastItsTimeoutIsKilledAndFails() throws Exception {
        Path pid = dir.resolve("pid");
        long started = System.nanoTime();
        // The shell starts a child that would outlive it: both must go.
        Fence.Outcome outcome = new Fence("sleep 30 & echo $! > " + pid + "; wait", 300).run("test");
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertFalse(outcome.succeeded());
        assertEquals("fence command did not finish within 300 ms", outcome.description());
        assertTrue(millis < 10_000, () -> "returned after " + millis + " ms");
        long sleeper = Long.parseLong(Files.readString(pid).strip());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (ProcessHandle.of(sleeper).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertFalse(ProcessHandle.of(sleeper).map(ProcessHandle::isAlive).orElse(false), "the fence's child was killed");
    }

    @Test
    void aCommandThatReadsItsInputDoesNotHang() {
        Fence.Outcome outcome = new Fence("cat; echo done", 5000).run("test");
        assertTrue(outcome.succeeded(), outcome.description());
    }

    @Test
    void blankMeansNoFence() {
        assertFalse(new Fence("  ", 1000).configured());
        assertFalse(new Fence(null, 1000).configured());
        assertTrue(new Fence("true", 1000).configured());
    }
}
