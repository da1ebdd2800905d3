package org.migware.lab.oracles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class LatencyStatsTest {

    @Test
    void nearestRankPercentilesAreMeasuredValues() {
        double[] samples = new double[100];
        for (int i = 0; i < 100; i++) {
            samples[i] = 100 - i; // 100 .. 1, unsorted on purpose
        }
        LatencyStats s = LatencyStats.of(samples);
        assertEquals(100, s.count());
        assertEquals(50.5, s.mean(), 1e-9);
        assertEquals(50, s.median());
        assertEquals(90, s.p90());
        assertEquals(99, s.p99());
        assertEquals(1, s.min());
        assertEquals(100, s.max());
        assertEquals(100, samples[0], "the input is not sorted in place");
    }

    @Test
    void fewSamplesGiveTheLargestAsP99AndNoneGiveNaN() {
        LatencyStats s = LatencyStats.of(List.of(3.0, 1.0, 2.0));
        assertEquals(2, s.median());
        assertEquals(3, s.p99());
        LatencyStats empty = LatencyStats.of(List.of());
        assertEquals(0, empty.count());
        assertTrue(Double.isNaN(empty.mean()) && Double.isNaN(empty.p99()));
    }
}
