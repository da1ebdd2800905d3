package org.migware.monitor.icmp.internal;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.migware.api.wire.IpProtocol;
import org.migware.libc.internal.Errno;
import org.migware.libc.internal.PollFd;
import org.migware.monitor.support.ProbeResult;

import com.sun.jna.LastErrorException;
import com.sun.jna.NativeLong;

/**
 * A raw ICMP (or ICMPv6) socket that pings one target: {@code socket(AF_INET, SOCK_RAW,
 * IPPROTO_ICMP)}, {@code sendto}, {@code poll} up to the timeout, {@code recvfrom}. A raw socket
 * receives every ICMP message the host gets, so answers are matched by source, identifier (one per
 * monitor instance) and sequence number; late replies to earlier requests are skipped.
 *
 * <p>{@link #ping} and {@link #close} are synchronized: closing waits for a ping in progress, so the
 * file descriptor is never used after it was closed (and perhaps reused).
 */
final class IcmpSocket implements AutoCloseable {

    private static final int RECEIVE_BUFFER = 1500;

    private final RawSocketLibC libc;
    private final int fd;
    private final boolean ipv6;
    private final byte[] target;
    private final byte[] targetSockaddr;
    private final int identifier;
    private final String targetText;
    private boolean closed;

    private IcmpSocket(RawSocketLibC libc, int fd, InetAddress target, int identifier) {
        this.libc = libc;
        this.fd = fd;
        this.ipv6 = target instanceof Inet6Address;
        this.target = target.getAddress();
        this.targetSockaddr = sockaddr(target);
        this.identifier = identifier & 0xffff;
        this.targetText = target.getHostAddress();
    }

    /**
     * Opens the socket.
     *
     * @throws IcmpUnavailableException with one line that says what to do (run as root, ...)
     */
    static IcmpSocket open(RawSocketLibC libc, InetAddress target, int identifier) {
        boolean ipv6 = target instanceof Inet6Address;
        int fd;
        try {
            fd = libc.socket(ipv6 ? RawSocketLibC.AF_INET6 : RawSocketLibC.AF_INET, RawSocketLibC.SOCK_RAW | RawSocketLibC.SOCK_CLOEXEC,
                    ipv6 ? IpProtocol.ICMPV6 : IpProtocol.ICMP);
        } catch (LastErrorException e) {
            int errno = e.getErrorCode();
            if (errno == Errno.EPERM || errno == Errno.EACCES) {
                throw new IcmpUnavailableException("ICMP needs a raw socket: run MigWare as root or grant it CAP_NET_RAW ("
                        + "socket: " + libc.strerror(errno) + ")");
            }
            throw new IcmpUnavailableException("cannot open a raw " + (ipv6 ? "ICMPv6" : "ICMP") + " socket: "
                    + libc.strerror(errno));
        }
        if (!ipv6) {
            // Let only echo replies and the errors that may answer a request through to this socket.
            int pass = (1 << IcmpPackets.V4_ECHO_REPLY) | (1 << IcmpPackets.V4_DESTINATION_UNREACHABLE)
                    | (1 << IcmpPackets.V4_TIME_EXCEEDED);
            byte[] filter = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(~pass).array();
            try {
                libc.setsockopt(fd, RawSocketLibC.SOL_RAW, RawSocketLibC.ICMP_FILTER, filter, filter.length);
            } catch (LastErrorException e) {
                // only an optimisation: every answer is matched anyway
            }
        }
        return new IcmpSocket(libc, fd, target, identifier);
    }

