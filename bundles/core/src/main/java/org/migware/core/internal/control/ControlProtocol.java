package org.migware.core.internal.control;

/**
 * The control socket's protocol: the client sends one command line ending in a newline; the
 * server answers with the command's output, then one trailer line {@code #exit=N}, and closes.
 */
final class ControlProtocol {

    static final String EXIT_TRAILER = "#exit=";

    private ControlProtocol() {
    }
}
