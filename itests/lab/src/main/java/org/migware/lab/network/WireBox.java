package org.migware.lab.network;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.migware.lab.Args;

/**
 * The wire-impairment box: a bump in the wire that delays, reorders and duplicates frames the way netem does,
 * for kernels without netem. It sits between two interfaces of the hub's namespace: the role's
 * end of its veth (taken out of the bridge, see {@link ImpairedLink}) and one end of a new veth
 * whose other end is the role's new bridge port. Every frame read on one side is written to the
 * other, each direction with its own {@link Impairment}.
 *
 * <pre>
 * java -cp lab.jar:jna.jar org.migware.lab.network.WireBox --role-side client --hub-side client-box \
 *      --towards-role-delay-us 20000 --from-role-delay-us 20000 --from-role-reorder 25 --towards-role-duplicate 5 \
 *      --stats box.properties
 * </pre>
 *
 * <p>One thread does everything: it waits in {@code ppoll} for a frame on either side or the
 * next due time, reads what is waiting ({@link WireDirection#receive}), and sends what is due
 * ({@link WireDirection#transmitDue}). The timer slack of the thread is 1 µs, so a frame leaves
 * within some tens of microseconds of its due time (the counters say how late). Frames live in a
 * preallocated native arena per direction; nothing on the per-frame path allocates. The counters
 * are written every {@value #STATS_INTERVAL_MS} ms and at exit (SIGTERM) to the stats file, as
 * {@code key=value} lines ({@link ImpairedLink#counters()} reads them).
 *
 * <p>With {@code --trunk-vlan N} the role's side is an 802.1Q trunk of VLAN N ({@link VlanTrunk}):
 * frames towards the role are tagged as they are read, frames from it are untagged or dropped as
 * they are read, so delay, reordering and duplication work on the frames as the wire carries them.
 * Its counters are {@code trunk.*} lines of the stats file.
 *
 * <p>Prints {@value #READY} once both sockets are open. Exit code 2 on bad arguments, 3 when the
 * sockets cannot be opened (no AF_PACKET, no such interface, not root).
 */
public final class WireBox {

    /** Printed to standard output once frames are forwarded. */
    public static final String READY = "wire box forwarding";
    /** The first line of the stats file. */
    static final String STATS_HEADER = "# migware wire box";
    /** The direction from the hub (the bridge) towards the role, in the stats file. */
    static final String TOWARDS_ROLE = "towardsRole";
    /** The direction from the role towards the hub. */
    static final String FROM_ROLE = "fromRole";
    /** The largest frame, header included: a 64 KiB TCP segment (TSO) with its Ethernet and virtio headers. */
    static final int MAX_FRAME = PacketSocket.VNET_HEADER + 65_536 + 64;

    private static final long STATS_INTERVAL_MS = 100;
    private static final int BATCH = 64;
    private static final int SOCKET_BUFFER = 4 << 20;
    private static final int POLLFD_SIZE = 8;
    private static final int REVENTS_OFFSET = 6;

    private WireBox() {
    }

