package org.migware.core.internal.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.migware.api.failover.ConnectionsReport;
import org.migware.api.failover.MigrationPhase;
import org.migware.api.failover.MigrationProgress;
import org.migware.api.failover.StatusReport;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

class StatusJsonTest {

    private final StatusJson json = new StatusJson();

    @Test
    void aStatusReportComesBackFieldForField() {
        StatusReport report = StatusRecords.report();
        String text = json.write(report);
        StatusReport back = json.parse(text, StatusReport.class);
        // Records compare component by component, nested records and lists included.
        assertEquals(report, back);
        assertEquals(report.failover(), back.failover());
        assertEquals(report.captures(), back.captures());
        assertEquals(report.connections(), back.connections());
        assertEquals(report.migration(), back.migration());
        assertEquals(report.monitors(), back.monitors());
    }

    @Test
    void theKeysAreTheRecordsComponentNamesAndValuesAreWordsAScriptReads() {
        JsonObject root = JsonParser.parseString(json.write(StatusRecords.report())).getAsJsonObject();
        assertEquals("2026-11-30T10:00:00Z", root.get("time").getAsString());
        JsonObject failover = root.getAsJsonObject("failover");
        assertEquals("PROXY", failover.get("state").getAsString());
        assertEquals("2026-11-30T09:59:55Z", failover.get("since").getAsString());
        assertEquals("QUORUM", failover.getAsJsonObject("policy").get("mode").getAsString());
        assertEquals(500, failover.getAsJsonObject("policy").get("holdDownMillis").getAsLong());
        assertEquals("fence command exited 1: bmc unreachable", failover.getAsJsonObject("fence").get("lastFailure").getAsString());
        assertEquals("fenced", failover.getAsJsonObject("fence").get("protection").getAsString());
        JsonObject migration = root.getAsJsonObject("migration");
        assertEquals("RECOVERING", migration.get("phase").getAsString());
        assertEquals(14_300_000L, migration.get("recoveryNanos").getAsLong());
        assertTrue(migration.get("recoveryFinished").isJsonNull(), "an absent value is written as null");
        JsonObject notRecoverable = migration.getAsJsonArray("notRecoverableConnections").get(0).getAsJsonObject();
        assertEquals("NOT_ESTABLISHED", notRecoverable.get("reason").getAsString());
        assertEquals("10.77.0.9", notRecoverable.getAsJsonObject("client").get("address").getAsString());
        assertEquals(100, root.getAsJsonArray("captures").get(0).getAsJsonObject().getAsJsonObject("statistics").get("received").getAsLong());
        assertEquals("DOWN", root.getAsJsonArray("monitors").get(0).getAsJsonObject().get("status").getAsString());
    }

    @Test
    void theReplayPartsComeBackToo() throws Exception {
        org.migware.api.failover.MappingSnapshot m = StatusRecords.mapping();
        org.migware.api.failover.MappingSnapshot replayed = new org.migware.api.failover.MappingSnapshot(m.client(), m.shadow(),
                m.replica(), m.state(), m.translation(), m.ecn(), m.streamStart(), m.handOverBytesLeft(), m.packetsToReplica(),
                m.packetsToClient(), new org.migware.api.failover.MappingSnapshot.Replay(10, 6, 7, 3, 2,
                        org.migware.api.failover.MappingSnapshot.ReplayOutcome.CAUGHT_UP));
        org.migware.api.failover.KeptConnection kept = new org.migware.api.failover.KeptConnection(
                new org.migware.api.connection.Endpoint(java.net.InetAddress.getByName("10.77.0.1"), 40000, null),
                new org.migware.api.connection.Endpoint(java.net.InetAddress.getByName("10.77.0.2"), 80, null),
                org.migware.api.failover.Delivery.AUTO, org.migware.api.failover.ReplayReadiness.REPLAYABLE, null, 18, 10_000, 6_000);
        ConnectionsReport report = new ConnectionsReport(StatusRecords.NOW, true, List.of(), List.of(replayed), List.of(kept));
        assertEquals(report, json.parse(json.write(report), ConnectionsReport.class));
        // A report written before 2.1 (no kept connections) reads back with none.
        String old = json.write(new ConnectionsReport(StatusRecords.NOW, true, List.of(), List.of())).replace(",\"kept\":[]", "");
        assertEquals(List.of(), json.parse(old, ConnectionsReport.class).kept());
    }

    @Test
    void aConnectionsReportComesBackWithAddressesOfBothFamilies() {
        ConnectionsReport report = new ConnectionsReport(StatusRecords.NOW, true, List.of(StatusRecords.connection()),
                List.of(StatusRecords.mapping()));
        String text = json.write(report);
        ConnectionsReport back = json.parse(text, ConnectionsReport.class);
        assertEquals(report, back);
        JsonObject mapping = JsonParser.parseString(text).getAsJsonObject().getAsJsonArray("mappings").get(0).getAsJsonObject();
        assertEquals(4_000_000_000L, mapping.getAsJsonObject("translation").get("d2").getAsLong());
        assertEquals("REFUSED_BY_REPLICA", mapping.get("ecn").getAsString());
        assertEquals("198.18.0.2", mapping.getAsJsonObject("shadow").get("address").getAsString());
        assertEquals("2001:db8:0:0:0:0:0:2", JsonParser.parseString(text).getAsJsonObject().getAsJsonArray("connections").get(0)
                .getAsJsonObject().getAsJsonObject("server").get("address").getAsString());
    }

    @Test
    void whatIsNotRunningIsNullOrEmptyAndNotConfiguredIsAPhase() {
        StatusReport report = new StatusReport(Instant.EPOCH, null, List.of(), null, MigrationProgress.notConfigured(), List.of());
        StatusReport back = json.parse(json.write(report), StatusReport.class);
        assertEquals(report, back);
        assertNull(back.failover());
        assertNull(back.connections());
        assertEquals(MigrationPhase.NOT_CONFIGURED, back.migration().phase());
    }

    @Test
    void anAddressIsReadOnlyAsALiteralNeverLookedUp() {
        String json = "{\"address\":\"primary.example\",\"port\":7000,\"mac\":null}";
        assertThrows(JsonParseException.class, () -> this.json.parse(json, org.migware.api.connection.Endpoint.class));
    }
}
