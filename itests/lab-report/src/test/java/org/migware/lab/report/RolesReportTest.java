package org.migware.lab.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.migware.lab.oracles.LatencyStats;

/**
 * The {@code --roles} report from a small results tree: each failover's MigWare figures labelled as
 * MigWare's own log, the client's wire figures beside them, the HTML carrying both timelines.
 */
class RolesReportTest {

    static Map<String, Object> results() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("tool", "migware lab");
        root.put("run", "roles");
        root.put("startedAt", "2026-12-07T12:00:00Z");
        root.put("durationSeconds", 50.0);
        root.put("options", JobOptions.parse("--roles", "--connections", "40").toJson());
        root.put("machine", Map.of("cores", 2, "kernel", "6.1", "java", "17"));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("first", 40);
        r.put("between", 4);
        r.put("afterRejoin", 4);
        r.put("connections", 48);
        r.put("intervalMillis", 500);
        r.put("survived", true);
        r.put("checked", 48);
        r.put("records", 4800);
        r.put("broken", 0);
        r.put("resetsBefore", 3);
        r.put("resetsAfter", 3);
        r.put("rejoinMillis", 7250);
        r.put("learntThroughSync", 44);
        r.put("rejoinedHeldBack", true);
        r.put("failovers", List.of(failover(40, 61, 9, new double[] {310, 420, 530}), failover(48, 77, 12, new double[] {300, 640})));
        r.put("raw", "raw/roles");
        root.put("roles", r);
        return root;
    }

    private static Map<String, Object> failover(int carried, double decision, double toProxy, double[] acks) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("carried", carried);
        f.put("establishedAfter", carried);
        f.put("addressTaken", true);
        f.put("migwarePullToDecisionMillis", decision);
        f.put("migwareDecisionToProxyMillis", toProxy);
        f.put("acknowledged", acks.length);
        f.put("firstAckAfterPullMillis", LatencyStats.of(acks).toJson());
        f.put("clientSentAfterPullMillis", LatencyStats.of(new double[] {100, 200}).toJson());
        f.put("sentToAckMillis", LatencyStats.of(new double[] {0.2, 210}).toJson());
        f.put("timeline", Map.of("conns", List.of(0, 1), "points", List.of(new double[] {0, -500, 0}, new double[] {1, 900, 1}),
                "fates", List.of("old", "new"), "marks", Map.of("pull", 0.0, "decision", decision)));
        return f;
    }

    @Test
    void theTableLabelsMigwaresLogAndTheClientsWire() {
        String t = RolesReport.table(results());
        assertTrue(t.contains("| pull → decision (MigWare's own log) | 61.0 ms | 77.0 ms |"), t);
        assertTrue(t.contains("| decision → PROXY (MigWare's own log) | 9.00 ms | 12.0 ms |"), t);
        assertTrue(t.contains("(client's wire) | 420 ms / 530 ms / 530 ms | 300 ms / 640 ms / 640 ms |"), t);
        assertTrue(t.contains("| … connections with such a segment (client's wire) | 3 of 40 | 2 of 48 |"), t);
        assertTrue(t.contains("that segment's first send → its ACK, median / p99 / max | 0.200 ms / 210 ms / 210 ms |"), t);
    }

    @Test
    void theMarkdownSaysWhatSurvivedAndHowItWasMeasured() {
        String md = RolesReport.markdown(results());
        assertTrue(md.contains("**Every connection survived both failovers**: 48 of 48 connections checked"), md);
        assertTrue(md.contains("client EstabResets 3 → 3"), md);
        assertTrue(md.contains("in 7250 ms; 44 handshakes learnt through state sync"), md);
        assertTrue(md.contains("**MigWare's own log**") && md.contains("**The client's wire**"), md);
        Map<String, Object> failed = results();
        failed.put("roles", Map.of("error", "LabException: no PROXY", "raw", "raw/roles"));
        assertTrue(RolesReport.markdown(failed).contains("The round trip failed: LabException: no PROXY"));
    }

    @Test
    void theHtmlCarriesBothTimelines() throws Exception {
        String html = ReportWriter.html(results());
        int data = html.indexOf("<script id=\"lab-data\"");
        Map<String, Object> back = Json.parseObject(html.substring(html.indexOf('>', data) + 1, html.indexOf("</script>", data)));
        List<?> failovers = (List<?>) ((Map<?, ?>) back.get("roles")).get("failovers");
        assertEquals(2, failovers.size());
        assertTrue(html.contains("id=\"chart-roles-0\"") && html.contains("id=\"chart-roles-1\""));
        assertFalse(html.contains("src=\"http"), "nothing fetched from the network");
    }
}
