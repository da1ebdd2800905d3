package org.migware.api.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * A network namespace made for one test and removed after it, so that a test with root can use
 * real interfaces, addresses and routes without touching the host's own networking. Shared
 * through the api module's test jar by the tests of capture-pcap4j, monitor-icmp and proxy.
 *
 * <pre>
 * assumeTrue(TestNamespace.available(), "needs root and iproute2");
 * try (TestNamespace lab = TestNamespace.builder("mwcap").veth().withoutIpv6().create()) {
 *     ... capture on lab.rootEnd(), send from lab.namespaceEnd() inside lab.inNamespace(...) ...
 * }
 * </pre>
 *
 * <p>What {@link Builder} can add: a veth pair from the test's own namespace (where the JVM runs,
 * so where pcap4j, raw sockets and plain sockets see the {@linkplain #rootEnd() root end}) into
 * the new one, optionally with addresses and optionally with IPv6 off; and an address on the new
 * namespace's loopback. {@link #close()} removes what was made, also after a set-up that failed
 * halfway (then {@link Builder#create()} closes before it throws).
 *
 * <p>Each module passes its own prefix ({@code mwcap}, {@code mwicmp}, {@code mwproxy}). Names
 * carry 24 random bits, so tests that run at the same time (modules built in parallel, another
 * checkout's build on the same host) do not collide, and the prefix tells which module left a
 * namespace behind when its JVM was killed before {@link #close()}.
 */
public final class TestNamespace implements AutoCloseable {

    /**
     * The longest prefix: an interface name is the prefix, 6 random hex digits and one letter, and
     * Linux allows 15 characters (IFNAMSIZ is 16 with the terminating NUL); {@code ip} refuses a
     * longer name.
     */
    static final int MAX_PREFIX_LENGTH = 15 - 6 - 1;

    private static final List<String> IP_TOOLS = List.of("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip");

    /** @return whether a namespace can be made here: root, and the iproute2 tool */
    public static boolean available() {
        return isRoot() && IP_TOOLS.stream().anyMatch(tool -> Files.isExecutable(Path.of(tool)));
    }

    /** @return whether this JVM runs as root, as namespaces, veth pairs and raw sockets need */
    public static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .anyMatch(line -> line.matches("Uid:\\s+0\\s.*"));
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * @param prefix lower-case letters, at most 8, distinct per module: the namespace is called
     *        {@code <prefix>-<6 hex digits>}, the veth ends {@code <prefix><6 hex digits>a} and {@code ...b}
     * @return a builder for a namespace with nothing in it but a loopback that is down
     */
    public static Builder builder(String prefix) {
        if (!prefix.matches("[a-z]{1," + MAX_PREFIX_LENGTH + "}")) {
            throw new IllegalArgumentException("a prefix is 1 to " + MAX_PREFIX_LENGTH + " lower-case letters: '" + prefix + "'");
        }
        return new Builder(prefix);
    }

    /** What the namespace gets beyond its own (down) loopback; {@link #create()} makes it. */
    public static final class Builder {

        private final String prefix;
        private boolean veth;
        private boolean vethAddresses;
        private boolean withoutIpv6;
        private String loopbackAddress;

        private Builder(String prefix) {
            this.prefix = prefix;
        }

        /**
         * Adds a veth pair: {@link TestNamespace#rootEnd()} in the test's namespace,
         * {@link TestNamespace#namespaceEnd()} in the new one, both up. {@link #create()} returns
         * once the root end's operstate is {@code up}: a veth end carries frames only when both
         * ends are up, and the kernel says so a little after {@code ip link set up} returns.
         */
        public Builder veth() {
            veth = true;
            return this;
        }

        /**
         * Adds a veth pair (as {@link #veth()}) with a random /30 from 100.64.0.0/10 on it:
         * {@link TestNamespace#rootAddress()} (.1) here, {@link TestNamespace#namespaceAddress()}
         * (.2) there. That block (RFC 6598, shared address space) is not routed on the internet
         * and seldom on a test host's own links, and a random /30 of its 2^20 keeps parallel
         * tests apart.
         */
        public Builder vethWithAddresses() {
            veth = true;
            vethAddresses = true;
            return this;
        }

        /**
         * Turns IPv6 off on both veth ends before they come up. Otherwise the kernel sends its own
         * frames as a link comes up (router solicitations, duplicate address detection, MLD
         * reports), and a test that counts what a capture on the pair sees would count them too.
         */
        public Builder withoutIpv6() {
            withoutIpv6 = true;
            return this;
        }

        /**
         * Sets the namespace's loopback up with {@code address}/32 on it, besides 127.0.0.1. A test
         * that injects packets through a TUN device needs an address that is not 127/8 to send
         * them to: the kernel drops a packet to 127/8 that arrives on any device but the loopback
         * itself (a "martian"), so a local listener must be bound to another address.
         */
        public Builder loopback(String address) {
            loopbackAddress = address;
            return this;
        }

        /**
         * Makes the namespace and what was asked for; if any of it fails, removes what was made
         * before it throws.
         */
        public TestNamespace create() throws IOException, InterruptedException {
            byte[] random = new byte[6];
            new SecureRandom().nextBytes(random);
            TestNamespace namespace = new TestNamespace(prefix, random, veth, vethAddresses);
            try {
                namespace.setUp(withoutIpv6, loopbackAddress);
                return namespace;
            } catch (IOException | InterruptedException | RuntimeException | Error e) {
                namespace.close();
                throw e;
            }
        }
    }

    private final String name;
    private final String rootEnd;
    private final String namespaceEnd;
    private final String rootAddress;
    private final String namespaceAddress;
    /** Set once {@code ip} made them, so that close() never removes a namesake it did not make. */
    private boolean namespaceMade;
    private boolean vethMade;

    private TestNamespace(String prefix, byte[] random, boolean veth, boolean vethAddresses) {
        String id = HexFormat.of().formatHex(random, 0, 3);
        this.name = prefix + "-" + id;
        this.rootEnd = veth ? prefix + id + "a" : null;
        this.namespaceEnd = veth ? prefix + id + "b" : null;
        if (vethAddresses) {
            String net = "100." + (64 + (random[3] & 0x3f)) + "." + (random[4] & 0xff) + ".";
            int base = random[5] & 0xfc;
            this.rootAddress = net + (base + 1);
            this.namespaceAddress = net + (base + 2);
        } else {
            this.rootAddress = null;
            this.namespaceAddress = null;
        }
    }

    private void setUp(boolean withoutIpv6, String loopbackAddress) throws IOException, InterruptedException {
        run(List.of("ip", "netns", "add", name), true);
        namespaceMade = true;
        if (loopbackAddress != null) {
            ip("link", "set", "lo", "up");
            ip("addr", "add", loopbackAddress + "/32", "dev", "lo");
        }
        if (rootEnd == null) {
            return;
        }
        run(List.of("ip", "link", "add", rootEnd, "type", "veth", "peer", "name", namespaceEnd, "netns", name), true);
        vethMade = true;
        if (withoutIpv6 && Files.isDirectory(Path.of("/proc/sys/net/ipv6"))) { // no ipv6 directory: no IPv6 to turn off
            Files.writeString(Path.of("/proc/sys/net/ipv6/conf", rootEnd, "disable_ipv6"), "1");
            // /proc/sys/net shows the namespace of the process that opens it: a shell started in the namespace
            run(execCommand("sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/" + namespaceEnd + "/disable_ipv6"), true);
        }
        if (rootAddress != null) {
            run(List.of("ip", "addr", "add", rootAddress + "/30", "dev", rootEnd), true);
            ip("addr", "add", namespaceAddress + "/30", "dev", namespaceEnd);
        }
        run(List.of("ip", "link", "set", rootEnd, "up"), true);
        ip("link", "set", namespaceEnd, "up");
        awaitRootEndUp();
    }

    /** @return the namespace's name, as {@code ip netns} and {@code /run/netns} know it */
    public String name() {
        return name;
    }

    /** @return the veth end in the test's own namespace, where the JVM's sockets and pcap handles see it */
    public String rootEnd() {
        return requireVeth(rootEnd);
    }

    /** @return the veth end inside the namespace */
    public String namespaceEnd() {
        return requireVeth(namespaceEnd);
    }

    /** @return the address on {@link #rootEnd()} (see {@link Builder#vethWithAddresses()}) */
    public String rootAddress() {
        return requireAddresses(rootAddress);
    }

    /** @return the address on {@link #namespaceEnd()}, reachable from the test's namespace */
    public String namespaceAddress() {
        return requireAddresses(namespaceAddress);
    }

    /**
     * Sets the namespace's end of the pair down, as if its cable were pulled: the root end loses
     * its carrier, and nothing reaches {@link #namespaceAddress()} any more.
     */
    public void pullCable() throws IOException, InterruptedException {
        ip("link", "set", namespaceEnd(), "down");
    }

    /** Sets the namespace's end up again and returns once the root end is up too. */
    public void plugCable() throws IOException, InterruptedException {
        ip("link", "set", namespaceEnd(), "up");
        awaitRootEndUp();
    }

    /**
     * Runs {@code work} on a fresh thread that has entered the namespace, and returns what it
     * returned (or throws what it threw, inside an {@link java.util.concurrent.ExecutionException}).
     *
     * <p>A thread, because {@code setns(2)} moves only the calling thread: the rest of the JVM,
     * the test's own thread included, stays where it was. What {@code work} creates there (a
     * socket, a TUN device, a pcap handle) belongs to the namespace for its whole life, whichever
     * thread uses it later; a process it starts inherits the namespace. The thread ends with
     * {@code work}, so nothing else ever runs in the namespace by mistake.
     */
    public <T> T inNamespace(Callable<T> work) throws Exception {
        ExecutorService thread = Executors.newSingleThreadExecutor(r -> new Thread(r, "in-" + name));
        try {
            return thread.submit(() -> {
                enterNamespace();
                return work.call();
            }).get(60, TimeUnit.SECONDS);
        } finally {
            thread.shutdownNow();
        }
    }

    /**
     * Runs {@code ip -n <namespace> arguments...}, which must succeed.
     *
     * @return its output (standard output and error)
     * @throws IOException when it fails, with its output
     */
    public String ip(String... arguments) throws IOException, InterruptedException {
        return run(ipCommand(arguments), true);
    }

    /** @return whether {@code ip -n <namespace> arguments...} succeeds (for "is it gone?" checks) */
    public boolean ipSucceeds(String... arguments) throws IOException, InterruptedException {
        return exitCode(ipCommand(arguments)) == 0;
    }

    /**
     * Runs {@code command} as a process in the namespace ({@code ip netns exec}), whatever its
     * exit status: for a test that judges a program by what it says.
     *
     * @return its output (standard output and error)
     */
    public String exec(String... command) throws IOException, InterruptedException {
        return run(execCommand(command), false);
    }

    /**
     * Removes the namespace, which destroys every device in it: the namespace's veth end, and
     * with it the root end, and whatever the test left there. The kernel does that in the
     * background, a little after {@code ip netns del} returns, so the root end is removed by name
     * too: it is gone when close() returns (also if the namespace could not be removed). Never
     * throws for what is already gone, so it is safe after any failure, and twice.
     */
    @Override
    public void close() throws IOException, InterruptedException {
        if (namespaceMade) {
            run(List.of("ip", "netns", "del", name), false);
            namespaceMade = false;
        }
        if (vethMade && Files.exists(Path.of("/sys/class/net", rootEnd))) {
            run(List.of("ip", "link", "del", rootEnd), false);
        }
        vethMade = false;
    }

    @Override
    public String toString() {
        return rootEnd == null ? name : name + " (" + rootEnd + " <-> " + namespaceEnd + ")";
    }

    private void awaitRootEndUp() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Path operstate = Path.of("/sys/class/net", rootEnd, "operstate");
        while (!Files.readString(operstate).trim().equals("up")) {
            if (System.nanoTime() > deadline) {
                throw new IOException(rootEnd + " did not come up: " + Files.readString(operstate).trim());
            }
            TimeUnit.MILLISECONDS.sleep(10);
        }
    }

    private String requireVeth(String end) {
        if (end == null) {
            throw new IllegalStateException(name + " has no veth pair: ask the builder for veth()");
        }
        return end;
    }

    private String requireAddresses(String address) {
        if (address == null) {
            throw new IllegalStateException(name + " has no addresses on its veth pair: ask the builder for vethWithAddresses()");
        }
        return address;
    }

    private List<String> ipCommand(String... arguments) {
        List<String> command = new ArrayList<>(List.of("ip", "-n", name));
        command.addAll(List.of(arguments));
        return command;
    }

    private List<String> execCommand(String... arguments) {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", name));
        command.addAll(List.of(arguments));
        return command;
    }

    /** Enters the namespace through the file {@code ip netns add} bind-mounted under /run/netns. */
    private void enterNamespace() {
        String path = "/run/netns/" + name;
        int fd = LibC.INSTANCE.open(path, LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0) {
            throw new IllegalStateException("open " + path + ": errno " + Native.getLastError());
        }
        try {
            if (LibC.INSTANCE.setns(fd, LibC.CLONE_NEWNET) != 0) {
                throw new IllegalStateException("setns " + name + ": errno " + Native.getLastError());
            }
        } finally {
            LibC.INSTANCE.close(fd);
        }
    }

    private static String run(List<String> command, boolean mustSucceed) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish");
        }
        if (mustSucceed && process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output.trim());
        }
        return output;
    }

    private static int exitCode(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish");
        }
        return process.exitValue();
    }

    /** The libc calls that enter a namespace, loaded on first use. */
    interface LibC extends Library {
        LibC INSTANCE = Native.load("c", LibC.class);
        int O_RDONLY = 0;
        int O_CLOEXEC = 0x80000;
        int CLONE_NEWNET = 0x40000000;

        int open(String path, int flags);

        int setns(int fd, int nstype);

        int close(int fd);
    }
}
