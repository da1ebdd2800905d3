package org.migware.capture.ring.internal;

import static org.migware.libc.internal.PacketSocketLayout.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.StampedLock;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

import org.migware.capture.shared.internal.CaptureException;
import org.migware.capture.shared.internal.CaptureSettings;
import org.migware.libc.internal.Errno;
import org.migware.libc.internal.PacketSocketCalls;
import org.migware.libc.internal.PollFd;

/**
 * One packet socket ({@code AF_PACKET}, {@code SOCK_RAW}) on one interface, with its TPACKET_V3
 * receive ring mapped into this process, its kernel filter, promiscuous membership, statistics, and
 * {@code sendto} for injection.
 *
 * <p>Opening order matters: the socket is created with protocol 0, which receives nothing, gets its
 * filter and its ring, and only then is bound to the interface with {@code ETH_P_ALL}, so no frame
 * that the filter would refuse is ever queued.
 *
 * <p>{@link #send} may be called from any thread while the capture thread reads the ring;
 * {@link #close()} waits for sends in progress (a stamped lock) so that no send ever uses a closed
 * (and possibly reused) descriptor.
 */
final class PacketRing implements AutoCloseable {

    private final String interfaceName;
    private final RingGeometry geometry;
    private final int fd;
    private final int ifindex;
    private final Pointer mapping;
    private final ByteBuffer ring;
    private final Memory destination = new Memory(SLL_SIZE);
    private final Memory pollfd = new Memory(PollFd.SIZE);
    private final Memory stats = new Memory(STATS3_SIZE);
    private final Memory statsLength = new Memory(4);
    private final StampedLock lock = new StampedLock();
    private boolean closed; // guarded by lock's write mode

    private PacketRing(String interfaceName, RingGeometry geometry, int fd, int ifindex, Pointer mapping) {
        this.interfaceName = interfaceName;
        this.geometry = geometry;
        this.fd = fd;
        this.ifindex = ifindex;
        this.mapping = mapping;
        this.ring = mapping.getByteBuffer(0, geometry.ringBytes()).order(ByteOrder.nativeOrder());
        destination.clear();
        destination.setShort(SLL_FAMILY, (short) AF_PACKET);
        destination.setShort(SLL_PROTOCOL, Short.reverseBytes((short) ETH_P_ALL));
        destination.setInt(SLL_IFINDEX, ifindex);
        destination.setByte(SLL_HALEN, (byte) 6);
        pollfd.clear();
        pollfd.setInt(PollFd.FD_OFFSET, fd);
        pollfd.setShort(PollFd.EVENTS_OFFSET, PollFd.POLLIN);
    }

