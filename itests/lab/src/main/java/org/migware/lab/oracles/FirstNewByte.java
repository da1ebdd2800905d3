package org.migware.lab.oracles;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.migware.lab.Commands;
import org.migware.lab.ExecResult;

/**
 * When each client received its first new byte after a failover, as the client's own interface saw
 * it. In a capture of both directions (headers are enough), what a client held at a cut-off
 * instant (the pull) ends at the highest of its own acknowledgements and of the server's segment
 * ends before it: a client whose receive window was closed for a while received nothing in the
 * capture, but answers the server's window probes with its acknowledgement. Its first server
 * segment after the cut-off that carries a byte beyond that is the first byte the client did not
 * have. Bytes it already held that arrive again (a retransmission, a replayed segment) do not count.
 *
 * <p>Decoded with tshark (absolute sequence numbers), keyed by the client's port.
 */
public final class FirstNewByte {

    /**
     * One connection's result.
     *
     * @param clientPort the client's port
     * @param endBefore the sequence number after the last byte held at the cut-off (absolute, 32 bits)
     * @param firstNew when the first segment with a new byte arrived, null when none did
     */
    public record Arrival(int clientPort, long endBefore, Instant firstNew) {

        /** @return how long after {@code from} the first new byte arrived, -1 when none did */
        public long millisAfter(Instant from) {
            return firstNew == null ? -1 : Duration.between(from, firstNew).toNanos() / 1_000_000;
        }
    }

    private FirstNewByte() {
    }

    /**
     * @param pcap a capture on the client's side of both directions
     * @param serverPort the server's port
     * @param cutOff the instant before which bytes count as held (the pull)
     * @return per client port, its first new byte's arrival
     */
    public static Map<Integer, Arrival> in(Path pcap, int serverPort, Instant cutOff) {
        ExecResult result = Commands.run(Duration.ofMinutes(3), Commands.tool("tshark", "tshark"), "-r", pcap.toString(), "-n",
                "-o", "tcp.relative_sequence_numbers:FALSE", "-o", "tcp.analyze_sequence_numbers:FALSE",
                "-Y", "tcp.port == " + serverPort + " && tcp.flags.ack == 1 && tcp.flags.syn == 0", "-T", "fields",
                "-E", "separator=/t", "-e", "frame.time_epoch", "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.seq",
                "-e", "tcp.len", "-e", "tcp.ack").requireSuccess();
        return of(result.stdout().lines().toList(), serverPort, cutOff);
    }

    /**
     * @param lines tshark's {@code time_epoch srcport dstport seq len ack} lines, in capture order
     * @param serverPort the server's port
     * @param cutOff the instant before which bytes count as held
     * @return per client port, its first new byte's arrival
     */
    public static Map<Integer, Arrival> of(List<String> lines, int serverPort, Instant cutOff) {
        Map<Integer, long[]> held = new TreeMap<>();
        Map<Integer, Instant> firstNew = new TreeMap<>();
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 6) {
                continue;
            }
            Instant at = epoch(f[0]);
            boolean fromServer = Integer.parseInt(f[1]) == serverPort;
            int port = Integer.parseInt(fromServer ? f[2] : f[1]);
            long end = fromServer ? (Long.parseLong(f[3]) + Long.parseLong(f[4])) & 0xFFFF_FFFFL : Long.parseLong(f[5]);
            if (at.isBefore(cutOff)) {
                long[] h = held.computeIfAbsent(port, p -> new long[] {end});
                if (beyond(end, h[0])) {
                    h[0] = end;
                }
            } else if (fromServer && Long.parseLong(f[4]) > 0 && !firstNew.containsKey(port) && held.containsKey(port)
                    && beyond(end, held.get(port)[0])) {
                firstNew.put(port, at);
            }
        }
        Map<Integer, Arrival> arrivals = new TreeMap<>();
        held.forEach((port, h) -> arrivals.put(port, new Arrival(port, h[0], firstNew.get(port))));
        return arrivals;
    }

    /** @return whether 32-bit sequence number {@code a} lies after {@code b} (RFC 1982 arithmetic) */
    static boolean beyond(long a, long b) {
        return (int) (a - b) > 0;
    }

    private static Instant epoch(String seconds) {
        BigDecimal nanos = new BigDecimal(seconds).movePointRight(9);
        long n = nanos.longValue();
        return Instant.ofEpochSecond(Math.floorDiv(n, 1_000_000_000L), Math.floorMod(n, 1_000_000_000L));
    }
}
