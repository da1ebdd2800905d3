package org.migware.monitor.icmp.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A "primary" to ping: a network namespace made for the test, joined to the test's namespace by a
 * veth pair with a random /30 from 100.64.0.0/10 (.1 here, .2 in the namespace). {@link #pullCable()}
 * sets the namespace's end down, as the lab pulls the primary's cable. {@link #close()} removes
 * the namespace and the pair, also after a failure.
 */
final class NamespaceLab implements AutoCloseable {

    static boolean available() {
        return isRoot() && List.of("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip").stream()
                .anyMatch(tool -> Files.isExecutable(Path.of(tool)));
    }

    final String namespace;
    final String rootEnd;
    final String namespaceEnd;
    final String rootAddress;
    final String primaryAddress;

    private NamespaceLab(byte[] random) {
        String id = HexFormat.of().formatHex(random, 0, 3);
        this.namespace = "mwicmp-" + id;
        this.rootEnd = "mwi" + id + "a";
        this.namespaceEnd = "mwi" + id + "b";
        String prefix = "100." + (64 + (random[3] & 0x3f)) + "." + (random[4] & 0xff) + ".";
        int base = random[5] & 0xfc;
        this.rootAddress = prefix + (base + 1);
        this.primaryAddress = prefix + (base + 2);
    }

    static NamespaceLab create() throws Exception {
        byte[] random = new byte[6];
        new SecureRandom().nextBytes(random);
        NamespaceLab lab = new NamespaceLab(random);
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
        ip("addr", "add", rootAddress + "/30", "dev", rootEnd);
        ip("-n", namespace, "addr", "add", primaryAddress + "/30", "dev", namespaceEnd);
        ip("link", "set", rootEnd, "up");
        ip("-n", namespace, "link", "set", namespaceEnd, "up");
        awaitOperstate("up");
    }

    /** Sets the primary's end of the link down. */
    void pullCable() throws Exception {
        ip("-n", namespace, "link", "set", namespaceEnd, "down");
    }

    /** Sets it up again. */
    void plugCable() throws Exception {
        ip("-n", namespace, "link", "set", namespaceEnd, "up");
        awaitOperstate("up");
    }

    private void awaitOperstate(String state) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Path operstate = Path.of("/sys/class/net", rootEnd, "operstate");
        while (!Files.readString(operstate).trim().equals(state)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(rootEnd + " is not " + state + ": " + Files.readString(operstate));
            }
            TimeUnit.MILLISECONDS.sleep(10);
        }
    }

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
            return Files.readAllLines(Path.of("/proc/self/status")).stream().anyMatch(line -> line.matches("Uid:\\s+0\\s.*"));
        } catch (IOException e) {
            return false;
        }
    }
}
