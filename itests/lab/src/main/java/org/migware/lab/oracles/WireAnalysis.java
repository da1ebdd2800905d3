package org.migware.lab.oracles;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.migware.lab.LabException;

/**
 * What the wire says, read from a capture by tshark (the oracle, never MigWare's own parser):
 * every data segment a client sent to the service port, when it was first sent, whether it was
 * sent again, when the first ACK that covered it came back, and which records
 * ({@code c<conn> r<seq>}) it carried.
 *
 * <p>This is the thesis's measurement (chapter 6.2.5): the time from a PSH+ACK to the ACK that
 * answers it, from capture timestamps. The thesis captured on the hub; the lab captures on the
 * client's own link, which on a hub sees the same frames a few microseconds apart. A segment that
 * was retransmitted gives no latency sample (Karn: its ACK cannot be matched to one send).
 */
public final class WireAnalysis {

    /** The tshark fields read, in order. */
    static final List<String> FIELDS = List.of("frame.time_epoch", "ip.src", "tcp.srcport", "ip.dst", "tcp.dstport",
            "tcp.flags", "tcp.seq", "tcp.ack", "tcp.len", "tcp.payload");

    private static final long MASK = 0xffff_ffffL;
    private static final int SYN = 0x02;
    private static final int RST = 0x04;
    private static final int ACK = 0x10;

    /**
     * One data segment from a client.
     *
     * @param clientPort the client's port (the flow)
     * @param relSeq its first byte, relative to the flow's first sequence number
     * @param length its payload length
     * @param sentEpochSeconds its first transmission
     * @param retransmitted whether any of its bytes were sent again
     * @param ackEpochSeconds the first ACK from the server side that covered it; NaN if none
     * @param records the records whose headers it carried, as {connId, seq}
     * @param answerEpochSeconds the first segment from the server side that carried data and whose
     *        ACK covered it: the answer can only be written once the request is in, so this is
     *        its answer's first byte (an answer to an earlier request sent after this one arrived
     *        would count too; the lab's clients have one request outstanding); NaN if none
     * @param queuedBehindRetransmission whether an earlier segment of its flow that was sent again
     *        was still unacknowledged when it left: its ACK waited for that retransmission, so
     *        its time is the earlier segment's loss, not the path's
     */
    public record Segment(int clientPort, long relSeq, int length, double sentEpochSeconds, boolean retransmitted,
            double ackEpochSeconds, List<long[]> records, double answerEpochSeconds, boolean queuedBehindRetransmission) {

        /** @return whether its times are the path's: sent once, behind no segment that was sent again */
        public boolean clean() {
            return !retransmitted && !queuedBehindRetransmission;
        }

        /** @return PSH to ACK in milliseconds; NaN when retransmitted or never acknowledged */
        public double latencyMillis() {
            return retransmitted || Double.isNaN(ackEpochSeconds) ? Double.NaN : (ackEpochSeconds - sentEpochSeconds) * 1000.0;
        }
    }

    /**
     * The first transmission of a record on the wire.
     *
     * @param connId the record's connection id
     * @param seq the record's number
     * @param clientPort the TCP flow that carried it
     * @param sentEpochSeconds when it first left the client
     * @param ackEpochSeconds when the segment that carried it was first acknowledged; NaN if never
     */
    public record RecordSend(long connId, long seq, int clientPort, double sentEpochSeconds, double ackEpochSeconds) {
    }

    private final List<Segment> segments;
    private final Map<Integer, Double> resets;

    private WireAnalysis(List<Segment> segments, Map<Integer, Double> resets) {
        this.segments = segments;
        this.resets = resets;
    }

    /** @return every client data segment, per flow in sequence order */
    public List<Segment> segments() {
        return segments;
    }

    /** @return per client port, when the server side first sent a RST to it (epoch seconds) */
    public Map<Integer, Double> resetsToClient() {
        return resets;
    }

    /** @return the first transmission of every record seen, keyed "conn/seq" in order of appearance */
    public Map<String, RecordSend> records() {
        Map<String, RecordSend> out = new LinkedHashMap<>();
        for (Segment s : segments) {
            for (long[] r : s.records()) {
                String key = r[0] + "/" + r[1];
                RecordSend existing = out.get(key);
                if (existing == null || existing.sentEpochSeconds() > s.sentEpochSeconds()) {
                    out.put(key, new RecordSend(r[0], r[1], s.clientPort(), s.sentEpochSeconds(), s.ackEpochSeconds()));
                }
            }
        }
        return out;
    }

    /**
     * Decodes a capture with tshark.
     *
     * @param pcap the capture
     * @param serverPort the service port the clients connect to
     * @param timeout how long tshark may take
     * @return the analysis
     * @throws LabException when tshark fails
     */
    public static WireAnalysis decode(Path pcap, int serverPort, java.time.Duration timeout) {
        return fromLines(lines(pcap, serverPort, timeout), serverPort);
    }

