package org.migware.lab.network;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.migware.lab.Commands;
import org.migware.lab.ExecResult;
import org.migware.lab.LabException;

/**
 * Frames dropped on the mirror only: an nftables table of the bridge family in the hub whose
 * rules act on the copies the bridge sends out of one role's port (the forward hook, matched by
 * {@code oifname}). The hub floods every frame to every port, so the copy towards the backup, which
 * MigWare captures, can be dropped while the primary and the clients get theirs: loss on the
 * mirror, not on the wire. The kernel has no netem; this stands in for loss on a SPAN port.
 *
 * <p>Every filter counts the TCP frames that went towards the port ({@link Counters#seen()},
 * dropped ones included) and the frames it dropped ({@link Counters#dropped()}), with nftables'
 * own named counters: a test asserts that the fault happened, not only that it was asked for.
 * {@link #stop()} ends the fault with one command (the rules flushed, the counters kept), for a
 * fault that must end at a given moment; {@link #remove()} takes the table out. The table lives in
 * the hub's namespace and goes with the lab. One filter per role at a time (the table is named
 * after the role).
 */
public final class MirrorFilter {

    /** The named counter of every TCP frame towards the port. */
    static final String SEEN = "seen";
    /** The named counter of the frames the rules dropped. */
    static final String DROPPED = "dropped";
    /** The chain of the rules. */
    static final String CHAIN = "mirror";

    private static final Duration NFT_TIMEOUT = Duration.ofSeconds(10);
    /** A named counter in {@code nft list counters}: its name and packets. */
    private static final Pattern COUNTER = Pattern.compile("counter (\\w+) \\{\\s*packets (\\d+)");

    /**
     * What the filter's rules counted.
     *
     * @param seen TCP frames that went towards the port while the filter was in (dropped ones included)
     * @param dropped frames the filter dropped
     */
    public record Counters(long seen, long dropped) {

        /** @return the dropped share of the frames seen, in percent; NaN before any */
        public double droppedPercent() {
            return seen == 0 ? Double.NaN : 100.0 * dropped / seen;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d of %d TCP frames dropped (%.2f %%)", dropped, seen, droppedPercent());
        }
    }

    private final LabNetwork lab;
    private final String table;
    private final String description;
    private boolean stopped;
    private boolean removed;
    private Counters last;

    private MirrorFilter(LabNetwork lab, String table, String description) {
        this.lab = lab;
        this.table = table;
        this.description = description;
    }

    /**
     * Drops a random share of the TCP frames towards the role ({@code numgen random}); ARP and ICMP
     * pass, so the monitors' probes are not what the loss hits.
     *
     * @param lab the lab
     * @param towards whose port: {@link Role#BACKUP} for MigWare's capture
     * @param percent the share dropped, 0.01 to 100
     * @return the filter, in place
     */
    public static MirrorFilter randomLoss(LabNetwork lab, Role towards, double percent) {
        if (!(percent >= 0.01 && percent <= 100)) {
            throw new IllegalArgumentException("the share dropped must be 0.01..100 %: " + percent);
        }
        long inTenThousand = Math.round(percent * 100);
        return install(lab, towards, String.format(Locale.ROOT, "%.2f %% random loss of TCP frames", percent),
                List.of("meta l4proto tcp numgen random mod 10000 < " + inTenThousand));
    }

    /**
     * Drops the pure acknowledgements (no payload, no SYN, FIN or RST) one host sends to a TCP port of
     * another, on their way towards the role: the capture misses them, the receiver does not.
     *
     * @param lab the lab
     * @param towards whose port: {@link Role#BACKUP} for MigWare's capture
     * @param from the host whose ACKs are dropped (the clients)
     * @param to the host they go to (the service's address)
     * @param port the service's port
     * @return the filter, in place
     */
    public static MirrorFilter pureAcks(LabNetwork lab, Role towards, Role from, Role to, int port) {
        return install(lab, towards, "pure ACKs from " + from.suffix() + " to " + to.suffix() + ":" + port,
                pureAckMatches(lab.address(from), lab.address(to), port));
    }

