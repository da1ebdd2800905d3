package org.migware.proxy.internal.wire;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import org.migware.libc.internal.Errno;
import org.migware.libc.internal.PollFd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.migware.api.wire.InternetChecksum;
import org.migware.api.wire.Ipv4Header;

/**
 * The local injector of RECOVERY and PROXY: a Linux TUN interface (such as {@code mig0}) with the
 * shadow network routed through it (ARCHITECTURE.md, "Packet paths on Linux"). A packet written
 * here from a shadow endpoint arrives in this host's stack as if from the network (strict
 * {@code rp_filter} passes, because the route back to the shadow endpoint is this device); what the
 * stack sends to a shadow endpoint is read here, so nothing goes on the wire and nothing has to be
 * sniffed.
 *
 * <p>The device is not persistent: it lives exactly as long as this object's file descriptor, so
 * {@link #close()} — or the death of the JVM — removes it together with its address and route. It
 * belongs to the network namespace of the thread that opens it, and the {@code ip} commands that
 * set it up run there too (a child process inherits its creating thread's namespace).
 *
 * <p>Threads: one thread may {@link #read} while others {@link #write} (writes are serialized).
 * The descriptor is non-blocking; a reader with nothing to read waits in {@code poll} on the TUN and
 * an eventfd, and {@link #close()} wakes it through the eventfd, so closing never leaves a thread
 * blocked on a descriptor that is gone (a blocked {@code read(2)} would not wake up on
 * {@code close(2)}). The packet path allocates nothing: data is copied between the caller's array
 * and native buffers owned by this object, once each way.
 */
public final class TunDevice implements Tun {

    /** The clone device of the Linux TUN/TAP driver. */
    public static final String CLONE_DEVICE = "/dev/net/tun";
    /**
     * How many of the replica's packets the device queues for the reader (a TUN's default is 500).
     * At a failover every re-created connection's SYN-ACK and first answers come at once: with 1,000
     * connections on the lab the default queue dropped 300-800 of them per failover ({@code ip -s
     * link}, TX dropped), and each dropped one came again only with the replica's retransmission,
     * 200 ms or more later. A slot is a pointer: the bound costs memory only while packets wait.
     * Not longer: at 10,000 connections it overflowed only when every client closed at once, with
     * FINs the replica sent again because they had waited here beyond its 200 ms timer; a longer
     * queue would hold them longer and bring more repeats (issue 14; {@link TunBatch}).
     */
    static final int TX_QUEUE_PACKETS = 10_000;

    /** Largest IPv4 datagram; a read buffer this big never truncates. */
    public static final int MAX_PACKET_LENGTH = 0xffff;

    private static final Logger LOG = LoggerFactory.getLogger(TunDevice.class);