    /**
     * Decodes a capture with tshark into lines of {@link #FIELDS}, for callers that read the same
     * frames more than one way (see {@link WireFailover}).
     *
     * @param pcap the capture
     * @param serverPort the service port the clients connect to
     * @param timeout how long tshark may take
     * @return tshark's lines, tab-separated, in capture order
     * @throws LabException when tshark fails
     */
    public static List<String> lines(Path pcap, int serverPort, java.time.Duration timeout) {
        List<String> cmd = new ArrayList<>(List.of("tshark", "-r", pcap.toString(), "-n",
                "-o", "tcp.relative_sequence_numbers:FALSE",
                "-o", "tcp.analyze_sequence_numbers:FALSE",
                "-o", "tcp.desegment_tcp_streams:FALSE",
                "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"));
        for (String field : FIELDS) {
            cmd.add("-e");
            cmd.add(field);
        }
        cmd.add("tcp.port == " + serverPort);
        Path err;
        try {
            err = Files.createTempFile("migware-tshark-", ".err");
        } catch (IOException e) {
            throw new LabException("cannot create a temporary file: " + e.getMessage(), e);
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
        List<String> lines = new ArrayList<>();
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(line);
                }
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new LabException("tshark took longer than " + timeout + " on " + pcap);
            }
            if (p.exitValue() != 0) {
                throw new LabException("tshark failed on " + pcap + " (exit " + p.exitValue() + "): " + Files.readString(err));
            }
        } catch (IOException e) {
            throw new LabException("cannot run tshark: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted while tshark ran", e);
        } finally {
            try {
                Files.deleteIfExists(err);
            } catch (IOException e) {
                // a temporary file; nothing depends on it
            }
        }
        return lines;
    }

    /**
     * Analyses lines of {@link #FIELDS}, tab-separated, in capture order.
     *
     * @param lines tshark's output
     * @param serverPort the service port
     * @return the analysis
     */
    public static WireAnalysis fromLines(Iterable<String> lines, int serverPort) {
        Map<Integer, Flow> flows = new LinkedHashMap<>();
        Map<Integer, Double> resets = new HashMap<>();
        for (String line : lines) {
            String[] f = line.split("\t", -1);
            if (f.length < FIELDS.size() - 1 || f[2].isEmpty() || f[4].isEmpty()) {
                continue;
            }
            double time = Double.parseDouble(f[0]);
            int sport = Integer.parseInt(f[2]);
            int dport = Integer.parseInt(f[4]);
            int flags = f[5].isEmpty() ? 0 : Integer.decode(f[5]);
            long seq = f[6].isEmpty() ? 0 : Long.parseLong(f[6]);
            long ack = f[7].isEmpty() ? 0 : Long.parseLong(f[7]);
            int len = f[8].isEmpty() ? 0 : Integer.parseInt(f[8]);
            String payload = f.length > 9 ? f[9] : "";
            if (dport == serverPort && sport != serverPort) {
                Flow flow = flows.get(sport);
                if (flow == null || (flags & SYN) != 0 && (flags & ACK) == 0 && flow.hasData()) {
                    // a new flow, or the same port reused by a later connection: start afresh
                    flow = new Flow(sport, seq);
                    flows.put(sport, flow);
                }
                if ((flags & SYN) != 0) {
                    flow.base = seq + 1; // the SYN takes one sequence number; data starts after it
                    continue;
                }
                if (len > 0) {
                    flow.data(time, seq, len, payload);
                }
            } else if (sport == serverPort && dport != serverPort) {
                Flow flow = flows.get(dport);
                if (flow == null) {
                    continue;
                }
                if ((flags & RST) != 0) {
                    resets.putIfAbsent(dport, time);
                }
                if ((flags & ACK) != 0) {
                    flow.ack(time, ack, len);
                }
            }
        }
        List<Segment> segments = new ArrayList<>();
        for (Flow flow : flows.values()) {
            List<MutableSegment> all = flow.segments;
            for (int i = 0; i < all.size(); i++) {
                MutableSegment s = all.get(i);
                segments.add(new Segment(flow.port, s.relSeq, s.length, s.sent, s.retransmitted, s.acked, List.copyOf(s.records),
                        s.answered, behindRetransmission(all, i)));
            }
        }
        return new WireAnalysis(List.copyOf(segments), Map.copyOf(resets));
    }

    /**
     * Whether an earlier segment that was sent again was still unacknowledged when segment
     * {@code i} left. Cumulative ACKs cover segments in sequence order, so the earlier segments
     * unacknowledged at that time are the ones right before it: walking back stops at the first
     * one acknowledged by then.
     */
    private static boolean behindRetransmission(List<MutableSegment> segments, int i) {
        double sent = segments.get(i).sent;
        for (int j = i - 1; j >= 0; j--) {
            MutableSegment earlier = segments.get(j);
            if (earlier.acked <= sent) { // false for NaN: never acknowledged
                return false;
            }
            if (earlier.retransmitted) {
                return true;
            }
        }
        return false;
    }

    /** One client flow's data segments, in sequence order, and how far the server has acknowledged. */
    private static final class Flow {
        final int port;
        long base;
        final List<MutableSegment> segments = new ArrayList<>();
        long highestEnd;
        int firstUnacked;
        int firstUnanswered;

        Flow(int port, long firstSeq) {
            this.port = port;
            this.base = firstSeq;
        }

        boolean hasData() {
            return !segments.isEmpty();
        }

        long rel(long seq) {
            return (seq - base) & MASK;
        }

        void data(double time, long seq, int len, String payloadHex) {
            long start = rel(seq);
            long end = start + len;
            if (start < highestEnd) {
                // some of these bytes went out before: every segment they overlap was retransmitted
                for (MutableSegment s : segments) {
                    if (s.relSeq < end && s.relSeq + s.length > start) {
                        s.retransmitted = true;
                    }
                }
                if (end <= highestEnd) {
                    return;
                }
                // new bytes behind the old ones: keep them as a segment of their own, also not clean
                MutableSegment tail = new MutableSegment(highestEnd, (int) (end - highestEnd), time);
                tail.retransmitted = true;
                tail.records.addAll(parseRecords(payloadHex));
                segments.add(tail);
                highestEnd = end;
                return;
            }
            MutableSegment s = new MutableSegment(start, len, time);
            s.records.addAll(parseRecords(payloadHex));
            segments.add(s);
            highestEnd = end;
        }

        /** A segment from the server side with the ACK flag: {@code len} > 0 makes it an answer too. */
        void ack(double time, long ack, int len) {
            long acked = rel(ack);
            if (acked > highestEnd + (1L << 30)) {
                return; // an ACK from before our base (the handshake's): covers nothing
            }
            while (firstUnacked < segments.size()) {
                MutableSegment s = segments.get(firstUnacked);
                if (s.relSeq + s.length > acked) {
                    break;
                }
                if (Double.isNaN(s.acked)) {
                    s.acked = time;
                }
                firstUnacked++;
            }
            while (len > 0 && firstUnanswered < segments.size()) {
                MutableSegment s = segments.get(firstUnanswered);
                if (s.relSeq + s.length > acked) {
                    break;
                }
                s.answered = time;
                firstUnanswered++;
            }
        }
    }

    private static final class MutableSegment {
        final long relSeq;
        final int length;
        final double sent;
        boolean retransmitted;
        double acked = Double.NaN;
        double answered = Double.NaN;
        final List<long[]> records = new ArrayList<>(2);

        MutableSegment(long relSeq, int length, double sent) {
            this.relSeq = relSeq;
            this.length = length;
            this.sent = sent;
        }
    }

    /**
     * Finds the record headers {@code c<digits> r<digits>} in a payload given as hex (tshark
     * writes {@code 63372072...}, older versions with colons).
     *
     * @param hex the payload
     * @return {connId, seq} per header found
     */
    static List<long[]> parseRecords(String hex) {
        List<long[]> out = new ArrayList<>(2);
        if (hex == null || hex.isEmpty()) {
            return out;
        }
        String clean = hex.indexOf(':') >= 0 ? hex.replace(":", "") : hex;
        int n = clean.length() / 2;
        byte[] bytes = new byte[n];
        for (int i = 0; i < n; i++) {
            bytes[i] = (byte) Integer.parseInt(clean, 2 * i, 2 * i + 2, 16);
        }
        for (int i = 0; i < n; i++) {
            // a record starts the payload or follows the previous record's newline
            if (bytes[i] != 'c' || (i > 0 && bytes[i - 1] != '\n')) {
                continue;
            }
            int j = i + 1;
            long conn = 0;
            int digits = 0;
            while (j < n && bytes[j] >= '0' && bytes[j] <= '9' && digits < 18) {
                conn = conn * 10 + (bytes[j] - '0');
                j++;
                digits++;
            }
            if (digits == 0 || j + 1 >= n || bytes[j] != ' ' || bytes[j + 1] != 'r') {
                continue;
            }
            j += 2;
            long seq = 0;
            int seqDigits = 0;
            while (j < n && bytes[j] >= '0' && bytes[j] <= '9' && seqDigits < 18) {
                seq = seq * 10 + (bytes[j] - '0');
                j++;
                seqDigits++;
            }
            // the header must be complete: a digit run cut by the snapshot length is not a number
            if (seqDigits == 0 || j >= n || (bytes[j] != ' ' && bytes[j] != '\n')) {
                continue;
            }
            out.add(new long[] {conn, seq});
        }
        return out;
    }
}
