package org.migware.monitor.exec.internal;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.migware.api.config.StrictModes;
import org.migware.monitor.support.Probe;
import org.migware.monitor.support.ProbeResult;

/**
 * Runs the command once: exit status 0 is a success, any other a miss whose reason is the first
 * line of its output (stdout and stderr together). Still running at the timeout: the command and
 * every process it started are killed, and it is a miss. A command that cannot be started at all
 * makes the verdict {@code UNKNOWN}: it says nothing about the primary.
 */
final class CommandProbe implements Probe {

    private static final int MAX_LINE = 200;
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final List<String> command;

    CommandProbe(List<String> command) {
        this.command = List.copyOf(command);
    }

    @Override
    public ProbeResult probe(Duration timeout) throws InterruptedException, IOException {
        // Checked at every probe: the program can change after the configuration was read.
        List<String> refused = StrictModes.programProblems(command.get(0));
        if (!refused.isEmpty()) {
            return ProbeResult.unknown("cannot run " + command.get(0) + ": " + String.join("; ", refused));
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        } catch (IOException e) {
            return ProbeResult.unknown("cannot run " + command.get(0) + ": " + e.getMessage());
        }
        try (InputStream output = process.getInputStream()) {
            FirstLine firstLine = new FirstLine();
            // Read while waiting, so that a talkative command never blocks on a full pipe.
            while (!process.waitFor(Math.min(POLL_NANOS, Math.max(0, deadline - System.nanoTime())), TimeUnit.NANOSECONDS)) {
                firstLine.drain(output);
                if (System.nanoTime() - deadline >= 0) {
                    return ProbeResult.miss("still running after " + timeout.toMillis() + " ms: killed");
                }
            }
            firstLine.drain(output);
            int status = process.exitValue();
            if (status == 0) {
                return ProbeResult.success("exit status 0");
            }
            String line = firstLine.text();
            return ProbeResult.miss(line.isEmpty() ? "exit status " + status : line + " (exit status " + status + ")");
        } finally {
            if (process.isAlive()) {
                killTree(process);
            }
        }
    }

    /** The first non-empty line of the output, at most {@value #MAX_LINE} bytes; the rest is read and dropped. */
    private static final class FirstLine {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final byte[] buffer = new byte[4096];
        private boolean complete;

        /** Reads what the pipe holds now, never blocking (also while the command's children keep it open). */
        void drain(InputStream output) throws IOException {
            int available;
            while ((available = output.available()) > 0) {
                int read = output.read(buffer, 0, Math.min(available, buffer.length));
                for (int i = 0; i < read && !complete; i++) {
                    if (buffer[i] == '\n' || buffer[i] == '\r') {
                        complete = bytes.size() > 0;
                    } else if (bytes.size() < MAX_LINE) {
                        bytes.write(buffer[i]);
                    }
                }
            }
        }

        String text() {
            return bytes.toString(StandardCharsets.UTF_8).trim();
        }
    }

    /** Kills the command and everything it started: the descendants are listed before the parent dies. */
    static void killTree(Process process) {
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
    }

    @Override
    public String toString() {
        return String.join(" ", command);
    }
}
