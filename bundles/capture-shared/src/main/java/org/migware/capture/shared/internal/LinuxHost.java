package org.migware.capture.shared.internal;

import java.io.IOException;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;


/**
 * The real Linux host: {@code /sys/class/net}, {@code /proc/self/status}, and the backend's own
 * way of compiling a filter expression (both compile it with libpcap, each through its binding).
 */
public final class LinuxHost implements Host {

    /** Compiles a BPF expression for an Ethernet capture, without opening an interface. */
    @FunctionalInterface
    public interface FilterCompiler {
        /**
         * @param expression the filter
         * @param snapshotLength the snapshot length it will run with
         * @return libpcap's complaint, or empty when it compiles
         */
        Optional<String> filterError(String expression, int snapshotLength);
    }

    private final FilterCompiler compiler;

    /** Bit of CAP_NET_RAW in the capability sets of /proc/self/status (linux/capability.h). */
    private static final int CAP_NET_RAW = 13;

    /** @param compiler the backend's filter compiler */
    public LinuxHost(FilterCompiler compiler) {
        this.compiler = compiler;
    }

    @Override
    public List<String> interfaceNames() {
        // /sys/class/net lists every interface of the namespace, also those that are down or have no
        // address; java.net.NetworkInterface misses interfaces without an IPv4 address on Linux, and
        // a capture port often has none.
        try (Stream<Path> entries = Files.list(Path.of("/sys/class/net"))) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException | RuntimeException e) {
            try {
                return Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
                        .map(NetworkInterface::getName).sorted().toList();
            } catch (SocketException unavailable) {
                return List.of();
            }
        }
    }

    @Override
    public boolean mayCapture() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    long effective = Long.parseUnsignedLong(line.substring("CapEff:".length()).trim(), 16);
                    return (effective & (1L << CAP_NET_RAW)) != 0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or /proc is hidden: let the backend say whether it may
        }
        return true;
    }

    @Override
    public String userName() {
        return System.getProperty("user.name");
    }

    @Override
    public Optional<String> filterError(String expression, int snapshotLength) {
        return compiler.filterError(expression, snapshotLength);
    }
}
