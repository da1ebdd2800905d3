package org.migware.api.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShellCommandTest {

    @TempDir
    Path dir;

    private Path script(String body, String permissions) throws Exception {
        Path script = dir.resolve("command.sh");
        Files.writeString(script, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString(permissions));
        return script;
    }

    @Test
    void passesTheVariablesAndTellsTheExitAndTheOutputsLastLine() throws Exception {
        Path script = script("echo first; echo \"reason: $WHY\"; exit 3", "rwxr-xr-x");
        ShellCommand.Result run = ShellCommand.run(script + " arg", Map.of("WHY", "icmp DOWN"), 10_000, null);
        assertTrue(run.ended());
        assertFalse(run.succeeded());
        assertEquals(3, run.exit());
        assertEquals(": reason: icmp DOWN", run.lastLine());
    }

    @Test
    void aCommandStillRunningAtTheTimeoutIsKilledWithItsChildren() throws Exception {
        Path pid = dir.resolve("child.pid");
        Path script = script("sleep 600 & echo $! > " + pid + "; wait", "rwxr-xr-x");
        AtomicReference<Process> started = new AtomicReference<>();
        ShellCommand.Result run = ShellCommand.run(script.toString(), Map.of(), 300, started::set);
        assertTrue(run.timedOut());
        assertFalse(run.succeeded());
        assertFalse(started.get().isAlive(), "the command killed");
        long child = Long.parseLong(Files.readString(pid).trim());
        // killed at once; gone once its new parent reaps it
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false) && !zombie(child) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(!ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false) || zombie(child), "its child killed too");
    }

    /** @return whether the process has exited and waits to be reaped (state Z in /proc) */
    private static boolean zombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void aProgramOthersCanChangeIsNotRun() throws Exception {
        Path marker = dir.resolve("ran");
        Path script = script("touch " + marker, "rwxrwxrwx");
        ShellCommand.Result run = ShellCommand.run(script.toString(), Map.of(), 10_000, null);
        assertFalse(run.refused().isEmpty());
        assertFalse(run.succeeded());
        assertFalse(Files.exists(marker), "never run");
    }

    @Test
    void theOutputKeptIsBounded() throws Exception {
        Path script = script("head -c 100000 /dev/zero | tr '\\\\0' x; echo; echo done", "rwxr-xr-x");
        ShellCommand.Result run = ShellCommand.run(script.toString(), Map.of(), 10_000, null);
        assertTrue(run.succeeded(), "a full pipe never blocks it: " + run);
        assertEquals(ShellCommand.OUTPUT_LIMIT, run.output().length());
    }
}
