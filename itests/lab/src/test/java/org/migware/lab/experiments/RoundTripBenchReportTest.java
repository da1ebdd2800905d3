package org.migware.lab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.migware.lab.oracles.WireAnalysis;
import org.migware.lab.oracles.WireRoundTrips;

/** The rtt part's summary: rounds pooled, added = through PROXY − direct, the JSON valid when a window is empty. */
class RoundTripBenchReportTest {

    /** One flow: requests at 10 s + i, each acknowledged (with its answer) {@code micros[i]} later. */
    private static WireAnalysis wire(int... micros) {
        List<String> lines = new ArrayList<>();
        lines.add(String.join("\t", "9.0", "10.77.0.1", "40000", "10.77.0.2", "7000", "0x0002", "1000", "0", "0", ""));
        for (int i = 0; i < micros.length; i++) {
            long seq = 1001 + 10L * i;
            lines.add(String.join("\t", Double.toString(10.0 + i), "10.77.0.1", "40000", "10.77.0.2", "7000", "0x0018",
                    Long.toString(seq), "1", "10", "6331207231"));
            lines.add(String.join("\t", Double.toString(10.0 + i + micros[i] / 1e6), "10.77.0.2", "7000", "10.77.0.1", "40000",
                    "0x0018", "1", Long.toString(seq + 10), "12", ""));
        }
        return WireAnalysis.fromLines(lines, 7000);
    }

    private static RoundTripBench.Round round(int n, WireAnalysis direct, WireAnalysis proxied) {
        return new RoundTripBench.Round(RoundTripBench.Plan.of(200, 0), n, new WireRoundTrips().add(direct, 0, 100),
                new WireRoundTrips().add(proxied, 0, 100), new long[] {100, 200}, new long[] {300}, 200, 1000, 0, Instant.EPOCH,
                Instant.EPOCH, Path.of("/tmp"), null);
    }

    @Test
    void roundsArePooledAndAddedIsProxiedMinusDirect() {
        List<RoundTripBench.Round> rounds = List.of(round(1, wire(100, 200), wire(300, 400)), round(2, wire(300), wire(500)));

        JsonArray json = JsonParser.parseString(new GsonBuilder().create().toJson(RoundTripBench.json(rounds))).getAsJsonArray();

        JsonObject ack = json.get(0).getAsJsonObject().getAsJsonObject("wire").getAsJsonObject("pshToAck");
        assertEquals(3, ack.getAsJsonObject("directMicros").get("count").getAsInt());
        assertEquals(200, ack.getAsJsonObject("directMicros").get("median").getAsLong(), "100 [200] 300");
        assertEquals(400, ack.getAsJsonObject("proxiedMicros").get("median").getAsLong(), "300 [400] 500");
        assertEquals(200, ack.getAsJsonObject("addedMicros").get("median").getAsLong());
        assertEquals(200, ack.getAsJsonObject("addedMicros").get("max").getAsLong());
        assertEquals(2, json.get(0).getAsJsonObject().get("rounds").getAsInt());
        assertEquals(100, json.get(0).getAsJsonObject().getAsJsonObject("application").get("addedP99Micros").getAsLong(),
                "the clients' own: 300 through PROXY against 200 direct");
        String md = RoundTripBench.markdown(rounds);
        assertTrue(md.contains("| **added** | wire: PSH → ACK | | +200 | +200 | +200 | +200 |"), md);
    }

    @Test
    void anEmptyWindowIsNullInJsonAndADashInMarkdown() {
        List<RoundTripBench.Round> rounds = List.of(round(1, wire(100), wire()));

        JsonObject ack = JsonParser.parseString(new GsonBuilder().create().toJson(RoundTripBench.json(rounds))).getAsJsonArray()
                .get(0).getAsJsonObject().getAsJsonObject("wire").getAsJsonObject("pshToAck");
        assertTrue(ack.getAsJsonObject("proxiedMicros").get("median") == null
                || ack.getAsJsonObject("proxiedMicros").get("median").isJsonNull());
        assertTrue(RoundTripBench.markdown(rounds).contains("| through PROXY | wire: PSH → ACK | 0 | — | — | — | — |"));
    }
}
