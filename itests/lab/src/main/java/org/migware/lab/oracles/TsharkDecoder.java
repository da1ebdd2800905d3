package org.migware.lab.oracles;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.migware.lab.Commands;
import org.migware.lab.LabException;

/**
 * The independent oracle: decodes a capture with tshark (Wireshark's dissectors, not our parser)
 * and sums it up per TCP connection: both ISNs, both sides' SYN options, and the payload bytes
 * each way counted in sequence space. Tests compare MigWare's own tracker, and the applications'
 * own counts, against this.
 *
 * <p>tshark runs with absolute sequence numbers ({@code tcp.relative_sequence_numbers:FALSE}),
 * without TCP reassembly or sequence analysis (not needed, and slow on big captures), and prints
 * one line of {@link #FIELDS} per packet, which is streamed, so large captures are fine. ICMP
 * errors quote TCP headers and are excluded.
 *
 * <p>Orientation: the side that sent the SYN is the client; without a captured SYN, the side that
 * sent the SYN-ACK is the server; without either, the side with the lower port is taken to be the
 * server. A SYN with a new ISN on a known 4-tuple starts a new flow (port reuse).
 */
public final class TsharkDecoder {

    /** The tshark fields requested, in output order (names as in {@code tshark -G fields}). */
    public static final List<String> FIELDS = List.of("frame.time_epoch", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst",
            "ipv6.dst", "tcp.dstport", "tcp.flags", "tcp.seq", "tcp.ack", "tcp.len", "tcp.option_kind",
            "tcp.options.mss_val", "tcp.options.wscale.shift", "tcp.options.sack_perm", "tcp.options.timestamp.tsval",
            "tcp.options.timestamp.tsecr");

    private static final int TIME = 0;
    private static final int IP_SRC = 1;
    private static final int IP6_SRC = 2;
    private static final int SRC_PORT = 3;
    private static final int IP_DST = 4;
    private static final int IP6_DST = 5;
    private static final int DST_PORT = 6;
    private static final int FLAGS = 7;
    private static final int SEQ = 8;
    private static final int ACK = 9;
    private static final int LEN = 10;
    private static final int OPTION_KINDS = 11;
    private static final int MSS = 12;
    private static final int WSCALE = 13;
    private static final int SACK_PERM = 14;
    private static final int TSVAL = 15;

    private static final int FIN = 0x01;
    private static final int SYN = 0x02;
    private static final int RST = 0x04;
    private static final int ACK_FLAG = 0x10;
    private static final long MOD = 1L << 32;
    private static final long HALF = 1L << 31;

    private final String tshark;
    private final Duration timeout;

    /**
     * Uses the tshark on PATH with a 5-minute timeout.
     *
     * @throws LabException when tshark is not installed
     */
    public TsharkDecoder() {
        this(Path.of(Commands.tool("tshark", "tshark")), Duration.ofMinutes(5));
    }

    /**
     * @param tshark the tshark executable
     * @param timeout how long one decode may take
     */
    public TsharkDecoder(Path tshark, Duration timeout) {
        this.tshark = tshark.toString();
        this.timeout = timeout;
    }

    /**
     * @return whether tshark is installed, for tests that should say so instead of failing obscurely
     */
    public static boolean available() {
        return Commands.findTool("tshark").isPresent();
    }

    /**
     * Decodes every TCP connection in a capture.
     *
     * @param pcap the capture file
     * @return the connections in order of their first packet
     * @throws LabException when tshark fails
     */
    public List<TcpFlow> decode(Path pcap) {
        return decode(pcap, null);
    }

