package org.migware.lab.report;

import org.migware.lab.oracles.LatencyStats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report files from a small results tree: every file there, the JSON the same tree, the CSV
 * one row per run and connection, the Markdown beside the thesis's figures, the HTML carrying the
 * data without anything that could end its script block. (Chromium draws it in the itests.)
 */
class ReportWriterTest {

    static Map<String, Object> results() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("tool", "migware lab");
        root.put("startedAt", "2026-11-30T12:00:00Z");
        root.put("durationSeconds", 42.0);
        root.put("options", new JobOptions().connections(List.of(2)).toJson());
        root.put("faults", "none");
        root.put("machine", Map.of("cores", 2, "kernel", "6.1", "java", "17"));
        root.put("thesis", LabJob.thesis());
        Map<String, Object> mw = new LinkedHashMap<>();
        mw.put("connections", 2);
        mw.put("clients", 2);
        mw.put("survived", 2);
        mw.put("broken", 0);
        mw.put("lostAfterResume", 0);
        mw.put("duplicated", 0);
        mw.put("torn", 0);
        mw.put("detectMillis", 612.5);
        mw.put("recoveryMillis", 3.0);
        mw.put("tcpLatencyMillis", LatencyStats.of(new double[] {0.05, 0.07}).toJson());
        mw.put("proxyTotalMillis", LatencyStats.of(new double[] {0.3, 0.5}).toJson());
        mw.put("addedLatencyMillis", Map.of("mean", 0.34, "median", 0.25));
        mw.put("perConnection", List.of(Map.of("id", 0, "survived", true, "clientError", "</script> oops"),
                Map.of("id", 1, "survived", true, "clientError", "")));
        mw.put("segments", List.of(List.of(40000, 1.5, "direct", 0.05), List.of(40001, 2.5, "proxy", 0.3)));
        mw.put("timeline", Map.of("conns", List.of(0, 1), "points", List.of(new double[] {0, -500, 0}, new double[] {1, 900, 1})));
        Map<String, Object> ha = new LinkedHashMap<>();
        ha.put("connections", 2);
        ha.put("broken", 2);
        ha.put("survived", 0);
        ha.put("neverReconnected", 0);
        ha.put("lost", 3);
        ha.put("duplicated", 0);
        ha.put("detectMillis", 310.0);
        ha.put("allReconnectedMillis", 420.0);
        ha.put("perConnection", List.of(Map.of("id", 0, "broken", true), Map.of("id", 1, "broken", true)));
        root.put("migware", List.of(mw));
        root.put("baseline", List.of(ha));
        root.put("notes", List.of());
        return root;
    }

    @Test
    void writesEveryFileFromTheSameData(@TempDir Path dir) throws Exception {
        Map<String, Object> root = results();
        ReportWriter.write(dir, root);

        for (String f : ReportWriter.FILES) {
            assertTrue(Files.size(dir.resolve(f)) > 0, f);
        }
        Map<String, Object> json = Json.parseObject(Files.readString(dir.resolve("results.json")));
        assertEquals(Json.write(root), Json.write(json), "results.json is the whole tree");
        List<String> summary = Files.readAllLines(dir.resolve("summary.csv"));
        assertEquals(3, summary.size(), "header, migware, haproxy");
        assertTrue(summary.get(1).startsWith("migware,2,2,0,"), summary.get(1));
        assertTrue(summary.get(2).startsWith("haproxy,2,0,2,"), summary.get(2));
        assertEquals(5, Files.readAllLines(dir.resolve("connections.csv")).size());
        assertEquals(3, Files.readAllLines(dir.resolve("latency.csv")).size());
        String md = Files.readString(dir.resolve("summary.md"));
        assertTrue(md.contains("| connections that lived through the primary's death | 200 of 200 | 2 of 2 | 0 of 2 |"), md);
        assertTrue(md.contains("612 ms") && md.contains("456 ms") && md.contains("175 ms"), md);
        String html = Files.readString(dir.resolve("report.html"));
        int data = html.indexOf("<script id=\"lab-data\"");
        String embedded = html.substring(html.indexOf('>', data) + 1, html.indexOf("</script>", data));
        assertFalse(embedded.contains("<"), "no markup inside the data block");
        Map<String, Object> back = Json.parseObject(embedded);
        assertEquals(612.5, ((Map<?, ?>) ((List<?>) back.get("migware")).get(0)).get("detectMillis"));
        assertFalse(html.contains("http://") && html.contains("src=\"http"), "nothing fetched from the network");
    }

    @Test
    void theTablePrintsBothSystemsAndTheThesis() {
        String t = ReportWriter.table(results());
        assertTrue(t.contains("2/2"), t);
        assertTrue(t.contains("420 ms"), t);
        assertTrue(t.contains("456 ms"), t);
    }
}
