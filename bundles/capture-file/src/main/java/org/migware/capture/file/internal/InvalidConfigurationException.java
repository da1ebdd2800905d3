package org.migware.capture.file.internal;

/**
 * A setting that is missing or wrong. The message is the one log line a person reads: it names the
 * configuration PID and key and says what would be right, so it is logged without a stack trace.
 */
public final class InvalidConfigurationException extends Exception {

    private static final long serialVersionUID = 1L;

    private final boolean notSet;

    /** @param message the whole explanation, naming the key */
    public InvalidConfigurationException(String message) {
        this(message, false);
    }

    /**
     * @param message the whole explanation, naming the key
     * @param notSet whether the setting is simply absent (a deliberate "off"), not wrong
     */
    public InvalidConfigurationException(String message, boolean notSet) {
        super(message, null, false, false);
        this.notSet = notSet;
    }

    /** @return whether the setting is absent rather than wrong */
    public boolean notSet() {
        return notSet;
    }
}
