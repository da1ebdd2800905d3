package org.migware.lab.network;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.migware.lab.Commands;
import org.migware.lab.LabException;

/**
 * A long-running process that the lab started inside a namespace, with its standard output and
 * standard error redirected to files (so nothing blocks on a full pipe and the logs outlive the
 * process for post-mortems).
 *
 * <p>{@link #destroy()} ends exactly the process tree this handle started: SIGTERM first, so
 * programs such as {@code SinkServer}, {@code PushClient} and tcpdump write their final report or
 * flush their capture, then SIGKILL after a grace period.
 */
public final class LabProcess implements AutoCloseable {

    /** How long {@link #destroy()} waits after SIGTERM before it uses SIGKILL. */
    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(5);

    private final String name;
    private final String namespace;
    private final List<String> command;
    private final Process process;
    private final Path stdoutFile;
    private final Path stderrFile;

    LabProcess(String name, String namespace, List<String> command, Process process, Path stdoutFile, Path stderrFile) {
        this.name = name;
        this.namespace = namespace;
        this.command = List.copyOf(command);
        this.process = process;
        this.stdoutFile = stdoutFile;
        this.stderrFile = stderrFile;
    }

    /** @return the name given at start, also the base name of the output files */
    public String name() {
        return name;
    }

    /** @return the namespace the process runs in */
    public String namespace() {
        return namespace;
    }

    /** @return the full command line, including the {@code ip netns exec} wrapper */
    public List<String> command() {
        return command;
    }

    /**
     * @return the process id; {@code ip netns exec} execs the command in place, so this is the
     *         command's own pid
     */
    public long pid() {
        return process.pid();
    }

    ProcessHandle processHandle() {
        return process.toHandle();
    }

    /** @return the file standard output goes to */
    public Path stdoutFile() {
        return stdoutFile;
    }

    /** @return the file standard error goes to */
    public Path stderrFile() {
        return stderrFile;
    }

    /** @return the standard output written so far */
    public String stdout() {
        return read(stdoutFile);
    }

    /** @return the standard error written so far */
    public String stderr() {
        return read(stderrFile);
    }

    /** @return true while the process runs */
    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Waits for the process to exit on its own.
     *
     * @param timeout how long to wait at most
     * @return true when the process has exited
     */
    public boolean waitFor(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    /** @return the exit code once the process has exited, empty while it runs */
    public OptionalInt exitCode() {
        return process.isAlive() ? OptionalInt.empty() : OptionalInt.of(process.exitValue());
    }

    /**
     * Waits until the process has written {@code text} to standard output or standard error: the
     * way to know that a server listens or a capture runs, instead of sleeping.
     *
     * @param text the text to look for
     * @param timeout how long to wait at most
     * @throws LabException on timeout or when the process exits first; the message holds the output
     */
    public void awaitOutput(String text, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (stdout().contains(text) || stderr().contains(text)) {
                return;
            }
            if (!process.isAlive()) {
                // It may have written the text just before exiting.
                if (stdout().contains(text) || stderr().contains(text)) {
                    return;
                }
                throw new LabException(name + " exited with " + process.exitValue() + " before printing '" + text
                        + "'" + outputForMessage());
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new LabException(name + " did not print '" + text + "' within " + timeout.toMillis() + " ms"
                        + outputForMessage());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LabException("interrupted while waiting for " + name, e);
            }
        }
    }

    /**
     * Ends the process tree: SIGTERM, up to {@link #DEFAULT_GRACE} to exit, then SIGKILL.
     * Does nothing when the process has already exited.
     */
    public void destroy() {
        destroy(DEFAULT_GRACE);
    }

    /**
     * Ends the process tree: SIGTERM, up to {@code grace} to exit, then SIGKILL.
     *
     * @param grace how long the processes get to exit after SIGTERM; zero means SIGKILL at once
     * @return the exit code of the started process (143 after SIGTERM, 137 after SIGKILL), -1 if unknown
     */
    public int destroy(Duration grace) {
        if (process.isAlive()) {
            Commands.destroyTrees(List.of(process.toHandle()), grace);
        }
        try {
            return process.waitFor(5, TimeUnit.SECONDS) ? process.exitValue() : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Same as {@link #destroy()}. */
    @Override
    public void close() {
        destroy();
    }

    @Override
    public String toString() {
        return name + "[pid " + pid() + " in " + namespace + "]";
    }

    private String outputForMessage() {
        return "\n--- stdout (" + stdoutFile + ") ---\n" + tail(stdout()) + "\n--- stderr (" + stderrFile + ") ---\n"
                + tail(stderr());
    }

    private static String tail(String text) {
        return text.length() <= 4000 ? text : "..." + text.substring(text.length() - 4000);
    }

    private static String read(Path file) {
        try {
            // Lenient decoding: a half-written multi-byte character must not hide the rest.
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
