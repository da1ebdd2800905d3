package org.migware.monitor.icmp.internal;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.NativeLong;

/**
 * The libc calls of a raw ICMP socket. Structures are passed as byte arrays in native byte order
 * (JNA copies arrays in and back out); {@code size_t} and {@code ssize_t} are {@link NativeLong},
 * which has their width on Linux. Failing calls throw {@link LastErrorException} with errno, whose
 * values are in {@link org.migware.libc.internal.Errno}, shared with the other libc bindings; the
 * pollfd layout is {@link org.migware.libc.internal.PollFd}'s and the protocol numbers are
 * {@link org.migware.api.wire.IpProtocol}'s.
 */
interface RawSocketLibC extends Library {

    int AF_INET = 2;
    int AF_INET6 = 10;
    int SOCK_RAW = 3;
    int SOCK_CLOEXEC = 0x80000;
    int SOL_RAW = 255;
    int ICMP_FILTER = 1;
    int MSG_DONTWAIT = 0x40;

    int socket(int domain, int type, int protocol) throws LastErrorException;

    int setsockopt(int fd, int level, int name, byte[] value, int length) throws LastErrorException;

    NativeLong sendto(int fd, byte[] buffer, NativeLong length, int flags, byte[] address, int addressLength)
            throws LastErrorException;

    int poll(byte[] pollfds, NativeLong count, int timeoutMillis) throws LastErrorException;

    NativeLong recvfrom(int fd, byte[] buffer, NativeLong length, int flags, byte[] address, int[] addressLength)
            throws LastErrorException;

    int close(int fd) throws LastErrorException;

    String strerror(int errno);
}
