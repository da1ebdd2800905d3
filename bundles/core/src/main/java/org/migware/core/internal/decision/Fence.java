package org.migware.core.internal.decision;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.migware.api.config.StrictModes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the site's fence command before MigWare takes the primary's connections: the primary
 * must stay down once the replica carries its clients. A primary that comes back on the same
 * address — a host that reboots, a link that returns — answers the clients' next segments for
 * connections it no longer has with resets (RFC 9293 3.10.7.1), and each client accepts the one
 * whose sequence number it expects: every migrated connection would die. Only something outside
 * the two hosts can prevent that (power it off through its management controller, shut its
 * switch port), which is what high-availability clusters call fencing or STONITH.
 *
 * <p>The command runs through {@code /bin/sh -c} with {@code MIGWARE_FAILOVER_REASON} in its
 * environment. It must exit 0 within the timeout; otherwise the fence failed and the failover is
 * not made — the primary may still be alive — and the caller tries again later. A program that
 * others than its owner can change is not run at all ({@link StrictModes}): that too is a failed fence.
 */
public final class Fence {

    private static final Logger LOG = LoggerFactory.getLogger(Fence.class);
    /** The most of the command's output kept for the log and the reason: a fence agent can be chatty. */
    private static final int OUTPUT_LIMIT = 4096;

    /**
     * What running the command came to.
     *
     * @param succeeded whether it exited 0 in time
     * @param description in words: exit code or timeout, duration, the output's last line
     */
    public record Outcome(boolean succeeded, String description) {
    }

    private final String command;
    private final long timeoutMillis;

    /**
     * @param command the shell command; blank for none
     * @param timeoutMillis how long it may take
     */
    public Fence(String command, long timeoutMillis) {
        this.command = command == null ? "" : command.trim();
        this.timeoutMillis = Math.max(1, timeoutMillis);
    }

    /** @return whether a command is configured */
    public boolean configured() {
        return !command.isEmpty();
    }

    /** @return the command, for the log and the status */
    public String command() {
        return command;
    }

    /**
     * Runs the command and waits for it, at most the timeout; a command still running then is
     * killed (with its process group's leader; a fence agent should not leave children behind).
     *
     * @param reason why MigWare fails over, passed in the environment
     * @return the outcome
     */
    public Outcome run(String reason) {
        // Checked at every run, not once: the file can change between the configuration and the failover.
        List<String> refused = StrictModes.commandProblems(command);
        if (!refused.isEmpty()) {
            return new Outcome(false, "fence command refused: " + String.join("; ", refused));
        }
        long started = System.nanoTime();
        Process process;
        try {
            ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", command).redirectErrorStream(true);
            builder.environment().put("MIGWARE_FAILOVER_REASON", reason);
            process = builder.start();
        } catch (IOException e) {
            return new Outcome(false, "fence command could not start: " + e.getMessage());
        }
        try {
            process.getOutputStream().close(); // a command that reads its input sees its end, not a hang
        } catch (IOException ignored) {
            // nothing was written; nothing is lost
        }
        OutputCollector output = new OutputCollector(process.getInputStream());
        output.start();
        boolean finished;
        try {
            finished = process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            return new Outcome(false, "fence interrupted");
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        if (!finished) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            return new Outcome(false, "fence command did not finish within " + timeoutMillis + " ms" + output.lastLine());
        }
        String text = output.await();
        if (!text.isEmpty()) {
            LOG.info("core: fence command said: {}", text.strip());
        }
        int exit = process.exitValue();
        return exit == 0
                ? new Outcome(true, "fenced in " + millis + " ms" + output.lastLine())
                : new Outcome(false, "fence command exited " + exit + " after " + millis + " ms" + output.lastLine());
    }

    /** Reads the command's output on its own thread, so that a full pipe never blocks the command. */
    private static final class OutputCollector extends Thread {
        private final InputStream in;
        private final StringBuilder text = new StringBuilder();

        OutputCollector(InputStream in) {
            super("migware-fence-output");
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

        String await() {
            try {
                join(1000); // the pipe closes when the command exits; a child that kept it open is not waited for
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (text) {
                return text.toString();
            }
        }

        /** @return ": " and the output's last non-blank line, or "" */
        String lastLine() {
            String all;
            synchronized (text) {
                all = text.toString();
            }
            String last = all.strip().lines().reduce((a, b) -> b).orElse("");
            return last.isEmpty() ? "" : ": " + last.strip();
        }
    }
}
