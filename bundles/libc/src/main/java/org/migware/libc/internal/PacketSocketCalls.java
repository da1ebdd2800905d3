package org.migware.libc.internal;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The libc calls of a Linux packet socket ({@code AF_PACKET}) with a memory-mapped ring, bound with
 * JNA's direct mapping: {@code static native} methods that take only primitives and
 * {@link Pointer}s, so a call on the packet path allocates nothing. Structures are native memory
 * the caller owns, laid out as {@link PacketSocketLayout} says; {@code size_t}/{@code ssize_t}/
 * {@code off_t} are {@code long}, their width on the 64-bit Linux MigWare runs on. A failing call
 * returns -1 (mmap: {@link #MAP_FAILED}) and leaves errno for {@link Native#getLastError()}, whose
 * values are {@link Errno}'s; {@link #strerror} turns it into words for a log line.
 *
 * <p>One copy for every binding of these calls: a bundle that uses them carries this package
 * privately (bnd {@code -conditionalpackage}).
 */
public final class PacketSocketCalls {

    /** What mmap returns when it fails: {@code (void *) -1}. */
    public static final long MAP_FAILED = -1L;

    static {
        Native.register(PacketSocketCalls.class, Platform.C_LIBRARY_NAME);
    }

    private PacketSocketCalls() {
    }

    public static native int socket(int domain, int type, int protocol);

    public static native int setsockopt(int fd, int level, int name, Pointer value, int length);

    public static native int getsockopt(int fd, int level, int name, Pointer value, Pointer length);

    public static native int bind(int fd, Pointer address, int addressLength);

    public static native Pointer mmap(Pointer address, long length, int protection, int flags, int fd, long offset);

    public static native int munmap(Pointer address, long length);

    public static native int poll(Pointer pollfds, long count, int timeoutMillis);

    public static native long sendto(int fd, Pointer buffer, long length, int flags, Pointer address, int addressLength);

    public static native int if_nametoindex(String name);

    public static native int close(int fd);

    public static native String strerror(int errno);

    /** @return errno's words and number, for a message: "No such device (errno 19)" */
    public static String lastError() {
        int errno = Native.getLastError();
        return strerror(errno) + " (errno " + errno + ")";
    }
}