    /**
     * Sends one echo request and waits for its reply.
     *
     * @return a success with the round-trip time, or a miss saying why
     */
    synchronized ProbeResult ping(int sequence, Duration timeout) {
        if (closed) {
            return ProbeResult.unknown("the ICMP socket is closed");
        }
        sequence &= 0xffff;
        long started = System.nanoTime();
        long deadline = started + timeout.toNanos();
        byte[] request = IcmpPackets.echoRequest(ipv6, identifier, sequence, started);
        try {
            libc.sendto(fd, request, new NativeLong(request.length), 0, targetSockaddr, targetSockaddr.length);
        } catch (LastErrorException e) {
            return ProbeResult.miss("cannot send the echo request to " + targetText + ": " + libc.strerror(e.getErrorCode()));
        }
        byte[] buffer = new byte[RECEIVE_BUFFER];
        byte[] from = new byte[28];
        int[] fromLength = new int[1];
        byte[] pollfd = ByteBuffer.allocate(PollFd.SIZE).order(ByteOrder.nativeOrder()).putInt(fd).putShort(PollFd.POLLIN).putShort((short) 0).array();
        int lateLooks = 0;
        while (true) {
            long remaining = deadline - System.nanoTime();
            // Past the deadline, still look once at what has arrived: when this host stalls (GC, a
            // busy CPU), the reply is often waiting in the socket, and the primary answered in time.
            boolean last = remaining <= 0;
            if (last && ++lateLooks > MAX_LATE_LOOKS) {
                // a stream of other ICMP traffic must not keep a late probe reading forever
                return ProbeResult.miss("no echo reply within " + timeout.toMillis() + " ms");
            }
            try {
                int ready = libc.poll(pollfd, new NativeLong(1),
                        last ? 0 : (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(remaining + 999_999)));
                if (ready == 0) {
                    if (last) {
                        return ProbeResult.miss("no echo reply within " + timeout.toMillis() + " ms");
                    }
                    continue;
                }
            } catch (LastErrorException e) {
                if (e.getErrorCode() == Errno.EINTR) {
                    continue;
                }
                return ProbeResult.unknown("poll on the ICMP socket failed: " + libc.strerror(e.getErrorCode()));
            }
            int length;
            fromLength[0] = from.length;
            try {
                length = libc.recvfrom(fd, buffer, new NativeLong(buffer.length), RawSocketLibC.MSG_DONTWAIT, from, fromLength).intValue();
            } catch (LastErrorException e) {
                if (e.getErrorCode() == Errno.EAGAIN || e.getErrorCode() == Errno.EINTR) {
                    continue;
                }
                return ProbeResult.unknown("recvfrom on the ICMP socket failed: " + libc.strerror(e.getErrorCode()));
            }
            byte[] source = ipv6 ? java.util.Arrays.copyOfRange(from, 8, 24) : null;
            IcmpPackets.Answer answer = IcmpPackets.match(buffer, length, ipv6, source, target, identifier, sequence);
            if (answer == null) {
                continue;
            }
            if (answer.kind() == IcmpPackets.Kind.REPLY) {
                return ProbeResult.success(String.format(Locale.ROOT, "echo reply in %.2f ms", (System.nanoTime() - started) / 1e6));
            }
            return ProbeResult.miss(IcmpPackets.describeError(ipv6, answer.type(), answer.code()) + " from "
                    + addressText(answer.from()));
        }
    }

    /** Packets examined after the deadline before a probe gives up. */
    private static final int MAX_LATE_LOOKS = 64;

    int identifier() {
        return identifier;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            try {
                libc.close(fd);
            } catch (LastErrorException e) {
                // nothing left to do with it
            }
        }
    }

    /** @return a {@code sockaddr_in} or {@code sockaddr_in6} (port 0), family in native byte order */
    private static byte[] sockaddr(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (address instanceof Inet6Address v6) {
            ByteBuffer sockaddr = ByteBuffer.allocate(28);
            sockaddr.order(ByteOrder.nativeOrder()).putShort((short) RawSocketLibC.AF_INET6);
            sockaddr.order(ByteOrder.BIG_ENDIAN).putShort((short) 0).putInt(0).put(bytes);
            sockaddr.order(ByteOrder.nativeOrder()).putInt(v6.getScopeId());
            return sockaddr.array();
        }
        ByteBuffer sockaddr = ByteBuffer.allocate(16);
        sockaddr.order(ByteOrder.nativeOrder()).putShort((short) RawSocketLibC.AF_INET);
        sockaddr.order(ByteOrder.BIG_ENDIAN).putShort((short) 0).put(bytes);
        return sockaddr.array();
    }

    private static String addressText(byte[] address) {
        try {
            return InetAddress.getByAddress(address).getHostAddress();
        } catch (java.net.UnknownHostException e) {
            return "?";
        }
    }
}
