package org.migware.lab.oracles;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.migware.lab.Commands;
import org.migware.lab.ExecResult;
import org.migware.lab.LabException;

/**
 * Whether the replica had to send its first answer of a re-created connection again (issue 14):
 * read by tshark from a capture on the backup's TUN, where the replica's segments appear before
 * MigWare takes them (never from MigWare's report). Per replica-to-shadow flow, the first data
 * segment the replica sent is <i>retransmitted</i> when a later data segment of the flow covers its
 * first byte again. The replica sends again only what the client had not acknowledged within its
 * retransmission timeout (200 ms or more): the answer was lost on its way to the client (dropped by
 * MigWare, or by the TUN's full queue: {@code ip -s link}, TX dropped) or held up that long.
 */
public final class FirstAnswerRetransmissions {

    private static final long MASK = 0xffff_ffffL;

    /**
     * @param flows replica-to-shadow flows with at least one data segment (first answers seen)
     * @param retransmitted those whose first data segment was sent again
     * @param examples up to 5 of them, as {@code shadow:port seq first-sent → sent-again}
     */
    public record Count(int flows, int retransmitted, List<String> examples) {
    }

    private FirstAnswerRetransmissions() {
    }

    /**
     * @param tunPcap the capture on the backup's TUN (raw IP)
     * @param replicaPort the replica's port: segments from it are the replica's
     * @param timeout how long tshark may take
     */
    public static Count of(Path tunPcap, int replicaPort, Duration timeout) {
        ExecResult r = Commands.run(timeout, List.of("tshark", "-r", tunPcap.toString(), "-n",
                "-o", "tcp.relative_sequence_numbers:FALSE", "-o", "tcp.analyze_sequence_numbers:FALSE",
                "-Y", "tcp.srcport == " + replicaPort + " && tcp.len > 0",
                "-T", "fields", "-E", "separator=/t", "-e", "frame.time_epoch", "-e", "ip.dst", "-e", "tcp.dstport",
                "-e", "tcp.seq", "-e", "tcp.len"));
        if (!r.ok()) {
            throw new LabException("tshark failed on " + tunPcap + ": " + r.stderr());
        }
        return fromLines(r.stdout().lines().toList());
    }

    /** @param lines tshark's lines: time, shadow address, shadow port, absolute seq, payload length */
    static Count fromLines(List<String> lines) {
        // per flow: the first data segment's seq and time, and when it was sent again (NaN: never)
        Map<String, double[]> first = new LinkedHashMap<>();
        for (String line : lines) {
            String[] f = line.split("\t", -1);
            if (f.length < 5 || f[3].isEmpty() || f[4].isEmpty()) {
                continue;
            }
            String flow = f[1] + ":" + f[2];
            long seq = Long.parseLong(f[3]);
            long length = Long.parseLong(f[4]);
            double time = Double.parseDouble(f[0]);
            double[] a = first.get(flow);
            if (a == null) {
                first.put(flow, new double[] {seq, time, Double.NaN});
            } else if (Double.isNaN(a[2]) && ((long) a[0] - seq & MASK) < length) {
                a[2] = time; // covers the first answer's first byte again
            }
        }
        int retransmitted = 0;
        List<String> examples = new ArrayList<>();
        for (Map.Entry<String, double[]> e : first.entrySet()) {
            double[] a = e.getValue();
            if (!Double.isNaN(a[2])) {
                retransmitted++;
                if (examples.size() < 5) {
                    examples.add(String.format(java.util.Locale.ROOT, "%s seq %d first sent %.3f, again %.3f (+%.0f ms)", e.getKey(),
                            (long) a[0], a[1], a[2], (a[2] - a[1]) * 1000));
                }
            }
        }
        return new Count(first.size(), retransmitted, examples);
    }
}
