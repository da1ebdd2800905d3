package org.migware.lab;

import java.time.Duration;
import java.util.List;

/**
 * The outcome of a command run to completion (or until its timeout) by {@link LabNetwork#exec}.
 *
 * @param command the command line as executed (including any {@code ip netns exec} wrapper)
 * @param exitCode the exit code, or -1 when the command timed out and was killed
 * @param stdout everything the command wrote to standard output
 * @param stderr everything the command wrote to standard error
 * @param timedOut true when the timeout expired and the command's process tree was killed
 * @param elapsed wall-clock time from start to exit (or kill)
 */
public record ExecResult(List<String> command, int exitCode, String stdout, String stderr,
                         boolean timedOut, Duration elapsed) {

    /** @return true when the command finished in time with exit code 0 */
    public boolean ok() {
        return !timedOut && exitCode == 0;
    }

    /**
     * @return this result, for chaining
     * @throws LabException naming the command, its exit code and its stderr, unless {@link #ok()}
     */
    public ExecResult requireSuccess() {
        if (!ok()) {
            throw new LabException(describeFailure());
        }
        return this;
    }

    /** @return a one-paragraph description of why this result is not ok, for error messages */
    public String describeFailure() {
        String how = timedOut ? "timed out after " + elapsed.toMillis() + " ms" : "exited with " + exitCode;
        String err = stderr.isBlank() ? stdout.strip() : stderr.strip();
        return "command " + String.join(" ", command) + " " + how + (err.isEmpty() ? "" : ": " + err);
    }
}
