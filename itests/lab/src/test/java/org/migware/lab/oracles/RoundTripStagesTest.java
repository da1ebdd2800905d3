package org.migware.lab.oracles;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Three synthetic captures of the same round trips, joined by record: known stage times out. */
class RoundTripStagesTest {

    private static final double EPS = 1e-6;

    private static String toServer(double t, int port, long seq, String payload) {
        String hex = HexFormat.of().formatHex(payload.getBytes(StandardCharsets.US_ASCII));
        return String.join("\t", Double.toString(t), "10.77.0.1", Integer.toString(port), "10.77.0.2", "7000", "0x0018",
                Long.toString(seq), "1", Integer.toString(payload.length()), hex);
    }

    private static String toClient(double t, int port, long ack) {
        return String.join("\t", Double.toString(t), "10.77.0.2", "7000", "10.77.0.1", Integer.toString(port), "0x0018", "1",
                Long.toString(ack), "12", "");
    }

    /**
     * One capture: record r{i} sent at {@code sent[i]} and acknowledged at {@code acked[i]}; the
     * sequence numbers start at {@code isn} (the TUN's side of a re-created connection has its own).
     */
    private static WireAnalysis capture(long isn, double[] sent, double[] acked) {
        List<String> lines = new ArrayList<>();
        lines.add(String.join("\t", "1.0", "10.77.0.1", "40000", "10.77.0.2", "7000", "0x0002", Long.toString(isn), "0", "0", ""));
        for (int i = 0; i < sent.length; i++) {
            lines.add(toServer(sent[i], 40000, isn + 1 + 10L * i, "c1 r" + i + " abc\n"));
            lines.add(toClient(acked[i], 40000, isn + 1 + 10L * (i + 1)));
        }
        return WireAnalysis.fromLines(lines, 7000);
    }

    @Test
    void eachStageIsTheDifferenceOfTwoCapturesAndTheSlowestOnesShowWhere() {
        // record 0: hub 10 µs, MigWare in 290, replica 100, MigWare out 550, hub 50 → 1,000 µs
        // record 1: hub 10 µs, MigWare in 40, replica 100, MigWare out 40, hub 10 → 200 µs
        WireAnalysis client = capture(1000, new double[] {10.0, 20.0}, new double[] {10.001, 20.0002});
        WireAnalysis backup = capture(1000, new double[] {10.00001, 20.00001}, new double[] {10.00095, 20.00019});
        WireAnalysis tun = capture(777_000, new double[] {10.0003, 20.00005}, new double[] {10.0004, 20.00015});

        RoundTripStages stages = new RoundTripStages().add(client, backup, tun, 0, 100);

        assertEquals(2, stages.count());
        assertEquals(0.29, stages.stage(1).max(), EPS);
        assertEquals(0.04, stages.stage(1).min(), EPS);
        assertEquals(0.1, stages.stage(2).median(), EPS);
        assertEquals(0.55, stages.stage(3).max(), EPS);
        assertEquals(1.0, stages.stage(5).max(), EPS);
        double[] tail = stages.tailMeans(99);
        assertEquals(1, stages.tailCount(99), "the p99 of two is the larger");
        assertEquals(0.55, tail[3], EPS, "the slow round trip's time went to MigWare's way out");
        assertEquals(1.0, tail[5], EPS);
    }

    @Test
    void aRecordOutsideTheWindowOrMissingFromACaptureIsLeftOut() {
        WireAnalysis client = capture(1000, new double[] {10.0, 20.0}, new double[] {10.001, 20.0002});
        WireAnalysis backup = capture(1000, new double[] {10.00001}, new double[] {10.00095});
        WireAnalysis tun = capture(5, new double[] {10.0003, 20.00005}, new double[] {10.0004, 20.00015});

        assertEquals(1, new RoundTripStages().add(client, backup, tun, 0, 100).count(), "r1 never reached the backup's capture");
        assertEquals(0, new RoundTripStages().add(client, backup, tun, 15, 100).count(), "r0 was sent before the window");
    }
}
