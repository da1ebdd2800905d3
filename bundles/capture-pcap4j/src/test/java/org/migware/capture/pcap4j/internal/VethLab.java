package org.migware.capture.pcap4j.internal;

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
 * A veth pair for live capture tests: one end ({@link #rootEnd}) in the test's own network
 * namespace, where pcap4j opens interfaces, the other ({@link #namespaceEnd}) in a namespace made
 * for the test. Neither end has an address and IPv6 is off on both, so the host's networking is not
 * touched beyond the pair and the only frames on it are the test's. {@link #close()} removes the
 * namespace and the pair, also after a failure.
 *
 * <p>{@link #inNamespace} runs code on a thread that has entered the namespace ({@code setns(2)}
 * affects only the calling thread): a pcap handle opened there belongs to the namespace's end for
 * its whole life, whichever thread uses it later.
 */
final class VethLab implements AutoCloseable {

    /** What {@code ip} must be and do for the lab: root, and the iproute2 tool. */
    static boolean available() {
        return isRoot() && List.of("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip").stream()
                .anyMatch(tool -> Files.isExecutable(Path.of(tool)));
    }

    final String namespace;
    final String rootEnd;
    final String namespaceEnd;

    private VethLab(String id) {
        // interface names have at most 15 characters: "mwc" + 6 + "a" = 10
        this.namespace = "mwcap-" + id;
        this.rootEnd = "mwc" + id + "a";
        this.namespaceEnd = "mwc" + id + "b";
    }

    static VethLab create() throws Exception {
        byte[] random = new byte[3];
        new SecureRandom().nextBytes(random);
        VethLab lab = new VethLab(HexFormat.of().formatHex(random));
        try {
            lab.setUp();
            return lab;
        } catch (Exception | Error e) {
            lab.close();
            throw e;
        }
    }

    private void setUp() throws Exception {
        ip("netns", "add", namespace);
        ip("link", "add", rootEnd, "type", "veth", "peer", "name", namespaceEnd, "netns", namespace);
        // IPv6 off on both ends: no router solicitations or DAD probes, so the wire carries only our frames
        Files.writeString(Path.of("/proc/sys/net/ipv6/conf", rootEnd, "disable_ipv6"), "1");
        ip("netns", "exec", namespace, "sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/" + namespaceEnd + "/disable_ipv6");
        ip("link", "set", rootEnd, "up");
        ip("-n", namespace, "link", "set", namespaceEnd, "up");
        // A veth end carries frames only once both ends are up: wait for the kernel to say so.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Path operstate = Path.of("/sys/class/net", rootEnd, "operstate");
        while (!Files.readString(operstate).trim().equals("up")) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(rootEnd + " did not come up: " + Files.readString(operstate));
            }
            TimeUnit.MILLISECONDS.sleep(10);
        }
    }

    /**
     * Runs {@code work} on a fresh thread inside the lab's namespace.
     *
     * @return what {@code work} returned
     */
    <T> T inNamespace(Callable<T> work) throws Exception {
        ExecutorService thread = Executors.newSingleThreadExecutor(r -> new Thread(r, "in-" + namespace));
        try {
            return thread.submit(() -> {
                enterNamespace();
                return work.call();
            }).get(60, TimeUnit.SECONDS);
        } finally {
            thread.shutdownNow(); // the thread ends; nothing else ever runs in the namespace
        }
    }

    private void enterNamespace() {
        int fd = LibC.INSTANCE.open("/run/netns/" + namespace, LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0) {
            throw new IllegalStateException("open /run/netns/" + namespace + ": errno " + Native.getLastError());
        }
        try {
            if (LibC.INSTANCE.setns(fd, LibC.CLONE_NEWNET) != 0) {
                throw new IllegalStateException("setns " + namespace + ": errno " + Native.getLastError());
            }
        } finally {
            LibC.INSTANCE.close(fd);
        }
    }

    /** Removes the namespace (which takes its end, and so the pair, with it) and the root end if left. */
    @Override
    public void close() throws IOException, InterruptedException {
        run(List.of("ip", "netns", "del", namespace), false);
        if (Files.exists(Path.of("/sys/class/net", rootEnd))) {
            run(List.of("ip", "link", "del", rootEnd), false);
        }
    }

    private static void ip(String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("ip");
        command.addAll(List.of(arguments));
        run(command, true);
    }

    private static void run(List<String> command, boolean mustSucceed) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish");
        }
        if (mustSucceed && process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output.trim());
        }
    }

    static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .anyMatch(line -> line.matches("Uid:\\s+0\\s.*"));
        } catch (IOException e) {
            return false;
        }
    }

    /** The two libc calls that enter a namespace. */
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
