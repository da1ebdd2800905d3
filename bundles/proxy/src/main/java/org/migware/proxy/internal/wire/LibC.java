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
 * -1 and leaves errno for {@link Native#getLastError()}. The errno values and the pollfd layout
 * are {@link org.migware.libc.internal.Errno} and {@link org.migware.libc.internal.PollFd}, shared
 * with the other libc bindings.
 */
final class LibC {

    static final int O_RDWR = 0x2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int EFD_NONBLOCK = 0x800;
    static final int EFD_CLOEXEC = 0x80000;
    static {
        Native.register(LibC.class, Platform.C_LIBRARY_NAME);
    }

    private LibC() {
    }

    static native int open(String path, int flags);

    static native int ioctl(int fd, long request, byte[] argument);

    /** An ioctl whose argument is a value, not a pointer (e.g. TUNSETOWNER's uid). */
    static native int ioctl(int fd, long request, long argument);

    static native int geteuid();

    static native long read(int fd, Pointer buffer, long count);

    static native long write(int fd, Pointer buffer, long count);

    static native int poll(Pointer pollfds, long count, int timeoutMillis);

    static native int eventfd(int initialValue, int flags);

    static native int close(int fd);

    static native String strerror(int errno);
}
