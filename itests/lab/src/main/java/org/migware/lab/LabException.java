package org.migware.lab;

/**
 * Something in the lab could not be done: a missing tool, missing privileges, a command that
 * failed, or a condition that did not come true in time. The message says what and why, so a
 * failing test reads as a diagnosis rather than a stack trace.
 */
public class LabException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** @param message what failed and, where known, why */
    public LabException(String message) {
        super(message);
    }

    /**
     * @param message what failed
     * @param cause the underlying failure
     */
    public LabException(String message, Throwable cause) {
        super(message, cause);
    }
}