    // <linux/if_tun.h>
    private static final long TUNSETIFF = 0x400454caL;
    private static final long TUNSETOWNER = 0x400454ccL;
    private static final short IFF_TUN = 0x0001;
    private static final short IFF_NO_PI = 0x1000;   // packets without the 4-byte protocol-information prefix
    private static final short IFF_TUN_EXCL = (short) 0x8000; // fail with EBUSY instead of attaching to an existing device
    private static final int IFREQ_SIZE = 40;
    private static final int IFREQ_FLAGS_OFFSET = 16;
    /** IFNAMSIZ minus the terminating NUL. */
    private static final int MAX_NAME_LENGTH = 15;
    // no '%' (the kernel would number it), '/' or ':' (not a valid or not an ip-friendly name)
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1," + MAX_NAME_LENGTH + "}");

    private static final int IPV4_VERSION = 4;
    private static final int POLLED_FDS = 2;
    private static final long EVENTFD_SIGNAL = 1;
    private static final int EVENTFD_VALUE_SIZE = 8;
    private static final long CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long CLOSE_POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(100);
    private static final long IP_COMMAND_TIMEOUT_SECONDS = 10;
    private static final List<String> IP_LOCATIONS = List.of("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip");

    // warm-up packet: an ICMP echo reply (RFC 792), which the stack takes in and drops without answering
    private static final int ICMP_PROTOCOL = 1;
    private static final int ICMP_ECHO_REPLY = 0;
    private static final int ICMP_HEADER_LENGTH = 8;
    private static final int WARM_UP_LENGTH = Ipv4Header.MIN_HEADER_LENGTH + ICMP_HEADER_LENGTH;

    private final String name;
    private final ShadowNetwork network;
    private final int fd;
    private final int wakeFd;
    private final Memory readBuffer = new Memory(MAX_PACKET_LENGTH);
    private final Memory writeBuffer = new Memory(MAX_PACKET_LENGTH);
    private final Memory pollFds = new Memory((long) PollFd.SIZE * POLLED_FDS);
    private final Memory wakeValue = new Memory(EVENTFD_VALUE_SIZE);
    private final Object readLock = new Object();
    private final Object writeLock = new Object();
    /** Threads inside a system call on {@link #fd}; close waits for them before releasing it. */
    private final AtomicInteger callsInProgress = new AtomicInteger();
    private volatile boolean closed;
    private long skippedPackets;

    private TunDevice(String name, ShadowNetwork network, int fd, int wakeFd) {
        this.name = name;
        this.network = network;
        this.fd = fd;
        this.wakeFd = wakeFd;
        pollFds.setInt(PollFd.FD_OFFSET, fd);
        pollFds.setShort(PollFd.EVENTS_OFFSET, PollFd.POLLIN);
        pollFds.setInt(PollFd.SIZE, wakeFd);
        pollFds.setShort(PollFd.SIZE + PollFd.EVENTS_OFFSET, PollFd.POLLIN);
        wakeValue.setLong(0, EVENTFD_SIGNAL);
    }

    /**
     * Creates the TUN device {@code name} in the calling thread's network namespace, gives it the
     * shadow network's device address, sets it up, routes the shadow network through it and warms
     * the write path (the first native write is slow).
     *
     * @throws TunUnavailableException with one line saying what is wrong and what to do
     */
    public static TunDevice open(String name, ShadowNetwork network) throws TunUnavailableException {
        return open(CLONE_DEVICE, name, network);
    }

    /** As {@link #open(String, ShadowNetwork)}, with another clone device path (tests). */
    static TunDevice open(String cloneDevice, String name, ShadowNetwork network) throws TunUnavailableException {
        Objects.requireNonNull(network, "network");
        if (name == null || !NAME.matcher(name).matches()) {
            throw new TunUnavailableException("not a usable interface name: '" + name + "' (1 to " + MAX_NAME_LENGTH
                    + " of A-Z a-z 0-9 _ . -)");
        }
        int fd = openCloneDevice(cloneDevice);
        int wakeFd = -1;
        try {
            createInterface(fd, name);
            setOwner(fd, name);
            wakeFd = LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
            if (wakeFd < 0) {
                throw new TunUnavailableException("eventfd: " + LibC.strerror(Native.getLastError()));
            }
            configure(name, network);
            TunDevice device = new TunDevice(name, network, fd, wakeFd);
            device.warmUp();
            LOG.info("TUN device {} is up, routing the shadow network {}", name, network);
            return device;
        } catch (TunUnavailableException | RuntimeException | Error e) {
            // closing the descriptor removes the device, and with it its address and route
            LibC.close(fd);
            if (wakeFd >= 0) {
                LibC.close(wakeFd);
            }
            throw e;
        }
    }

    /**
     * Reads one IPv4 packet, waiting until there is one. Anything else the stack hands the device
     * (IPv6 if it was not switched off) is skipped and counted.
     *
     * @param buffer receives the packet at {@code offset}; the device's MTU (1500 unless changed)
     *        is enough, a longer packet is skipped and counted
     * @return the packet's length, or -1 once the device is closed
     * @throws IOException if the kernel reports an error on the device
     */
    public int read(byte[] buffer, int offset, int length) throws IOException {
        return read(buffer, offset, length, true);
    }

    /**
     * As {@link #read}, but never waits: the reader drains what the kernel has queued before it
     * hands the batch on ({@link TunBatch}).
     *
     * @return the packet's length, 0 when none is queued, or -1 once the device is closed
     */
    @Override
    public int readIfQueued(byte[] buffer, int offset, int length) throws IOException {
        return read(buffer, offset, length, false);
    }

    private int read(byte[] buffer, int offset, int length, boolean wait) throws IOException {
        Objects.checkFromIndexSize(offset, length, buffer.length);
        synchronized (readLock) {
            if (!enter()) {
                return -1;
            }
            try {
                while (true) {
                    long count = LibC.read(fd, readBuffer, MAX_PACKET_LENGTH);
                    if (count > 0) {
                        int version = (readBuffer.getByte(0) & 0xff) >>> 4;
                        if (version != IPV4_VERSION || count > length) {
                            skippedPackets++;
                            continue;
                        }
                        readBuffer.read(0, buffer, offset, (int) count);
                        return (int) count;
                    }
                    if (count == 0) {
                        continue;
                    }
                    int errno = Native.getLastError();
                    if (errno == Errno.EAGAIN) {
                        if (!wait) {
                            return 0;
                        }
                        if (!awaitReadable()) {
                            return -1;
                        }
                    } else if (errno != Errno.EINTR) {
                        throw new IOException("read from TUN device " + name + ": " + LibC.strerror(errno));
                    }
                }
            } finally {
                exit();
            }
        }
    }

    /**
     * Hands one IPv4 packet to the local stack, as if it had arrived on this interface.
     *
     * @throws IOException if the device is closed or the kernel refuses the packet
     */
    public void write(byte[] packet, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, packet.length);
        if (length > MAX_PACKET_LENGTH) {
            throw new IllegalArgumentException("an IPv4 packet has at most " + MAX_PACKET_LENGTH + " bytes: " + length);
        }
        synchronized (writeLock) {
            if (!enter()) {
                throw new IOException("TUN device " + name + " is closed");
            }
            try {
                writeBuffer.write(0, packet, offset, length);
                while (true) {
                    long written = LibC.write(fd, writeBuffer, length);
                    if (written == length) {
                        return;
                    }
                    if (written >= 0) {
                        throw new IOException("TUN device " + name + " took " + written + " of " + length + " bytes");
                    }
                    int errno = Native.getLastError();
                    if (errno != Errno.EINTR) {
                        throw new IOException("write to TUN device " + name + ": " + LibC.strerror(errno));
                    }
                }
            } finally {
                exit();
            }
        }
    }

    /** @return the interface name */
    public String name() {
        return name;
    }

    /** @return the shadow network routed through the device */
    public ShadowNetwork network() {
        return network;
    }

    /** @return how many packets {@link #read} skipped: not IPv4, or longer than the caller's buffer */
    public long skippedPackets() {
        synchronized (readLock) {
            return skippedPackets;
        }
    }

    /**
     * Removes the device, its address and its route: wakes a waiting reader (which then returns -1),
     * waits for calls in progress and closes the descriptor. Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        LibC.write(wakeFd, wakeValue, EVENTFD_VALUE_SIZE);
        long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
        while (callsInProgress.get() != 0 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(CLOSE_POLL_NANOS);
        }
        if (callsInProgress.get() != 0) {
            // cannot happen unless a thread is stuck in a non-blocking call; better leak than reuse a live descriptor
            LOG.warn("TUN device {}: a call is still in progress after {} ms; leaving its descriptor open", name,
                    TimeUnit.NANOSECONDS.toMillis(CLOSE_WAIT_NANOS));
            return;
        }
        LibC.close(fd);
        LibC.close(wakeFd);
        LOG.info("TUN device {} removed", name);
    }

    @Override
    public String toString() {
        return "TunDevice[" + name + ", " + network + (closed ? ", closed]" : "]");
    }

    /** @return false if closed; otherwise the caller must {@link #exit()} when its call is done */
    private boolean enter() {
        callsInProgress.incrementAndGet();
        if (closed) {
            callsInProgress.decrementAndGet();
            return false;
        }
        return true;
    }

    private void exit() {
        callsInProgress.decrementAndGet();
    }

    /** @return true when the TUN may have a packet, false when {@link #close()} was called */
    private boolean awaitReadable() throws IOException {
        while (true) {
            int ready = LibC.poll(pollFds, POLLED_FDS, PollFd.INFINITE_TIMEOUT);
            if (ready < 0) {
                int errno = Native.getLastError();
                if (errno == Errno.EINTR) {
                    continue;
                }
                throw new IOException("poll on TUN device " + name + ": " + LibC.strerror(errno));
            }
            if (closed) {
                return false;
            }
            if (ready > 0) {
                return true;
            }
        }
    }

    /**
     * Writes one packet the stack drops without a trace on the wire or the TUN: an ICMP echo reply
     * from a shadow endpoint to the device's own address (no ping socket waits for it). The first
     * native write through JNA is slow; this moves that cost out of the failover.
     */
    private void warmUp() throws TunUnavailableException {
        byte[] packet = new byte[WARM_UP_LENGTH];
        packet[Ipv4Header.VERSION_IHL_OFFSET] = 0x45;
        packet[Ipv4Header.TOTAL_LENGTH_OFFSET + 1] = (byte) WARM_UP_LENGTH;
        packet[Ipv4Header.TTL_OFFSET] = 1; // one hop: even a forwarding host would not send it on
        packet[Ipv4Header.PROTOCOL_OFFSET] = ICMP_PROTOCOL;
        putInt(packet, Ipv4Header.SOURCE_OFFSET, network.lastEndpointAddress());
        putInt(packet, Ipv4Header.DESTINATION_OFFSET, network.deviceAddress());
        int ipChecksum = ~InternetChecksum.sum(packet, 0, Ipv4Header.MIN_HEADER_LENGTH, 0);
        packet[Ipv4Header.CHECKSUM_OFFSET] = (byte) (ipChecksum >>> 8);
        packet[Ipv4Header.CHECKSUM_OFFSET + 1] = (byte) ipChecksum;
        int icmp = Ipv4Header.MIN_HEADER_LENGTH;
        packet[icmp] = ICMP_ECHO_REPLY;
        int icmpChecksum = ~InternetChecksum.sum(packet, icmp, ICMP_HEADER_LENGTH, 0);
        packet[icmp + 2] = (byte) (icmpChecksum >>> 8);
        packet[icmp + 3] = (byte) icmpChecksum;
        long started = System.nanoTime();
        try {
            write(packet, 0, packet.length);
            LOG.debug("TUN device {}: warm-up write took {} µs", name, (System.nanoTime() - started) / 1000);
        } catch (IOException e) {
            throw new TunUnavailableException("TUN device " + name + " does not take packets: " + e.getMessage());
        }
    }

    private static int openCloneDevice(String cloneDevice) throws TunUnavailableException {
        int fd = LibC.open(cloneDevice, LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd >= 0) {
            return fd;
        }
        int errno = Native.getLastError();
        switch (errno) {
            case Errno.ENOENT:
                throw new TunUnavailableException(cloneDevice + " is missing: load the tun module (modprobe tun), or "
                        + "in a container create the node (mknod " + cloneDevice + " c 10 200) or pass it in");
            case Errno.ENODEV:
            case Errno.ENXIO:
                throw new TunUnavailableException("the kernel has no TUN driver behind " + cloneDevice
                        + ": load the tun module (modprobe tun)");
            case Errno.EACCES:
            case Errno.EPERM:
                throw new TunUnavailableException("no permission to open " + cloneDevice
                        + ": run MigWare as root, or grant it CAP_NET_ADMIN and access to the device");
            default:
                throw new TunUnavailableException("cannot open " + cloneDevice + ": " + LibC.strerror(errno));
        }
    }

    private static void createInterface(int fd, String name) throws TunUnavailableException {
        byte[] ifreq = new byte[IFREQ_SIZE];
        byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(nameBytes, 0, ifreq, 0, nameBytes.length);
        short flags = IFF_TUN | IFF_NO_PI | IFF_TUN_EXCL;
        // ifr_flags is a C short in host order: little-endian on the x86-64 and aarch64 MigWare runs on
        ifreq[IFREQ_FLAGS_OFFSET] = (byte) flags;
        ifreq[IFREQ_FLAGS_OFFSET + 1] = (byte) (flags >>> 8);
        if (LibC.ioctl(fd, TUNSETIFF, ifreq) == 0) {
            return;
        }
        int errno = Native.getLastError();
        switch (errno) {
            case Errno.EPERM:
            case Errno.EACCES:
                throw new TunUnavailableException("creating TUN device " + name + " needs CAP_NET_ADMIN: run MigWare as "
                        + "root or grant it CAP_NET_ADMIN");
            case Errno.EBUSY:
            case Errno.EEXIST:
                throw new TunUnavailableException("network interface " + name + " already exists: configure another "
                        + "name, or remove the old one (ip link del " + name + ") if nothing uses it");
            default:
                throw new TunUnavailableException("cannot create TUN device " + name + ": " + LibC.strerror(errno));
        }
    }

    /**
     * Makes the device the property of the user MigWare runs as (the package's {@code migware}, with
     * CAP_NET_ADMIN but not root), as {@code ip tuntap add user} would: the kernel then lets that user
     * attach to it again without CAP_NET_ADMIN, and {@code /sys/class/net/NAME/owner} says whose it is.
     * The device works without an owner, so a refusal is only logged.
     */
    private static void setOwner(int fd, String name) {
        int user = LibC.geteuid();
        if (LibC.ioctl(fd, TUNSETOWNER, user) != 0) {
            LOG.warn("TUN device {}: cannot make uid {} its owner: {}", name, user, LibC.strerror(Native.getLastError()));
        }
    }

    /** Address, IPv6 off, queue length, up, route: in the calling thread's namespace, where the device now is. */
    private static void configure(String name, ShadowNetwork network) throws TunUnavailableException {
        disableIpv6(name);
        ip("addr", "add", Ipv4Address.text(network.deviceAddress()) + "/32", "dev", name);
        ip("link", "set", "dev", name, "txqueuelen", Integer.toString(TX_QUEUE_PACKETS));
        ip("link", "set", "dev", name, "up");
        ip("route", "add", network.toString(), "dev", name);
    }

    /**
     * Keeps the device IPv4-only: otherwise the kernel gives it a link-local address and writes
     * router solicitations and MLD reports into it. Best effort: read() skips non-IPv4 anyway.
     */
    private static void disableIpv6(String name) {
        // /proc/sys/net resolves in the calling thread's namespace, like the device
        Path setting = Path.of("/proc/sys/net/ipv6/conf", name, "disable_ipv6");
        try {
            if (Files.exists(setting)) {
                Files.writeString(setting, "1");
            }
        } catch (IOException e) {
            LOG.debug("TUN device {}: cannot switch IPv6 off ({}); IPv6 packets will be skipped", name, e.toString());
        }
    }

    private static void ip(String... arguments) throws TunUnavailableException {
        List<String> command = new ArrayList<>();
        command.add(IP_LOCATIONS.stream().filter(tool -> Files.isExecutable(Path.of(tool))).findFirst().orElse("ip"));
        command.addAll(List.of(arguments));
        String text = "ip " + String.join(" ", arguments);
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!process.waitFor(IP_COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new TunUnavailableException("'" + text + "' did not finish within " + IP_COMMAND_TIMEOUT_SECONDS + " s");
            }
            if (process.exitValue() != 0) {
                throw new TunUnavailableException("'" + text + "' failed: " + (output.isEmpty() ? "exit " + process.exitValue() : output));
            }
        } catch (IOException e) {
            throw new TunUnavailableException("cannot run '" + text + "' (is iproute2 installed?): " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TunUnavailableException("interrupted while running '" + text + "'");
        }
    }

    private static void putInt(byte[] bytes, int at, int value) {
        bytes[at] = (byte) (value >>> 24);
        bytes[at + 1] = (byte) (value >>> 16);
        bytes[at + 2] = (byte) (value >>> 8);
        bytes[at + 3] = (byte) value;
    }
}
