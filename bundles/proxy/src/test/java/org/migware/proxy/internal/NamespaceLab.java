package org.migware.proxy.internal;

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
 * A network namespace made for one test and removed after it, also after a failure: the TUN device,
 * its route and the test's listener live there, so the host's own networking is never touched.
 * Its loopback is up and carries {@link #REPLICA_ADDRESS}, which plays the replica's (backup's)
 * address: a packet from the TUN to 127.0.0.1 would be dropped as a martian.
 *
 * <p>{@link #inNamespace} runs code on a thread that has entered the namespace ({@code setns(2)}
 * changes only the calling thread). A TUN device or a socket created there stays in the namespace
 * for its whole life, whichever thread uses it later, and a process started there ({@code ip})
 * inherits it.
 */
final class NamespaceLab implements AutoCloseable {

    /** TEST-NET-1 (RFC 5737), on the namespace's loopback. */
    static final String REPLICA_ADDRESS = "192.0.2.1";

    /** What the lab needs: root, and the iproute2 tool. */
    static boolean available() {
        return isRoot() && List.of("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip").stream()
                .anyMatch(tool -> Files.isExecutable(Path.of(tool)));
    }

    final String namespace;

    private NamespaceLab(String id) {
        this.namespace = "mwproxy-" + id;
    }

    static NamespaceLab create() throws Exception {
        byte[] random = new byte[3];
        new SecureRandom().nextBytes(random);
        NamespaceLab lab = new NamespaceLab(HexFormat.of().formatHex(random));
        try {
            run(List.of("ip", "netns", "add", lab.namespace), true);
            lab.ip("link", "set", "lo", "up");
            lab.ip("addr", "add", REPLICA_ADDRESS + "/32", "dev", "lo");
            return lab;
        } catch (Exception | Error e) {
            lab.close();
            throw e;
        }
    }

    /** Runs {@code work} on a fresh thread inside the namespace and returns what it returned. */
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

    /** Runs {@code ip -n <namespace> arguments...}, which must succeed, and returns its output. */
    String ip(String... arguments) throws IOException, InterruptedException {
        return run(ipCommand(arguments), true);
    }

    /** @return whether {@code ip -n <namespace> arguments...} succeeds */
    boolean ipSucceeds(String... arguments) throws IOException, InterruptedException {
        return exitCode(ipCommand(arguments)) == 0;
    }

    private List<String> ipCommand(String... arguments) {
        List<String> command = new ArrayList<>(List.of("ip", "-n", namespace));
        command.addAll(List.of(arguments));
        return command;
    }

    private void enterNamespace() {
        int fd = Setns.INSTANCE.open("/run/netns/" + namespace, Setns.O_RDONLY | Setns.O_CLOEXEC);
        if (fd < 0) {
            throw new IllegalStateException("open /run/netns/" + namespace + ": errno " + Native.getLastError());
        }
        try {
            if (Setns.INSTANCE.setns(fd, Setns.CLONE_NEWNET) != 0) {
                throw new IllegalStateException("setns " + namespace + ": errno " + Native.getLastError());
            }
        } finally {
            Setns.INSTANCE.close(fd);
        }
    }

    /** Removes the namespace, and with it anything the test left in it. */
    @Override
    public void close() throws IOException, InterruptedException {
        run(List.of("ip", "netns", "del", namespace), false);
    }

    static String run(List<String> command, boolean mustSucceed) throws IOException, InterruptedException {
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

    static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .anyMatch(line -> line.matches("Uid:\\s+0\\s.*"));
        } catch (IOException e) {
            return false;
        }
    }

    /** The libc calls that enter a namespace. */
    interface Setns extends Library {
        Setns INSTANCE = Native.load("c", Setns.class);
        int O_RDONLY = 0;
        int O_CLOEXEC = 0x80000;
        int CLONE_NEWNET = 0x40000000;

        int open(String path, int flags);

        int setns(int fd, int nstype);

        int close(int fd);
    }
}
