package org.migware.capture.pcap4j.internal;

import java.io.IOException;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

/** The real Linux host: {@code /sys/class/net}, {@code /proc/self/status}, and libpcap for filters. */
final class LinuxHost implements Host {

    static final LinuxHost INSTANCE = new LinuxHost();

    /** Bit of CAP_NET_RAW in the capability sets of /proc/self/status (linux/capability.h). */
    private static final int CAP_NET_RAW = 13;

    private LinuxHost() {
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
            // not Linux, or /proc is hidden: let libpcap say whether it may
        }
        return true;
    }

    @Override
    public String userName() {
        return System.getProperty("user.name");
    }

    @Override
    public Optional<String> filterError(String expression, int snapshotLength) {
        // A "dead" handle compiles without opening any interface, so it needs no privilege, and
        // unlike pcap_compile_nopcap it keeps libpcap's error text ("syntax error" and where).
        PcapHandle dead;
        try {
            dead = Pcaps.openDead(DataLinkType.EN10MB, snapshotLength);
        } catch (PcapNativeException e) {
            return Optional.of("libpcap cannot compile filters here: " + e.getMessage());
        }
        try {
            BpfProgram program = dead.compileFilter(expression, BpfProgram.BpfCompileMode.OPTIMIZE,
                    PcapHandle.PCAP_NETMASK_UNKNOWN);
            program.free();
            return Optional.empty();
        } catch (PcapNativeException e) {
            return Optional.of(e.getMessage());
        } catch (NotOpenException e) {
            throw new IllegalStateException("a dead handle closed itself", e);
        } finally {
            dead.close();
        }
    }
}
