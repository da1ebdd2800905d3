package org.migware.proxy.internal.wire;

/**
 * The TUN device cannot be created or set up here (no driver, no privilege, the name is taken, an
 * {@code ip} command failed). The message is one line that says what to do; there is no stack
 * trace, because the cause is the host's configuration, not the code.
 */
public final class TunUnavailableException extends Exception {

    private static final long serialVersionUID = 1L;

    TunUnavailableException(String message) {
        super(message, null, false, false);
    }
}
