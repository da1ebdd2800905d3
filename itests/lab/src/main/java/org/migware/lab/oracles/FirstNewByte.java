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
 * it: in a capture of the server-to-client direction (headers are enough), a connection's bytes
 * before a cut-off instant (the pull) end at some sequence number; its first segment after the
 * cut-off that carries a byte beyond it is the first byte the client did not have. Bytes the client
 * already held and that arrive again (a retransmission, a replayed segment) do not count.
 *
 * <p>Decoded with tshark (absolute sequence numbers), keyed by the client's port.
 */
public final class FirstNewByte {

    /**
     * One connection's result.
     *
     * @param clientPort the client's port
     * @param endBefore the sequence number after the last byte received before the cut-off (absolute, 32 bits)
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
     * @param pcap a capture on the client's side of the server's segments
     * @param serverPort the server's port
     * @param cutOff the instant before which bytes count as held (the pull)
     * @return per client port, its first new byte's arrival
     */
    public static Map<Integer, Arrival> in(Path pcap, int serverPort, Instant cutOff) {
        ExecResult result = Commands.run(Duration.ofMinutes(3), Commands.tool("tshark", "tshark"), "-r", pcap.toString(), "-n",
                "-o", "tcp.relative_sequence_numbers:FALSE", "-o", "tcp.analyze_sequence_numbers:FALSE",
                "-Y", "tcp.srcport == " + serverPort + " && tcp.len > 0", "-T", "fields", "-E", "separator=/t",
                "-e", "frame.time_epoch", "-e", "tcp.dstport", "-e", "tcp.seq", "-e", "tcp.len").requireSuccess();
        return of(result.stdout().lines().toList(), cutOff);
    }

    /**
     * @param lines tshark's {@code time_epoch port seq len} lines, in capture order
     * @param cutOff the instant before which bytes count as held
     * @return per client port, its first new byte's arrival
     */
    public static Map<Integer, Arrival> of(List<String> lines, Instant cutOff) {
        Map<Integer, long[]> endBefore = new TreeMap<>();
        Map<Integer, Instant> firstNew = new TreeMap<>();
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 4) {
                continue;
            }
            Instant at = epoch(f[0]);
            int port = Integer.parseInt(f[1]);
            long seq = Long.parseLong(f[2]);
            long end = (seq + Long.parseLong(f[3])) & 0xFFFF_FFFFL;
            if (at.isBefore(cutOff)) {
                long[] held = endBefore.computeIfAbsent(port, p -> new long[] {end});
                if (beyond(end, held[0])) {
                    held[0] = end;
                }
            } else if (!firstNew.containsKey(port) && endBefore.containsKey(port) && beyond(end, endBefore.get(port)[0])) {
                firstNew.put(port, at);
            }
        }
        Map<Integer, Arrival> arrivals = new TreeMap<>();
        endBefore.forEach((port, held) -> arrivals.put(port, new Arrival(port, held[0], firstNew.get(port))));
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