    /**
     * nftables cannot subtract one header field from another, so "no payload" is an IP length equal to
     * the headers' own, once for each TCP header length (data offset 5 to 15 words; IP header without
     * options, as Linux sends).
     */
    static List<String> pureAckMatches(String from, String to, int port) {
        List<String> matches = new ArrayList<>();
        for (int doff = 5; doff <= 15; doff++) {
            matches.add("ip saddr " + from + " ip daddr " + to + " tcp dport " + port
                    + " tcp flags & (syn | fin | rst) == 0 tcp flags & ack == ack ip hdrlength 5 tcp doff " + doff
                    + " ip length " + (20 + 4 * doff));
        }
        return matches;
    }

    /**
     * The nftables script of a filter: two named counters (they outlive the rules, see {@link #stop()}),
     * the counting rule first, then one dropping rule per match.
     */
    static String script(String table, String port, List<String> dropMatches) {
        StringBuilder s = new StringBuilder("table bridge ").append(table).append(" {\n")
                .append(" counter ").append(SEEN).append(" { }\n counter ").append(DROPPED).append(" { }\n")
                .append(" chain ").append(CHAIN).append(" {\n  type filter hook forward priority 0; policy accept;\n")
                .append("  oifname \"").append(port).append("\" meta l4proto tcp counter name \"").append(SEEN).append("\"\n");
        for (String match : dropMatches) {
            s.append("  oifname \"").append(port).append("\" ").append(match).append(" counter name \"").append(DROPPED)
                    .append("\" drop\n");
        }
        return s.append(" }\n}\n").toString();
    }

    /** Reads the two named counters from {@code nft list counters table ...}'s output. */
    static Counters parse(String listing) {
        long seen = -1;
        long dropped = -1;
        Matcher m = COUNTER.matcher(listing);
        while (m.find()) {
            long packets = Long.parseLong(m.group(2));
            if (m.group(1).equals(SEEN)) {
                seen = packets;
            } else if (m.group(1).equals(DROPPED)) {
                dropped = packets;
            }
        }
        if (seen < 0 || dropped < 0) {
            throw new LabException("no counters of a mirror filter in: " + listing);
        }
        return new Counters(seen, dropped);
    }

    private static MirrorFilter install(LabNetwork lab, Role towards, String what, List<String> dropMatches) {
        String table = "migware_mirror_" + towards.suffix();
        String port = lab.bridgePort(towards);
        Path file = lab.workDir().resolve(table + ".nft");
        try {
            Files.writeString(file, script(table, port, dropMatches));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        nft(lab, "-f", file.toString()).requireSuccess();
        return new MirrorFilter(lab, table, what + " towards " + port);
    }

    private static ExecResult nft(LabNetwork lab, String... args) {
        List<String> command = new ArrayList<>(List.of(Commands.tool("nft", "nftables")));
        command.addAll(List.of(args));
        return lab.execIn(lab.hubNamespace(), NFT_TIMEOUT, command);
    }

    /**
     * @return what the rules counted so far (after {@link #remove()}, the last reading before it)
     * @throws LabException when the table cannot be read
     */
    public synchronized Counters counters() {
        if (removed) {
            return last;
        }
        return parse(nft(lab, "list", "counters", "table", "bridge", table).requireSuccess().stdout());
    }

    /**
     * Ends the fault at once, with a single command: the rules are flushed, the counters stay
     * readable. Does nothing the second time.
     */
    public synchronized void stop() {
        if (stopped || removed) {
            return;
        }
        nft(lab, "flush", "chain", "bridge", table, CHAIN).requireSuccess();
        stopped = true;
    }

    /** Takes the table out, keeping its last counters; does nothing the second time. */
    public synchronized void remove() {
        if (removed) {
            return;
        }
        stop();
        last = counters();
        nft(lab, "delete", "table", "bridge", table).requireSuccess();
        removed = true;
    }

    @Override
    public String toString() {
        return "MirrorFilter[" + description + "]";
    }
}
