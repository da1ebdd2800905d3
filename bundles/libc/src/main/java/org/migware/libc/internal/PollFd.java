package org.migware.libc.internal;

/**
 * The layout of Linux's {@code struct pollfd { int fd; short events; short revents; }} and the
 * event that MigWare's bindings wait for, for a binding that passes the struct as bytes.
 */
public final class PollFd {

    public static final int SIZE = 8;
    public static final int FD_OFFSET = 0;
    public static final int EVENTS_OFFSET = 4;
    public static final int REVENTS_OFFSET = 6;

    public static final short POLLIN = 0x1;
    /** poll(2)'s timeout for "wait until an event". */
    public static final int INFINITE_TIMEOUT = -1;

    private PollFd() {
    }
}
