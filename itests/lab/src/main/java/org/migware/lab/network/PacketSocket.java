package org.migware.lab.network;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * A Linux packet socket ({@code AF_PACKET}, {@code SOCK_RAW}) bound to one interface: every frame
 * the interface receives is read whole, with its link-layer header, and frames written are sent
 * out of it as they are. What a {@link WireBox} reads and writes with.
 *
 * <p>The socket carries a {@code virtio_net_hdr} ({@code PACKET_VNET_HDR}) before every frame:
 * veths pass TCP segments of up to 64 KiB whose checksum is still to be filled in (TSO and
 * checksum offload); the header keeps that state, so a frame sent on is exactly the frame read,
 * and the kernel finishes it as it would have. Frames the interface sends are not read
 * ({@code PACKET_IGNORE_OUTGOING}, and the packet type is checked as well), so the box never
 * reads what it sent itself. The interface is promiscuous while the socket is open
 * ({@code PACKET_MR_PROMISC}, dropped by the kernel when the socket closes).
 *
 * <p>Opened {@linkplain #open(String, int, boolean) with the VLAN tags}, the socket also reads
 * each frame's {@code PACKET_AUXDATA}: the 802.1Q tag the receiving kernel took out of the frame's
 * bytes ({@code skb_vlan_untag}) before any packet socket sees it, for a {@link VlanTrunk}.
 *
 * <p>libc is bound with JNA's direct mapping, with pointers passed as {@code long} addresses
 * (the same register on the 64-bit Linux the lab runs on), so a call on the packet path
 * allocates nothing. A failing call returns -1 and leaves errno for {@link Native#getLastError()}.
 */
final class PacketSocket implements AutoCloseable {

    /** The virtio_net_hdr in front of every frame read or written. */
    static final int VNET_HEADER = 10;

    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int ENETDOWN = 100;
    static final int POLLIN = 0x1;
    static final int POLLERR = 0x8;

    private static final int AF_PACKET = 17;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_NONBLOCK = 0x800;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int ETH_P_ALL = 0x0003;
    private static final int SOL_SOCKET = 1;
    private static final int SO_SNDBUFFORCE = 32;
    private static final int SO_RCVBUFFORCE = 33;
    private static final int SOL_PACKET = 263;
    private static final int PACKET_ADD_MEMBERSHIP = 1;
    private static final int PACKET_MR_PROMISC = 1;
    private static final int PACKET_VNET_HDR = 15;
    private static final int PACKET_IGNORE_OUTGOING = 23;
    private static final int PACKET_AUXDATA = 8;
    private static final int TP_STATUS_VLAN_VALID = 0x10;
    private static final int TP_STATUS_VLAN_TPID_VALID = 0x40;
    private static final int PACKET_OUTGOING = 4;
    private static final int MSG_TRUNC = 0x20;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int EPERM = 1;
    private static final int EACCES = 13;
    private static final int EAFNOSUPPORT = 97;
    private static final int SOCKADDR_LL_SIZE = 20;
    private static final int SLL_PKTTYPE_OFFSET = 10;
    private static final int PACKET_MREQ_SIZE = 16;
    // struct msghdr and struct iovec of 64-bit Linux, one after the other, then the control buffer
    private static final int MSG_NAME_OFFSET = 0;
    private static final int MSG_NAMELEN_OFFSET = 8;
    private static final int MSG_IOV_OFFSET = 16;
    private static final int MSG_IOVLEN_OFFSET = 24;
    private static final int MSG_CONTROL_OFFSET = 32;
    private static final int MSG_CONTROLLEN_OFFSET = 40;
    private static final int MSGHDR_SIZE = 56;
    private static final int IOV_BASE_OFFSET = MSGHDR_SIZE;
    private static final int IOV_LEN_OFFSET = MSGHDR_SIZE + 8;
    private static final int CONTROL_OFFSET = MSGHDR_SIZE + 16;
    /** CMSG_SPACE(sizeof(struct tpacket_auxdata)) is 40; room for one more message the kernel may add. */
    private static final int CONTROL_SIZE = 128;
    // struct cmsghdr: cmsg_len (size_t), cmsg_level, cmsg_type, then the data, 8-byte aligned
    private static final int CMSG_LEVEL_OFFSET = 8;
    private static final int CMSG_TYPE_OFFSET = 12;
    private static final int CMSG_HEADER = 16;
    // struct tpacket_auxdata: tp_status, tp_len, tp_snaplen (u32), tp_mac, tp_net, tp_vlan_tci, tp_vlan_tpid (u16)
    private static final int AUXDATA_SIZE = 20;
    private static final int AUX_VLAN_TCI_OFFSET = 16;
    private static final int AUX_VLAN_TPID_OFFSET = 18;

    private final String interfaceName;
    private final int fd;
    /** The sender's address of the last frame read: only its packet type is looked at. */
    private final Memory from = new Memory(SOCKADDR_LL_SIZE);
    private final long fromAddress = Pointer.nativeValue(from);
    /** The msghdr of every read, its iovec and its control buffer: only the iovec and two lengths change per frame. */
    private final Memory message = new Memory(CONTROL_OFFSET + CONTROL_SIZE);
    private final long messageAddress = Pointer.nativeValue(message);
    private final boolean vlanTags;
    private int vlanTci = -1;
    private int vlanTpid;
    private long errors;

    private PacketSocket(String interfaceName, int fd, boolean vlanTags) {
        this.interfaceName = interfaceName;
        this.fd = fd;
        this.vlanTags = vlanTags;
        message.clear();
        message.setLong(MSG_NAME_OFFSET, fromAddress);
        message.setLong(MSG_IOV_OFFSET, messageAddress + IOV_BASE_OFFSET);
        message.setLong(MSG_IOVLEN_OFFSET, 1);
        message.setLong(MSG_CONTROL_OFFSET, vlanTags ? messageAddress + CONTROL_OFFSET : 0);
    }

    /**
     * Opens a packet socket on an interface of the calling process's network namespace.
     *
     * @param interfaceName the interface
     * @param bufferBytes the socket's receive and send buffer
     * @return the socket, bound, the interface promiscuous
     * @throws IllegalStateException with what is wrong and what to do: no such interface, no
     *         AF_PACKET in the kernel, no privilege
     */
    static PacketSocket open(String interfaceName, int bufferBytes) {
        return open(interfaceName, bufferBytes, false);
    }

    /**
     * As {@link #open(String, int)}, and with {@code vlanTags}, each read also gets the VLAN tag the kernel took
     * out of the frame ({@link #vlanTci()}).
     *
     * @param interfaceName the interface
     * @param bufferBytes the socket's receive and send buffer
     * @param vlanTags whether to read the frames' {@code PACKET_AUXDATA}
     * @return the socket
     */
    static PacketSocket open(String interfaceName, int bufferBytes, boolean vlanTags) {
        int ifindex = Libc.if_nametoindex(interfaceName);
        if (ifindex == 0) {
            throw new IllegalStateException("no interface '" + interfaceName + "' in this network namespace");
        }
        // Protocol 0: nothing is queued before bind() names the interface (else frames of every interface would be).
        int fd = Libc.socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            int errno = Native.getLastError();
            if (errno == EAFNOSUPPORT) {
                throw new IllegalStateException("this kernel has no packet sockets (AF_PACKET, CONFIG_PACKET), which the"
                        + " wire-impairment box reads and writes frames with");
            }
            if (errno == EPERM || errno == EACCES) {
                throw new IllegalStateException("a packet socket needs root (CAP_NET_RAW): " + Libc.strerror(errno));
            }
            throw new IllegalStateException("socket(AF_PACKET): " + Libc.strerror(errno));
        }
        PacketSocket socket = new PacketSocket(interfaceName, fd, vlanTags);
        try (Memory option = new Memory(PACKET_MREQ_SIZE)) {
            option.clear();
            option.setInt(0, 1);
            socket.setOption(SOL_PACKET, PACKET_VNET_HDR, option, 4, "PACKET_VNET_HDR");
            if (vlanTags) {
                socket.setOption(SOL_PACKET, PACKET_AUXDATA, option, 4, "PACKET_AUXDATA");
            }
            // Older kernels (before 4.20) lack it; read() checks the packet type anyway.
            Libc.setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, Pointer.nativeValue(option), 4);
            option.setInt(0, bufferBytes);
            socket.setOption(SOL_SOCKET, SO_RCVBUFFORCE, option, 4, "SO_RCVBUFFORCE");
            socket.setOption(SOL_SOCKET, SO_SNDBUFFORCE, option, 4, "SO_SNDBUFFORCE");

            Memory address = new Memory(SOCKADDR_LL_SIZE);
            address.clear();
            address.setShort(0, (short) AF_PACKET);
            address.setByte(2, (byte) (ETH_P_ALL >>> 8)); // sll_protocol, network byte order
            address.setByte(3, (byte) ETH_P_ALL);
            address.setInt(4, ifindex);
            if (Libc.bind(fd, Pointer.nativeValue(address), SOCKADDR_LL_SIZE) != 0) {
                throw new IllegalStateException("bind to " + interfaceName + ": " + Libc.strerror(Native.getLastError()));
            }
            address.close();

            option.clear();
            option.setInt(0, ifindex);
            option.setShort(4, (short) PACKET_MR_PROMISC);
            socket.setOption(SOL_PACKET, PACKET_ADD_MEMBERSHIP, option, PACKET_MREQ_SIZE, "PACKET_ADD_MEMBERSHIP promisc");
        } catch (RuntimeException e) {
            socket.close();
            throw e;
        }
        return socket;
    }

    private void setOption(int level, int name, Memory value, int length, String what) {
        if (Libc.setsockopt(fd, level, name, Pointer.nativeValue(value), length) != 0) {
            throw new IllegalStateException("setsockopt " + what + " on " + interfaceName + ": "
                    + Libc.strerror(Native.getLastError()));
        }
    }

    /** @return the descriptor, for poll */
    int fd() {
        return fd;
    }

    /**
     * Reads the next frame, without waiting.
     *
     * @param address where to put it: the virtio_net_hdr, then the frame
     * @param capacity the room there
     * @return the length read, header included, or more than {@code capacity} when the frame did not
     *         fit (it is cut); {@link WireDirection#NOTHING} when nothing waits (or the interface went
     *         down); {@link WireDirection#SKIP} for a frame the interface sent
     */
    int read(long address, int capacity) {
        message.setInt(MSG_NAMELEN_OFFSET, SOCKADDR_LL_SIZE);
        message.setLong(IOV_BASE_OFFSET, address);
        message.setLong(IOV_LEN_OFFSET, capacity);
        message.setLong(MSG_CONTROLLEN_OFFSET, vlanTags ? CONTROL_SIZE : 0);
        vlanTci = -1;
        long n = Libc.recvmsg(fd, messageAddress, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0) {
            int errno = Native.getLastError();
            if (errno != EAGAIN && errno != EINTR && errno != ENETDOWN) {
                errors++;
            }
            return WireDirection.NOTHING;
        }
        if (n == 0 || from.getByte(SLL_PKTTYPE_OFFSET) == PACKET_OUTGOING) {
            return WireDirection.SKIP;
        }
        if (vlanTags) {
            readVlanTag();
        }
        return (int) Math.min(n, Integer.MAX_VALUE);
    }

    /** Finds the tpacket_auxdata among the control messages of the last read and keeps its tag, if it has one. */
    private void readVlanTag() {
        long controlLength = Math.min(message.getLong(MSG_CONTROLLEN_OFFSET), CONTROL_SIZE);
        long offset = 0;
        while (offset + CMSG_HEADER <= controlLength) {
            long cmsg = CONTROL_OFFSET + offset;
            long length = message.getLong(cmsg);
            if (length < CMSG_HEADER || offset + length > controlLength) {
                return;
            }
            if (message.getInt(cmsg + CMSG_LEVEL_OFFSET) == SOL_PACKET && message.getInt(cmsg + CMSG_TYPE_OFFSET) == PACKET_AUXDATA
                    && length >= CMSG_HEADER + AUXDATA_SIZE) {
                long data = cmsg + CMSG_HEADER;
                int status = message.getInt(data);
                if ((status & TP_STATUS_VLAN_VALID) != 0) {
                    vlanTci = message.getShort(data + AUX_VLAN_TCI_OFFSET) & 0xffff;
                    vlanTpid = (status & TP_STATUS_VLAN_TPID_VALID) != 0
                            ? message.getShort(data + AUX_VLAN_TPID_OFFSET) & 0xffff : VlanTag.TPID;
                }
                return;
            }
            offset += (length + 7) & ~7L;
        }
    }

    /**
     * @return the tag control information (priority, DEI, VLAN id) the kernel took out of the last frame
     *         {@link #read}, -1 when it had no tag or the socket was opened without VLAN tags
     */
    int vlanTci() {
        return vlanTci;
    }

    /** @return the protocol identifier of that tag (0x8100, 0x88a8); only when {@link #vlanTci()} is not -1 */
    int vlanTpid() {
        return vlanTpid;
    }

    /** @return reads that failed other than for an empty queue, a signal or a downed interface */
    long errors() {
        return errors;
    }

    /**
     * Sends one frame, without waiting.
     *
     * @param address the virtio_net_hdr, then the frame, as {@link #read} gave it
     * @param length their length
     * @return whether the kernel took it (not when the interface is down or out of buffers)
     */
    boolean send(long address, int length) {
        return Libc.send(fd, address, length, MSG_DONTWAIT) == length;
    }

    @Override
    public void close() {
        Libc.close(fd);
    }

    /**
     * Waits until one of the descriptors in {@code pollfds} is readable, or the time is up.
     *
     * @param pollfds an array of {@code struct pollfd}
     * @param count how many
     * @param timespec a {@code struct timespec} with the longest wait
     * @return what ppoll(2) returns; -1 with errno on failure
     */
    static int poll(long pollfds, int count, long timespec) {
        return Libc.ppoll(pollfds, count, timespec, 0);
    }

    /** @return errno of the last failed call on this thread, as text */
    static String lastError() {
        return Libc.strerror(Native.getLastError());
    }

    /** @return errno of the last failed call on this thread */
    static int lastErrno() {
        return Native.getLastError();
    }

    /**
     * Lets this thread's timed waits end within {@code nanos} of their time instead of the default
     * 50 µs, best effort (prctl PR_SET_TIMERSLACK).
     *
     * @param nanos the slack
     */
    static void timerSlack(long nanos) {
        Libc.prctl(29, nanos, 0, 0, 0);
    }

    private static final class Libc {
        static {
            Native.register(Libc.class, Platform.C_LIBRARY_NAME);
        }

        private Libc() {
        }

        static native int if_nametoindex(String name);

        static native int socket(int domain, int type, int protocol);

        static native int setsockopt(int fd, int level, int name, long value, int length);

        static native int bind(int fd, long address, int length);

        static native long recvmsg(int fd, long message, int flags);

        static native long send(int fd, long buffer, long length, int flags);

        static native int ppoll(long fds, long count, long timeout, long sigmask);

        static native int prctl(int option, long arg2, long arg3, long arg4, long arg5);

        static native int close(int fd);

        static native String strerror(int errno);
    }
}
