package org.migware.lab.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code --scenario}: its defaults (issue 9's sizes), its own options, and the round trip. */
class ScenarioOptionsTest {

    @Test
    void theDownloadDefaultsAreTheIssuesSizes() {
        JobOptions o = JobOptions.parse("--scenario", "download");
        assertEquals(JobOptions.Scenario.DOWNLOAD, o.scenario());
        assertEquals(4, o.clients());
        assertEquals(200, o.fileMib());
        assertEquals(4096, o.rateKib());
        assertEquals(8000, o.beforeMillis());
        // a download hangs when it still runs the whole file's time (50 s at 4 MiB/s) plus 30 s after the pull
        assertEquals(80_000, o.afterMillis());
    }

    @Test
    void theSessionDefaultsAreTenPublishers() {
        JobOptions o = JobOptions.parse("--scenario", "session");
        assertEquals(10, o.clients());
        assertEquals(5000, o.beforeMillis());
        assertEquals(10_000, o.afterMillis());
    }

    @Test
    void aSmallDownloadForATestKeepsItsPhasesAndRoundTrips() {
        JobOptions o = JobOptions.parse("--scenario", "download", "--clients", "2", "--file-mib", "24", "--rate-kib", "1024",
                "--before-s", "4", "--after-s", "40");
        assertEquals(2, o.clients());
        assertEquals(4000, o.beforeMillis());
        assertEquals(40_000, o.afterMillis());
        JobOptions back = JobOptions.parse(o.toArgs().toArray(String[]::new));
        assertEquals(o.toJson(), back.toJson());
        assertEquals("download", o.toJson().get("scenario"));
    }

    @Test
    void thePushScenarioIsUnchangedAndRejectsTheScenarioOptions() {
        JobOptions o = JobOptions.parse();
        assertEquals(JobOptions.Scenario.PUSH, o.scenario());
        assertEquals(4000, o.beforeMillis());
        assertEquals(List.of(), o.toArgs().stream().filter(a -> a.equals("--scenario")).toList());
        assertThrows(IllegalArgumentException.class, () -> JobOptions.parse("--clients", "3"));
        assertThrows(IllegalArgumentException.class, () -> JobOptions.parse("--scenario", "video"));
        assertThrows(IllegalArgumentException.class, () -> JobOptions.parse("--scenario", "session", "--clients", "0"));
        assertTrue(JobOptions.usage().contains("--scenario"));
    }

    @Test
    void theClientsKernelViewIsReadPerLocalPort() {
        String ss = String.join("\n",
                "0      0      10.77.0.1:46322 10.77.0.2:8080",
                "\t cubic wscale:7,7 rto:204 bytes_sent:124 bytes_acked:125 bytes_received:16777457 segs_out:17",
                "0      0      10.77.0.1:46334 10.77.0.2:8080",
                "\t cubic wscale:7,7 rto:204 bytes_sent:124 bytes_acked:125 segs_out:3",
                "");
        assertEquals(Map.of(46322, 16_777_457L, 46334, 0L), ReceivedBytesWatch.parse(ss));
    }

    @Test
    @SuppressWarnings("unchecked")
    void theTablePutsTheThreeSystemsSideBySide() {
        Map<String, Object> root = Json.parseObject("{\"scenario\":\"download\",\"runs\":["
                + "{\"system\":\"resume\",\"readiness\":{\"replayable\":0},\"label\":\"MigWare resume\",\"clients\":4,\"finishedRightSha256\":0,\"errors\":4,\"hung\":0},"
                + "{\"system\":\"replay\",\"readiness\":{\"replayable\":0},\"label\":\"MigWare replay\",\"clients\":4,\"finishedRightSha256\":4,\"errors\":0,\"hung\":0},"
                + "{\"label\":\"HAProxy baseline\",\"error\":\"LabException: no haproxy\"}]}");
        String table = ScenarioReport.table(root);
        assertTrue(table.startsWith("| | MigWare resume | MigWare replay | HAProxy baseline |"), table);
        assertTrue(table.contains("| downloads finished with the right SHA-256 | 0 of 4 | 4 of 4 | failed |"), table);
        assertTrue(table.contains("| ended with an error (reset) | 4 | 0 | failed |"), table);
        assertTrue(table.contains("not migratable | — (resume keeps no streams) | 0 / 0 / 0 | failed |"), table);
    }
}
