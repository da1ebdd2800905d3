package org.migware.lab.oracles;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A failover timed from the wire: per client connection, from a capture on the client's own link
 * (decoded by tshark, never from MigWare's report), how long after the pull of the primary's link
 * <ul>
 * <li>the first client segment first sent after the pull was acknowledged (the ACK's capture
 * time): after the pull only the replica, through MigWare, can acknowledge — the primary is cut
 * off; and</li>
 * <li>the first byte the client did not hold at the pull arrived from the server side
 * ({@link FirstNewByte}): only the replica's application can write it.</li>
 * </ul>
 * Both are measured from the pull, so a figure includes the client's own wait before it next
 * sent; {@link Connection#sentMillis()} gives that wait.
 *
 * <p>The pull is not one instant: the lab starts it ({@code pull}) and {@code ip} returns a few
 * milliseconds later ({@code linkDown}); until then the primary may still acknowledge. So a
 * segment counts only when first sent at or after {@code linkDown}, and a byte is new only when
 * the client did not hold it at {@code linkDown}, while the figures are
 * measured from {@code pull} (the larger, conservative reading).
 */
public final class WireFailover {

    private static final int SYN = 0x02;
    private static final int ACK = 0x10;

    /**
     * One client connection's figures, in milliseconds after the pull; NaN when the capture shows
     * none.
     *
     * @param clientPort the client's port
     * @param sentMillis when the first client segment first sent after the pull and acknowledged left the client
     * @param ackedMillis when that segment's first covering ACK reached the client's link
     * @param answerMillis when the first byte the client did not hold at the pull reached its link
     */
    public record Connection(int clientPort, double sentMillis, double ackedMillis, double answerMillis) {

        /** @return whether the capture gives both figures */
        public boolean complete() {
            return !Double.isNaN(ackedMillis) && !Double.isNaN(answerMillis);
        }
    }

    private WireFailover() {
    }

    /**
     * @param lines tshark's lines of {@link WireAnalysis#FIELDS} for a capture on the client's link
     *        (see {@link WireAnalysis#lines})
     * @param serverPort the service port
     * @param pull when the lab started to pull the primary's link
     * @param linkDown when the pull had returned: the primary's link is down
     * @return per client port seen sending data, in port order
     */
    public static List<Connection> of(List<String> lines, int serverPort, Instant pull, Instant linkDown) {
        if (linkDown.isBefore(pull)) {
            throw new IllegalArgumentException("the link was down (" + linkDown + ") before it was pulled (" + pull + ")");
        }
        double pullSeconds = seconds(pull);
        double downSeconds = seconds(linkDown);
        Map<Integer, double[]> acked = new TreeMap<>();
        for (WireAnalysis.Segment s : WireAnalysis.fromLines(lines, serverPort).segments()) {
            double[] a = acked.computeIfAbsent(s.clientPort(), p -> new double[] {Double.NaN, Double.NaN});
            // segments are in sequence order per flow: the first one sent after the pull and acknowledged wins
            if (Double.isNaN(a[1]) && s.sentEpochSeconds() >= downSeconds && !Double.isNaN(s.ackEpochSeconds())) {
                a[0] = (s.sentEpochSeconds() - pullSeconds) * 1000.0;
                a[1] = (s.ackEpochSeconds() - pullSeconds) * 1000.0;
            }
        }
        Map<Integer, FirstNewByte.Arrival> answers = FirstNewByte.of(firstNewByteLines(lines), serverPort, linkDown);
        List<Connection> out = new ArrayList<>(acked.size());
        acked.forEach((port, a) -> {
            FirstNewByte.Arrival arrival = answers.get(port);
            double answer = arrival == null || arrival.firstNew() == null ? Double.NaN
                    : Duration.between(pull, arrival.firstNew()).toNanos() / 1e6;
            out.add(new Connection(port, a[0], a[1], answer));
        });
        return out;
    }

    private static double seconds(Instant t) {
        return t.getEpochSecond() + t.getNano() / 1e9;
    }

    /**
     * @return the same frames as {@link FirstNewByte} reads them: ACK set, SYN not, as
     *         {@code time srcport dstport seq len ack}
     */
    static List<String> firstNewByteLines(List<String> lines) {
        List<String> out = new ArrayList<>(lines.size());
        for (String line : lines) {
            String[] f = line.split("\t", -1);
            if (f.length < WireAnalysis.FIELDS.size() - 1 || f[2].isEmpty() || f[4].isEmpty() || f[5].isEmpty() || f[6].isEmpty()
                    || f[7].isEmpty()) {
                continue;
            }
            int flags = Integer.decode(f[5]);
            if ((flags & ACK) == 0 || (flags & SYN) != 0) {
                continue;
            }
            out.add(String.join(" ", f[0], f[2], f[4], f[6], f[8].isEmpty() ? "0" : f[8], f[7]));
        }
        return out;
    }
}
