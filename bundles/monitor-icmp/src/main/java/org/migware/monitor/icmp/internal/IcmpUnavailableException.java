package org.migware.monitor.icmp.internal;

/** The host cannot send ICMP from here (no privilege, no raw sockets); the message is one line for the log. */
final class IcmpUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    IcmpUnavailableException(String message) {
        super(message, null, false, false);
    }
}
