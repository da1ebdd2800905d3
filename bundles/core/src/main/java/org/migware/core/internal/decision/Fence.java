package org.migware.core.internal.decision;

import java.util.Map;

import org.migware.api.config.ShellCommand;
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
     * killed with its descendants ({@link ShellCommand}).
     *
     * @param reason why MigWare fails over, passed in the environment
     * @return the outcome
     */
    public Outcome run(String reason) {
        ShellCommand.Result run = ShellCommand.run(command, Map.of("MIGWARE_FAILOVER_REASON", reason), timeoutMillis, null);
        if (!run.refused().isEmpty()) {
            return new Outcome(false, "fence command refused: " + String.join("; ", run.refused()));
        }
        if (run.startError() != null) {
            return new Outcome(false, "fence command could not start: " + run.startError());
        }
        if (run.interrupted()) {
            return new Outcome(false, "fence interrupted");
        }
        if (run.timedOut()) {
            return new Outcome(false, "fence command did not finish within " + timeoutMillis + " ms" + run.lastLine());
        }
        if (!run.output().isEmpty()) {
            LOG.info("core: fence command said: {}", run.output().strip());
        }
        return run.exit() == 0
                ? new Outcome(true, "fenced in " + run.millis() + " ms" + run.lastLine())
                : new Outcome(false, "fence command exited " + run.exit() + " after " + run.millis() + " ms" + run.lastLine());
    }
}