    /**
     * @param settings the validated capture settings
     * @param geometry the ring's shape
     * @return the bound socket with its ring
     * @throws CaptureException with the kernel's (or libpcap's) reason, naming the interface
     */
    static PacketRing open(CaptureSettings settings, RingGeometry geometry) throws CaptureException {
        String name = settings.interfaceName();
        int fd;
        int ifindex;
        try {
            ifindex = PacketSocketCalls.if_nametoindex(name);
            if (ifindex == 0) {
                throw new CaptureException("cannot capture on '" + name + "': " + PacketSocketCalls.lastError());
            }
            String type = linkType(name);
            if (!"1".equals(type)) { // ARPHRD_ETHER
                throw new CaptureException("'" + name + "' has link type " + type + " (not ARPHRD_ETHER, 1);"
                        + " MigWare captures Ethernet interfaces only");
            }
            fd = PacketSocketCalls.socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0); // receives nothing until bound
        } catch (LinkageError e) {
            throw new CaptureException("cannot bind libc through JNA: " + e);
        }
        if (fd < 0) {
            throw new CaptureException("cannot capture on '" + name + "': socket(AF_PACKET): " + PacketSocketCalls.lastError());
        }
        Pointer mapping = null;
        try {
            try (PcapCompiler.Program program = PcapCompiler.compile(settings.filter(), settings.snapshotLength())) {
                check(name, "SO_ATTACH_FILTER", PacketSocketCalls.setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER,
                        program.fprog(), FPROG_SIZE));
            } catch (IllegalArgumentException e) {
                throw new CaptureException("cannot compile the filter for '" + name + "': " + e.getMessage()
                        + " (" + settings.filter() + ")");
            } catch (LinkageError e) {
                throw new CaptureException("cannot load libpcap through JNA (is the libpcap0.8 package installed?): " + e);
            }
            setInt(fd, name, PACKET_VERSION, "PACKET_VERSION TPACKET_V3", TPACKET_V3);
            if (settings.direction() == CaptureSettings.Direction.IN) {
                setInt(fd, name, PACKET_IGNORE_OUTGOING, "PACKET_IGNORE_OUTGOING (Linux 4.20 or later)", 1);
            }
            try (Memory request = new Memory(REQ3_SIZE)) {
                request.clear();
                request.setInt(REQ3_BLOCK_SIZE, geometry.blockSize());
                request.setInt(REQ3_BLOCK_NR, geometry.blockCount());
                request.setInt(REQ3_FRAME_SIZE, RingGeometry.FRAME_SIZE);
                request.setInt(REQ3_FRAME_NR, geometry.frameCount());
                request.setInt(REQ3_RETIRE_BLK_TOV, geometry.blockTimeoutMillis());
                check(name, "PACKET_RX_RING of " + geometry.blockCount() + " blocks of " + geometry.blockSize() + " bytes",
                        PacketSocketCalls.setsockopt(fd, SOL_PACKET, PACKET_RX_RING, request, REQ3_SIZE));
            }
            mapping = PacketSocketCalls.mmap(null, geometry.ringBytes(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
            if (mapping == null || Pointer.nativeValue(mapping) == PacketSocketCalls.MAP_FAILED) {
                mapping = null;
                throw new CaptureException("cannot map the ring of '" + name + "' (" + geometry.ringBytes() + " bytes): "
                        + PacketSocketCalls.lastError());
            }
            try (Memory membership = new Memory(MREQ_SIZE)) {
                membership.clear();
                membership.setInt(MREQ_IFINDEX, ifindex);
                membership.setShort(MREQ_TYPE, (short) PACKET_MR_PROMISC);
                check(name, "PACKET_ADD_MEMBERSHIP (promiscuous)",
                        PacketSocketCalls.setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, membership, MREQ_SIZE));
            }
            try (Memory address = new Memory(SLL_SIZE)) {
                address.clear();
                address.setShort(SLL_FAMILY, (short) AF_PACKET);
                address.setShort(SLL_PROTOCOL, Short.reverseBytes((short) ETH_P_ALL));
                address.setInt(SLL_IFINDEX, ifindex);
                check(name, "bind", PacketSocketCalls.bind(fd, address, SLL_SIZE));
            }
            return new PacketRing(name, geometry, fd, ifindex, mapping);
        } catch (CaptureException | RuntimeException | Error e) {
            if (mapping != null) {
                PacketSocketCalls.munmap(mapping, geometry.ringBytes());
            }
            PacketSocketCalls.close(fd);
            throw e;
        }
    }

    /** @return the mapped ring, in native byte order; valid until {@link #close()} */
    ByteBuffer ring() {
        return ring;
    }

    RingGeometry geometry() {
        return geometry;
    }

    String interfaceName() {
        return interfaceName;
    }

    /**
     * Waits until the kernel has a block for us (or the timeout). Called by the capture thread only.
     *
     * @return false when the socket has an error (the interface went away)
     * @throws CaptureException when poll itself fails
     */
    boolean await(int timeoutMillis) throws CaptureException {
        int ready = PacketSocketCalls.poll(pollfd, 1, timeoutMillis);
        if (ready < 0) {
            int errno = com.sun.jna.Native.getLastError();
            if (errno == Errno.EINTR) {
                return true;
            }
            throw new CaptureException("poll on '" + interfaceName + "' failed: " + PacketSocketCalls.strerror(errno));
        }
        short revents = pollfd.getShort(PollFd.REVENTS_OFFSET);
        return (revents & ~PollFd.POLLIN) == 0; // POLLERR, POLLHUP, POLLNVAL: the device is gone
    }

    /**
     * Reads and resets the kernel's counters ({@code tpacket_stats_v3}).
     *
     * @return {received by the kernel's socket, dropped because the ring was full}, since the last call
     */
    synchronized long[] takeStatistics() {
        long stamp = lock.readLock();
        try {
            if (closed) {
                return new long[2];
            }
            statsLength.setInt(0, STATS3_SIZE);
            if (PacketSocketCalls.getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, stats, statsLength) != 0) {
                return new long[2];
            }
            return new long[] {stats.getInt(STATS3_PACKETS) & 0xFFFF_FFFFL, stats.getInt(STATS3_DROPS) & 0xFFFF_FFFFL};
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /**
     * Puts one frame on the interface's wire.
     *
     * @param frame native memory holding the frame
     * @param length its bytes
     * @throws IOException when the kernel refuses it or the socket is closed
     */
    void send(Pointer frame, int length) throws IOException {
        long stamp = lock.readLock();
        try {
            if (closed) {
                throw new IOException("ring:" + interfaceName + ": the sender is closed");
            }
            long sent = PacketSocketCalls.sendto(fd, frame, length, 0, destination, SLL_SIZE);
            if (sent != length) {
                throw new IOException("ring:" + interfaceName + ": the frame of " + length + " bytes was refused: "
                        + (sent < 0 ? PacketSocketCalls.lastError() : "only " + sent + " bytes sent"));
            }
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /** Unmaps the ring and closes the socket, once no send is in progress. Closing twice is harmless. */
    @Override
    public void close() {
        long stamp = lock.writeLock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            PacketSocketCalls.munmap(mapping, geometry.ringBytes());
            PacketSocketCalls.close(fd);
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /** @return whether {@link #close()} has run */
    boolean isClosed() {
        long stamp = lock.readLock();
        try {
            return closed;
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /** @return the interface's drop counters that libpcap sums for ps_ifdrop, from /sys; 0 when unreadable */
    static long interfaceDrops(String interfaceName) {
        long sum = 0;
        for (String counter : new String[] {"rx_dropped", "rx_fifo_errors", "rx_missed_errors"}) {
            try {
                sum += Long.parseLong(Files.readString(Path.of("/sys/class/net", interfaceName, "statistics", counter)).trim());
            } catch (IOException | RuntimeException e) {
                // a counter the driver does not keep
            }
        }
        return sum;
    }

    private static String linkType(String interfaceName) {
        try {
            return Files.readString(Path.of("/sys/class/net", interfaceName, "type")).trim();
        } catch (IOException | RuntimeException e) {
            return "1"; // /sys hidden: let the socket calls decide
        }
    }

    private static void setInt(int fd, String name, int option, String what, int value) throws CaptureException {
        try (Memory memory = new Memory(4)) {
            memory.setInt(0, value);
            check(name, what, PacketSocketCalls.setsockopt(fd, SOL_PACKET, option, memory, 4));
        }
    }

    private static void check(String name, String what, int result) throws CaptureException {
        if (result != 0) {
            throw new CaptureException("cannot capture on '" + name + "': " + what + ": " + PacketSocketCalls.lastError());
        }
    }
}
