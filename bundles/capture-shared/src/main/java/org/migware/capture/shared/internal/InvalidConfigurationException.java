package org.migware.capture.shared.internal;

/**
 * A setting that is missing or wrong, or a host that cannot capture as configured. The message is
 * the one log line a person reads: it names the configuration key (or the missing privilege) and
 * says what would be right, so it is logged without a stack trace.
 */
public final class InvalidConfigurationException extends Exception {

    private static final long serialVersionUID = 1L;

    /** @param message the whole explanation */
    public InvalidConfigurationException(String message) {
        super(message, null, false, false);
    }
}
