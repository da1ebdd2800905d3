package org.migware.lab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.migware.lab.oracles.WireFailover;

/** The bench's summary of rounds: only measured figures count, and the JSON is valid (no NaN). */
class WireTimingBenchTest {

    private static WireTimingBench.Round round(int n, List<WireFailover.Connection> wire, long selfTimed) {
        return new WireTimingBench.Round(2, "fast", n, 200, Instant.EPOCH, 5.0, selfTimed, 2, wire, 100, 0, Path.of("/tmp"),
                Set.of(1, 2), WireTimingBench.ReplicaSide.NONE);
    }

    @Test
    void aConnectionWithoutAFigureIsCountedAsMissingNotAsZero() {
        List<WireTimingBench.Round> rounds = List.of(
                round(1, List.of(new WireFailover.Connection(1, 10, 100, 110), new WireFailover.Connection(2, 20, Double.NaN,
                        Double.NaN)), 50),
                round(2, List.of(new WireFailover.Connection(1, 10, 300, 310), new WireFailover.Connection(2, 20, 200, 210)), 70));

        String md = WireTimingBench.markdown(rounds);
        assertTrue(md.contains("| 2 | fast | 2 | 200 ms | 3 of 4 | 200.0 ms | 300.0 ms | 300.0 ms | 300.0 ms | 3 of 4 |"), md);
        assertTrue(md.contains("| 50 / 70 ms |"), "self-timed median / max over the rounds: " + md);

        String json = new GsonBuilder().create().toJson(Map.of("w", WireTimingBench.json(rounds)));
        JsonObject group = JsonParser.parseString(json).getAsJsonObject().getAsJsonArray("w").get(0).getAsJsonObject();
        assertEquals(3, group.getAsJsonObject("pullToReplicaAck").get("count").getAsInt());
        assertEquals(100.0, group.getAsJsonObject("pullToReplicaAck").get("min").getAsDouble());
        assertEquals(1, group.getAsJsonArray("perRound").get(0).getAsJsonObject().get("connectionsWithBothFigures").getAsInt());
    }
}