    /**
     * Decodes the TCP connections in a capture that match a display filter.
     *
     * @param pcap the capture file
     * @param displayFilter a Wireshark display filter such as {@code "tcp.port == 5000"}, or null
     * @return the connections in order of their first packet
     * @throws LabException when tshark fails or the filter is invalid
     */
    public List<TcpFlow> decode(Path pcap, String displayFilter) {
        if (!Files.isRegularFile(pcap)) {
            throw new LabException("no capture file at " + pcap);
        }
        String filter = "tcp && !icmp && !icmpv6" + (displayFilter == null ? "" : " && (" + displayFilter + ")");
        List<String> cmd = new ArrayList<>(List.of(tshark, "-r", pcap.toString(), "-n",
                "-o", "tcp.relative_sequence_numbers:FALSE",
                "-o", "tcp.analyze_sequence_numbers:FALSE",
                "-o", "tcp.desegment_tcp_streams:FALSE",
                "-Y", filter, "-T", "fields", "-E", "separator=/t", "-E", "header=n", "-E", "occurrence=a",
                "-E", "aggregator=,"));
        for (String field : FIELDS) {
            cmd.add("-e");
            cmd.add(field);
        }
        Path stderr;
        try {
            stderr = Files.createTempFile("tshark-", ".err");
        } catch (IOException e) {
            throw new LabException("cannot create a temporary file: " + e.getMessage(), e);
        }
        try {
            Process process = Commands.withToolPath(new ProcessBuilder(cmd)).redirectError(stderr.toFile()).start();
            Commands.closeQuietly(process.getOutputStream());
            Aggregator aggregator = new Aggregator();
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    aggregator.accept(line);
                }
            }
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                Commands.destroyTree(process.toHandle(), Duration.ZERO);
                throw new LabException("tshark took longer than " + timeout + " on " + pcap);
            }
            String errors = new String(Files.readAllBytes(stderr), StandardCharsets.UTF_8);
            // A capture whose writer was killed may end mid-packet; everything before that is fine.
            if (process.exitValue() != 0 && !errors.contains("cut short")) {
                throw new LabException("tshark failed (exit " + process.exitValue() + ") on " + pcap + ": " + errors.strip());
            }
            return aggregator.flows();
        } catch (IOException e) {
            throw new LabException("cannot run tshark on " + pcap + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while decoding " + pcap, e);
        } finally {
            try {
                Files.deleteIfExists(stderr);
            } catch (IOException e) {
                // a stray temp file is harmless
            }
        }
    }

    /**
     * Indexes flows by their key; with port reuse, the last flow of a 4-tuple wins.
     *
     * @param flows decoded flows
     * @return the flows by key, in order
     */
    public static Map<FlowKey, TcpFlow> byKey(List<TcpFlow> flows) {
        Map<FlowKey, TcpFlow> map = new LinkedHashMap<>();
        for (TcpFlow flow : flows) {
            map.put(flow.key(), flow);
        }
        return map;
    }

    /**
     * Aggregates lines in the {@link #FIELDS} format; separate from running tshark so it can be
     * tested with hand-written lines.
     *
     * @param lines tab-separated tshark output lines
     * @return the flows
     */
    static List<TcpFlow> decodeLines(Iterable<String> lines) {
        Aggregator aggregator = new Aggregator();
        for (String line : lines) {
            aggregator.accept(line);
        }
        return aggregator.flows();
    }

    /** Is {@code a} after {@code b} in 32-bit sequence space? */
    static boolean seqAfter(long a, long b) {
        long diff = (a - b) & (MOD - 1);
        return diff != 0 && diff < HALF;
    }

    private static final class Aggregator {
        private final Map<String, FlowState> current = new LinkedHashMap<>();
        private final List<FlowState> all = new ArrayList<>();

        void accept(String line) {
            if (line.isBlank()) {
                return;
            }
            String[] f = line.split("\t", -1);
            if (f.length < FIELDS.size() - 1) {
                return;
            }
            String src = first(f[IP_SRC]).isEmpty() ? first(f[IP6_SRC]) : first(f[IP_SRC]);
            String dst = first(f[IP_DST]).isEmpty() ? first(f[IP6_DST]) : first(f[IP_DST]);
            if (src.isEmpty() || dst.isEmpty() || first(f[SRC_PORT]).isEmpty()) {
                return;
            }
            int srcPort = Integer.parseInt(first(f[SRC_PORT]));
            int dstPort = Integer.parseInt(first(f[DST_PORT]));
            int flags = Integer.decode(first(f[FLAGS]));
            long seq = Long.parseLong(first(f[SEQ]));
            long ack = first(f[ACK]).isEmpty() ? -1 : Long.parseLong(first(f[ACK]));
            long len = first(f[LEN]).isEmpty() ? 0 : Long.parseLong(first(f[LEN]));
            double time = first(f[TIME]).isEmpty() ? 0 : Double.parseDouble(first(f[TIME]));

            String a = src + ":" + srcPort;
            String b = dst + ":" + dstPort;
            String pair = a.compareTo(b) < 0 ? a + "|" + b : b + "|" + a;
            FlowState flow = current.get(pair);
            boolean synOnly = (flags & SYN) != 0 && (flags & ACK_FLAG) == 0;
            if (flow != null && synOnly && flow.client.synSeen && flow.client.isn != seq && flow.isClient(src, srcPort)) {
                flow = null; // the 4-tuple is reused by a new connection
            }
            if (flow == null) {
                boolean srcIsClient;
                if ((flags & SYN) != 0) {
                    srcIsClient = (flags & ACK_FLAG) == 0;
                } else {
                    srcIsClient = srcPort > dstPort;
                }
                FlowKey key = srcIsClient ? new FlowKey(src, srcPort, dst, dstPort) : new FlowKey(dst, dstPort, src, srcPort);
                flow = new FlowState(key, time);
                current.put(pair, flow);
                all.add(flow);
            }
            flow.packets++;
            flow.lastTime = time;
            HalfState from = flow.isClient(src, srcPort) ? flow.client : flow.server;
            from.segment(flags, seq, ack, len, f);
        }

        List<TcpFlow> flows() {
            List<TcpFlow> flows = new ArrayList<>(all.size());
            for (FlowState s : all) {
                flows.add(new TcpFlow(s.key, s.client.build(s.server), s.server.build(s.client), s.packets, s.firstTime,
                        s.lastTime));
            }
            return flows;
        }
    }

    private static final class FlowState {
        final FlowKey key;
        final HalfState client = new HalfState();
        final HalfState server = new HalfState();
        final double firstTime;
        double lastTime;
        long packets;

        FlowState(FlowKey key, double time) {
            this.key = key;
            this.firstTime = time;
            this.lastTime = time;
        }

        boolean isClient(String ip, int port) {
            return key.clientPort() == port && key.clientIp().equals(ip);
        }
    }

    private static final class HalfState {
        boolean synSeen;
        long isn = -1;
        SynOptions options = SynOptions.NONE;
        long base = -1;
        long maxEnd;
        long segments;
        long highestAck = -1;
        long lastTsval = -1;
        boolean fin;
        boolean rst;

        void segment(int flags, long seq, long ack, long len, String[] f) {
            segments++;
            long dataStart = seq;
            if ((flags & SYN) != 0) {
                synSeen = true;
                isn = seq;
                base = (seq + 1) % MOD;
                dataStart = base;
                options = synOptions(f);
            }
            if (base < 0) {
                base = dataStart;
            }
            if (len > 0) {
                long rel = (dataStart - base) & (MOD - 1);
                if (rel < HALF) {
                    maxEnd = Math.max(maxEnd, rel + len);
                }
            }
            if ((flags & ACK_FLAG) != 0 && ack >= 0 && (highestAck < 0 || seqAfter(ack, highestAck))) {
                highestAck = ack;
            }
            String tsval = first(f[TSVAL]);
            if (!tsval.isEmpty()) {
                lastTsval = Long.parseLong(tsval);
            }
            fin |= (flags & FIN) != 0;
            rst |= (flags & RST) != 0;
        }

        TcpFlow.Side build(HalfState other) {
            long acked = highestAck >= 0 && other.base >= 0 ? (highestAck - other.base) & (MOD - 1) : -1;
            if (acked >= HALF) {
                acked = -1; // acknowledged something before the first byte we saw: not meaningful
            }
            return new TcpFlow.Side(synSeen, isn, options, maxEnd, segments, highestAck, acked, lastTsval, fin, rst);
        }
    }

    private static SynOptions synOptions(String[] f) {
        List<Integer> kinds = new ArrayList<>();
        for (String kind : f[OPTION_KINDS].split(",")) {
            if (!kind.isBlank()) {
                kinds.add(Integer.parseInt(kind.trim()));
            }
        }
        String mss = first(f[MSS]);
        String ws = first(f[WSCALE]);
        String tsval = first(f[TSVAL]);
        boolean sack = kinds.contains(4) || !first(f[SACK_PERM]).isEmpty();
        boolean timestamps = kinds.contains(8) || !tsval.isEmpty();
        return new SynOptions(mss.isEmpty() ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(mss)),
                ws.isEmpty() ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(ws)), sack, timestamps,
                tsval.isEmpty() ? -1 : Long.parseLong(tsval), List.copyOf(kinds));
    }

    private static String first(String value) {
        int comma = value.indexOf(',');
        return (comma < 0 ? value : value.substring(0, comma)).trim();
    }
}
