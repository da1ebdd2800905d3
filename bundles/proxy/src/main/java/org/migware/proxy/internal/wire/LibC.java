package org.migware.proxy.internal.wire;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The libc calls of a TUN device, bound with JNA's direct mapping: {@code static native} methods
 * that take only primitives and {@link Pointer}s, so a call on the packet path allocates nothing
 * (an interface-mapped library boxes every argument into an {@code Object[]}). Packet bytes travel
 * through native {@code Memory} buffers the caller owns; {@code size_t}/{@code ssize_t} are
 * {@code long}, which is their width on the 64-bit Linux MigWare runs on. A failing call returns
 * -1 and leaves errno for {@link Native#getLastError()}.
 */
final class LibC {

    static final int O_RDWR = 0x2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int EFD_NONBLOCK = 0x800;
    static final int EFD_CLOEXEC = 0x80000;
    static final short POLLIN = 0x1;
    static final int POLLFD_SIZE = 8; // struct pollfd { int fd; short events; short revents; }
    static final int POLLFD_EVENTS_OFFSET = 4;
    static final int POLLFD_REVENTS_OFFSET = 6;
    static final int INFINITE_TIMEOUT = -1;

    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int ENXIO = 6;
    static final int EAGAIN = 11;
    static final int EACCES = 13;
    static final int EBUSY = 16;
    static final int EEXIST = 17;
    static final int ENODEV = 19;
    static final int EINVAL = 22;

    static {
        Native.register(LibC.class, Platform.C_LIBRARY_NAME);
    }

    private LibC() {
    }

    static native int open(String path, int flags);

    static native int ioctl(int fd, long request, byte[] argument);

    static native long read(int fd, Pointer buffer, long count);

    static native long write(int fd, Pointer buffer, long count);

    static native int poll(Pointer pollfds, long count, int timeoutMillis);

    static native int eventfd(int initialValue, int flags);

    static native int close(int fd);

    static native String strerror(int errno);
}
