package org.migware.api.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs a site's command through {@code /bin/sh -c}, as MigWare runs each of them (the fence
 * command, the notify command): its program judged by {@link StrictModes} first, at every run (the
 * file can change between the configuration and the run); the variables given put in its
 * environment; its input closed, so that a command that reads it sees its end rather than hangs;
 * its output (standard error with it) read on a thread of its own, so that a full pipe never
 * blocks it, and the first {@link #OUTPUT_LIMIT} characters kept; killed, with its descendants,
 * when it is still running at the timeout, and reaped.
 *
 * @since 1.4
 */
public final class ShellCommand {

    /** The most of a command's output kept: a fence agent can be chatty. */
    public static final int OUTPUT_LIMIT = 4096;

    /**
     * What one run came to.
     *
     * @param refused why the command was not run at all (StrictModes), else empty
     * @param startError why it could not start, else null
     * @param timedOut whether it was killed at the timeout
     * @param interrupted whether the waiting thread was interrupted (the command was killed)
     * @param exit its exit code when it ended by itself, else -1
     * @param millis from its start to its end or its kill
     * @param output what it wrote, at most {@link #OUTPUT_LIMIT} characters
     */
    public record Result(List<String> refused, String startError, boolean timedOut, boolean interrupted, int exit, long millis,
            String output) {

        /** @return whether it ran and exited 0 within the timeout */
        public boolean succeeded() {
            return refused.isEmpty() && startError == null && !timedOut && !interrupted && exit == 0;
        }

        /** @return whether it ran and ended by itself within the timeout, whatever its exit */
        public boolean ended() {
            return refused.isEmpty() && startError == null && !timedOut && !interrupted;
        }

        /** @return ": " and the output's last non-blank line, or "" */
        public String lastLine() {
            String last = output.strip().lines().reduce((a, b) -> b).orElse("");
            return last.isEmpty() ? "" : ": " + last.strip();
        }
    }

    private ShellCommand() {
    }

    /**
     * Runs {@code command} and waits for it, at most {@code timeoutMillis}.
     *
     * @param environment variables added to the command's environment
     * @param started told the process once it runs (to kill it from elsewhere, at a shutdown); may be null
     */
    public static Result run(String command, Map<String, String> environment, long timeoutMillis, Consumer<Process> started) {
        List<String> refused = StrictModes.commandProblems(command);
        if (!refused.isEmpty()) {
            return new Result(refused, null, false, false, -1, 0, "");
        }
        long begun = System.nanoTime();
        Process process;
        try {
            ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", command).redirectErrorStream(true);
            builder.environment().putAll(environment);
            process = builder.start();
        } catch (IOException e) {
            return new Result(List.of(), e.getMessage(), false, false, -1, 0, "");
        }
        if (started != null) {
            started.accept(process);
        }
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // nothing was written; nothing is lost
        }
        OutputCollector output = new OutputCollector(process.getInputStream());
        output.start();
        try {
            if (!process.waitFor(Math.max(1, timeoutMillis), TimeUnit.MILLISECONDS)) {
                kill(process);
                return new Result(List.of(), null, true, false, -1, millisSince(begun), output.text());
            }
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
            return new Result(List.of(), null, false, true, -1, millisSince(begun), output.text());
        }
        long millis = millisSince(begun);
        return new Result(List.of(), null, false, false, process.exitValue(), millis, output.await());
    }

    /** Kills {@code process} and its descendants, and reaps it, so that it is gone when the next one starts. */
    public static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long millisSince(long begun) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begun);
    }

    /** Reads the command's output on its own thread, so that a full pipe never blocks the command. */
    private static final class OutputCollector extends Thread {
        private final InputStream in;
        private final StringBuilder text = new StringBuilder();

        OutputCollector(InputStream in) {
            super("migware-command-output");
            setDaemon(true);
            this.in = in;
        }

        @Override
        public void run() {
            byte[] buffer = new byte[1024];
            try (in) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    synchronized (text) {
                        if (text.length() < OUTPUT_LIMIT) {
                            text.append(new String(buffer, 0, Math.min(n, OUTPUT_LIMIT - text.length()), StandardCharsets.UTF_8));
                        }
                    }
                }
            } catch (IOException closed) {
                // the process was killed: what was read is all there is
            }
        }

        /** @return the output once the pipe closed (the command exited); a child that kept it open is not waited for */
        String await() {
            try {
                join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return text();
        }

        String text() {
            synchronized (text) {
                return text.toString();
            }
        }
    }
}
