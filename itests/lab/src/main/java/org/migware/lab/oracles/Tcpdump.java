package org.migware.lab.oracles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.migware.lab.Commands;
import org.migware.lab.LabException;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.Role;

/**
 * A tcpdump capture inside one of the lab's namespaces, for the independent oracle
 * ({@link TsharkDecoder}) that MigWare's own capture and tracker are compared against.
 *
 * <p>Runs {@code tcpdump -i eth0 -w FILE -s 200 -U --immediate-mode -n -Z root [filter]}:
 * 200 bytes hold every header (options included) but little payload, {@code -U} and
 * {@code --immediate-mode} write each packet as it arrives so stopping loses nothing, and
 * {@code -Z root} stops tcpdump from dropping to its own user, which could not write a capture
 * file in a root-owned directory. {@link #start} returns once tcpdump reports that it listens, so
 * no packet sent afterwards is missed.
 */
public final class Tcpdump implements AutoCloseable {

    /** The default snapshot length: every header, options included, and a little payload. */
    public static final int DEFAULT_SNAPLEN = 200;

    private static final Pattern STAT = Pattern.compile("(\\d+) packets? (captured|received by filter|dropped by kernel)");

    /**
     * What tcpdump says it did, from its exit summary.
     *
     * @param captured packets written to the file
     * @param receivedByFilter packets that matched the filter
     * @param droppedByKernel packets lost because tcpdump did not keep up
     */
    public record CaptureStats(long captured, long receivedByFilter, long droppedByKernel) {
    }

    private final LabProcess process;
    private final Path pcap;
    private CaptureStats stats;

    private Tcpdump(LabProcess process, Path pcap) {
        this.process = process;
        this.pcap = pcap;
    }

    /**
     * Captures everything on a role's {@value LabNetwork#ROLE_INTERFACE} with the default snapshot
     * length. On the backup this sees the whole client-primary conversation, since the hub floods.
     *
     * @param lab the lab
     * @param role whose interface
     * @param pcap the capture file to write
     * @return the running capture
     */
    public static Tcpdump start(LabNetwork lab, Role role, Path pcap) {
        return on(lab, role).pcap(pcap).start();
    }

    /**
     * @param lab the lab
     * @param role whose namespace to capture in
     * @return a builder for a capture with non-default settings
     */
    public static Builder on(LabNetwork lab, Role role) {
        return new Builder(lab, role);
    }

    /** @return the capture file */
    public Path pcap() {
        return pcap;
    }

    /** @return the tcpdump process */
    public LabProcess process() {
        return process;
    }

    /**
     * Stops the capture: waits until the file has stopped growing (packets still in flight through
     * the bridge land in it), then SIGTERM, so tcpdump flushes and prints its statistics.
     * Idempotent.
     *
     * @return tcpdump's statistics
     */
    public synchronized CaptureStats stop() {
        if (stats != null) {
            return stats;
        }
        if (process.isAlive()) {
            awaitQuiet(Duration.ofMillis(150), Duration.ofSeconds(2));
            process.destroy(Duration.ofSeconds(5));
        }
        stats = parseStats(process.stderr());
        return stats;
    }

    /** Same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    private void awaitQuiet(Duration quiet, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        long lastSize = -1;
        long stableSince = System.nanoTime();
        while (System.nanoTime() - deadline < 0) {
            long size;
            try {
                size = Files.size(pcap);
            } catch (IOException e) {
                size = -1;
            }
            long now = System.nanoTime();
            if (size != lastSize) {
                lastSize = size;
                stableSince = now;
            } else if (now - stableSince >= quiet.toNanos()) {
                return;
            }
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    static CaptureStats parseStats(String stderr) {
        long captured = -1;
        long received = -1;
        long dropped = -1;
        Matcher m = STAT.matcher(stderr);
        while (m.find()) {
            long value = Long.parseLong(m.group(1));
            switch (m.group(2)) {
                case "captured" -> captured = value;
                case "received by filter" -> received = value;
                default -> dropped = value;
            }
        }
        return new CaptureStats(captured, received, dropped);
    }

    /** Settings of a capture; {@link #start()} runs it. */
    public static final class Builder {
        private final LabNetwork lab;
        private final Role role;
        private String interfaceName = LabNetwork.ROLE_INTERFACE;
        private int snaplen = DEFAULT_SNAPLEN;
        private String filter;
        private Path pcap;
        private String name;
        private Duration startTimeout = Duration.ofSeconds(10);

        private Builder(LabNetwork lab, Role role) {
            this.lab = lab;
            this.role = role;
        }

        /**
         * @param name the interface to capture on (default eth0)
         * @return this
         */
        public Builder interfaceName(String name) {
            this.interfaceName = name;
            return this;
        }

        /**
         * @param bytes bytes kept per packet (default 200)
         * @return this
         */
        public Builder snaplen(int bytes) {
            this.snaplen = bytes;
            return this;
        }

        /**
         * @param bpf a capture filter such as {@code "tcp port 5000"}; null = everything
         * @return this
         */
        public Builder filter(String bpf) {
            this.filter = bpf;
            return this;
        }

        /**
         * @param file the capture file to write (default: {@code <workDir>/<name>.pcap})
         * @return this
         */
        public Builder pcap(Path file) {
            this.pcap = file;
            return this;
        }

        /**
         * @param name the process name for logs (default {@code tcpdump-<role>})
         * @return this
         */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /**
         * @param timeout how long tcpdump may take to start listening (default 10 s)
         * @return this
         */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        /**
         * Starts tcpdump and waits until it listens.
         *
         * @return the running capture
         * @throws LabException when tcpdump is missing or does not start listening
         */
        public Tcpdump start() {
            String tcpdump = Commands.tool("tcpdump", "tcpdump");
            String label = name != null ? name : "tcpdump-" + role.suffix();
            Path file = pcap != null ? pcap : lab.workDir().resolve(label + ".pcap");
            List<String> cmd = new ArrayList<>(List.of(tcpdump, "-i", interfaceName, "-w", file.toAbsolutePath().toString(),
                    "-s", Integer.toString(snaplen), "-U", "--immediate-mode", "-n", "-Z", "root"));
            if (filter != null && !filter.isBlank()) {
                cmd.add(filter);
            }
            LabProcess process = lab.start(role, label, cmd.toArray(String[]::new));
            try {
                process.awaitOutput("listening on", startTimeout);
            } catch (LabException e) {
                process.destroy(Duration.ZERO);
                throw e;
            }
            return new Tcpdump(process, file);
        }
    }
}