    /**
     * @param args see the class comment and {@link #usage()}
     */
    public static void main(String[] args) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("wire box: " + e.getMessage());
            System.err.println(usage());
            System.exit(2);
            return;
        }
        PacketSocket roleSide;
        PacketSocket hubSide;
        try {
            roleSide = PacketSocket.open(options.roleSide, SOCKET_BUFFER, options.trunkVlan != 0);
            try {
                hubSide = PacketSocket.open(options.hubSide, SOCKET_BUFFER);
            } catch (RuntimeException e) {
                roleSide.close();
                throw e;
            }
        } catch (IllegalStateException | UnsatisfiedLinkError e) {
            System.err.println("wire box: cannot open the packet sockets: " + e.getMessage());
            System.exit(3);
            return;
        }
        new Loop(options, roleSide, hubSide).run();
    }

    /** @return the command line's help */
    static String usage() {
        return "usage: WireBox --role-side IF --hub-side IF [--towards-role-delay-us N] [--towards-role-reorder PCT]\n"
                + "               [--towards-role-duplicate PCT] [--from-role-delay-us N] [--from-role-reorder PCT]\n"
                + "               [--from-role-duplicate PCT] [--queue-bytes N] [--queue-frames N]\n"
                + "               [--trunk-vlan ID [--trunk-native-mac MAC]] [--seed N] [--stats FILE]";
    }

    /** The box's settings. */
    static final class Options {
        String roleSide;
        String hubSide;
        Impairment towardsRole = Impairment.NONE;
        Impairment fromRole = Impairment.NONE;
        int queueBytes = 16 << 20;
        int queueFrames = 1000;
        /** The role side's trunk VLAN, 0 for none. */
        int trunkVlan;
        /** The role's own MAC, untagged both ways on the trunk, or {@link VlanTrunk#NO_NATIVE_MAC}. */
        long trunkNativeMac = VlanTrunk.NO_NATIVE_MAC;
        long seed = System.nanoTime();
        Path stats;

        static Options parse(String... args) {
            Args a = Args.parse(args, Set.of(), Set.of("role-side", "hub-side", "towards-role-delay-us", "towards-role-reorder",
                    "towards-role-duplicate", "from-role-delay-us", "from-role-reorder", "from-role-duplicate", "queue-bytes",
                    "queue-frames", "trunk-vlan", "trunk-native-mac", "seed", "stats"));
            Options o = new Options();
            o.roleSide = a.string("role-side", null);
            o.hubSide = a.string("hub-side", null);
            if (o.roleSide == null || o.hubSide == null) {
                throw new IllegalArgumentException("--role-side and --hub-side are required");
            }
            o.towardsRole = new Impairment(Duration.ofNanos(a.number("towards-role-delay-us", 0) * 1000),
                    a.decimal("towards-role-reorder", 0), a.decimal("towards-role-duplicate", 0));
            o.fromRole = new Impairment(Duration.ofNanos(a.number("from-role-delay-us", 0) * 1000),
                    a.decimal("from-role-reorder", 0), a.decimal("from-role-duplicate", 0));
            long bytes = a.number("queue-bytes", o.queueBytes);
            if (bytes < 2L * MAX_FRAME || bytes > 1L << 30) {
                throw new IllegalArgumentException("--queue-bytes must be " + 2 * MAX_FRAME + ".." + (1 << 30));
            }
            o.queueBytes = (int) bytes;
            long frames = a.number("queue-frames", o.queueFrames);
            if (frames < 1 || frames > 1_000_000) {
                throw new IllegalArgumentException("--queue-frames must be 1..1000000");
            }
            o.queueFrames = (int) frames;
            long vlan = a.number("trunk-vlan", 0);
            if (vlan < 0 || vlan > VlanTag.MAX_ID) {
                throw new IllegalArgumentException("--trunk-vlan must be 1.." + VlanTag.MAX_ID + " (0 for no trunk): " + vlan);
            }
            o.trunkVlan = (int) vlan;
            String nativeMac = a.string("trunk-native-mac", null);
            if (nativeMac != null) {
                if (vlan == 0 || !nativeMac.matches("(?i)[0-9a-f]{2}(:[0-9a-f]{2}){5}")) {
                    throw new IllegalArgumentException("--trunk-native-mac needs --trunk-vlan and a MAC aa:bb:cc:dd:ee:ff: " + nativeMac);
                }
                o.trunkNativeMac = Long.parseLong(nativeMac.replace(":", ""), 16);
            }
            o.seed = a.number("seed", o.seed);
            String stats = a.string("stats", null);
            o.stats = stats == null ? null : Path.of(stats);
            return o;
        }
    }

    /** What a direction does to the frames of a trunk as it reads them. */
    private enum Trunking {
        /** No trunk: frames pass as read. */
        NONE,
        /** Towards a trunk's role: tagged. */
        TAG,
        /** From a trunk's role: untagged, or dropped. */
        UNTAG
    }

    /**
     * One direction's native memory: its arena (the {@link WireQueue}'s bytes) and a scratch buffer,
     * read into from one socket and sent from to the other. On a trunk, frames are tagged or
     * untagged in there as they are read ({@link VlanTrunk}), through a buffer view of each made once.
     */
    private static final class Frames implements WireDirection.Input, WireDirection.Output {
        private final PacketSocket in;
        private final PacketSocket out;
        private final Memory arena;
        private final Memory scratch = new Memory(MAX_FRAME);
        private final long arenaAddress;
        private final long scratchAddress = Pointer.nativeValue(scratch);
        private final Trunking trunking;
        private final VlanTrunk trunk;
        private final ByteBuffer arenaBuffer;
        private final ByteBuffer scratchBuffer;

        Frames(PacketSocket in, PacketSocket out, int arenaBytes, Trunking trunking, VlanTrunk trunk) {
            this.in = in;
            this.out = out;
            this.arena = new Memory(arenaBytes);
            this.arenaAddress = Pointer.nativeValue(arena);
            this.trunking = trunking;
            this.trunk = trunk;
            this.arenaBuffer = trunking == Trunking.NONE ? null : arena.getByteBuffer(0, arenaBytes);
            this.scratchBuffer = trunking == Trunking.NONE ? null : scratch.getByteBuffer(0, MAX_FRAME);
        }

        private long address(int slot) {
            return slot == WireDirection.SCRATCH ? scratchAddress : arenaAddress + slot;
        }

        @Override
        public int read(int slot) {
            switch (trunking) {
                case TAG: {
                    // read four bytes in, so that the tag goes in by moving the 22 bytes before the EtherType back
                    int capacity = MAX_FRAME - VlanTag.LENGTH;
                    int n = in.read(address(slot) + VlanTag.LENGTH, capacity);
                    return n <= 0 ? n : trunk.towardsRole(buffer(slot), start(slot), n, capacity);
                }
                case UNTAG: {
                    int n = in.read(address(slot), MAX_FRAME);
                    return n <= 0 ? n : trunk.fromRole(buffer(slot), start(slot), n, MAX_FRAME, in.vlanTci(), in.vlanTpid());
                }
                default:
                    return in.read(address(slot), MAX_FRAME);
            }
        }

        private ByteBuffer buffer(int slot) {
            return slot == WireDirection.SCRATCH ? scratchBuffer : arenaBuffer;
        }

        private static int start(int slot) {
            return slot == WireDirection.SCRATCH ? 0 : slot;
        }

        @Override
        public long errors() {
            return in.errors();
        }

        @Override
        public boolean send(int slot, int length) {
            return out.send(address(slot), length);
        }
    }

    /** The event loop, both directions, one thread. */
    private static final class Loop {
        private final Options options;
        private final PacketSocket roleSide;
        private final PacketSocket hubSide;
        private final WireDirection towardsRole;
        private final WireDirection fromRole;
        private final VlanTrunk trunk;
        private final Memory pollfds = new Memory(2L * POLLFD_SIZE);
        private final Memory timeout = new Memory(16);
        private final long pollfdsAddress = Pointer.nativeValue(pollfds);
        private final long timeoutAddress = Pointer.nativeValue(timeout);
        private final CountDownLatch done = new CountDownLatch(1);
        private volatile boolean running = true;

        Loop(Options options, PacketSocket roleSide, PacketSocket hubSide) {
            this.options = options;
            this.roleSide = roleSide;
            this.hubSide = hubSide;
            SplittableRandom random = new SplittableRandom(options.seed);
            this.trunk = options.trunkVlan == 0 ? null : new VlanTrunk(options.trunkVlan, options.trunkNativeMac);
            this.towardsRole = direction(options.towardsRole, hubSide, roleSide, random.split(),
                    trunk == null ? Trunking.NONE : Trunking.TAG);
            this.fromRole = direction(options.fromRole, roleSide, hubSide, random.split(),
                    trunk == null ? Trunking.NONE : Trunking.UNTAG);
            pollfds.clear();
            pollfds.setInt(0, roleSide.fd());
            pollfds.setShort(4, (short) PacketSocket.POLLIN);
            pollfds.setInt(POLLFD_SIZE, hubSide.fd());
            pollfds.setShort(POLLFD_SIZE + 4, (short) PacketSocket.POLLIN);
        }

        private WireDirection direction(Impairment impairment, PacketSocket in, PacketSocket out, SplittableRandom random,
                Trunking trunking) {
            // an undelayed direction holds nothing: a small arena does
            int bytes = impairment.delays() ? options.queueBytes : 2 * MAX_FRAME;
            WireQueue queue = new WireQueue(bytes, MAX_FRAME, impairment.delays() ? options.queueFrames : 1);
            Frames frames = new Frames(in, out, bytes, trunking, trunk);
            return new WireDirection(impairment, queue, frames, frames, random, System::nanoTime);
        }

        void run() {
            Thread loop = Thread.currentThread();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                running = false;
                try {
                    if (!done.await(2, TimeUnit.SECONDS)) {
                        loop.interrupt();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "wire-box-stop"));
            PacketSocket.timerSlack(1000);
            System.out.println(READY + ": " + options.roleSide + " <-> " + options.hubSide + ", towards the role "
                    + options.towardsRole + ", from the role " + options.fromRole
                    + (trunk == null ? "" : ", the role's side a trunk of VLAN " + trunk.vlanId()));
            System.out.flush();
            long nextStats = System.nanoTime();
            try {
                while (running) {
                    towardsRole.transmitDue();
                    fromRole.transmitDue();
                    long now = System.nanoTime();
                    if (now - nextStats >= 0) {
                        writeStats();
                        nextStats = now + TimeUnit.MILLISECONDS.toNanos(STATS_INTERVAL_MS);
                    }
                    long wake = nextStats;
                    if (towardsRole.holding() && towardsRole.nextDue() - wake < 0) {
                        wake = towardsRole.nextDue();
                    }
                    if (fromRole.holding() && fromRole.nextDue() - wake < 0) {
                        wake = fromRole.nextDue();
                    }
                    long wait = Math.max(0, wake - now);
                    timeout.setLong(0, wait / 1_000_000_000L);
                    timeout.setLong(8, wait % 1_000_000_000L);
                    int ready = PacketSocket.poll(pollfdsAddress, 2, timeoutAddress);
                    if (ready < 0 && PacketSocket.lastErrno() != PacketSocket.EINTR) {
                        throw new IllegalStateException("ppoll: " + PacketSocket.lastError());
                    }
                    if (ready > 0) {
                        // readable, or an error to collect (the interface went down): receive() reads and clears it
                        if (pollfds.getShort(REVENTS_OFFSET) != 0) {
                            fromRole.receive(BATCH);
                        }
                        if (pollfds.getShort(POLLFD_SIZE + REVENTS_OFFSET) != 0) {
                            towardsRole.receive(BATCH);
                        }
                    }
                }
            } finally {
                writeStats();
                roleSide.close();
                hubSide.close();
                done.countDown();
            }
        }

        private void writeStats() {
            if (options.stats == null) {
                return;
            }
            StringBuilder text = new StringBuilder(STATS_HEADER).append('\n');
            text.append("writtenAtMillis=").append(System.currentTimeMillis()).append('\n');
            towardsRole.counters().appendTo(TOWARDS_ROLE, text);
            fromRole.counters().appendTo(FROM_ROLE, text);
            if (trunk != null) {
                trunk.counters().appendTo(text);
            }
            Path tmp = options.stats.resolveSibling(options.stats.getFileName() + ".tmp");
            try {
                Files.writeString(tmp, text, StandardCharsets.UTF_8);
                Files.move(tmp, options.stats, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                System.err.println("wire box: cannot write " + options.stats + ": " + e.getMessage());
            }
        }
    }
}
