package org.migware.lab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.migware.lab.LabException;

/**
 * The lab reads {@code migware:status --json} and {@code migware:connections --json}. The samples
 * are what the core wrote: the {@code *-fresh-container.txt} answers of {@code bin/migware exec}
 * to a distribution started as built (no configuration; the first answer begins with a line the
 * tracker logged in the command's thread), the {@code .json} ones the core's own status records
 * ({@code StatusRecords} of its tests) through its {@code StatusJson}, every field set.
 */
class MigwareStatusTest {

    @Test
    void aFreshContainerIsNormalAndReady() {
        MigwareStatus status = MigwareStatus.parse(sample("status-fresh-container.txt"));
        assertEquals("NORMAL", status.state());
        assertTrue(status.normal());
        assertFalse(status.proxy());
        assertEquals(Instant.parse("2026-12-06T03:35:30.317921627Z"), status.since());
        assertEquals("started: passive tracking", status.reason());
        assertEquals(new MigwareStatus.Policy("ANY", 1, 0, false), status.policy());
        assertEquals(List.of(new MigwareStatus.Verdict("icmp", "UNKNOWN", "(none)", Instant.parse("2026-12-06T03:35:30.418478997Z"),
                "not probing: 'target' is not set, and neither is 'addresses' in org.migware.service")), status.monitors());
        assertFalse(status.says("icmp", "UP"));
        assertFalse(status.capturing(), "no packet source configured");
        assertEquals(0, status.tracked());
        assertEquals("NOT_CONFIGURED", status.migration().phase());
        assertEquals(-1, status.migration().recoveryMillis(), "no recovery before a failover");
        assertFalse(status.migration().started());
    }

    @Test
    void everyFieldTheLabDecidesOnIsRead() {
        MigwareStatus status = MigwareStatus.parse(sample("status-proxy.json"));
        assertEquals("PROXY", status.state());
        assertTrue(status.proxy());
        assertFalse(status.normal());
        assertEquals(Instant.parse("2026-11-30T09:59:55Z"), status.since());
        assertEquals("recovery finished: 1 recovered", status.reason());
        assertEquals(new MigwareStatus.Policy("QUORUM", 2, 500, true), status.policy());
        assertEquals(List.of(new MigwareStatus.Verdict("icmp", "DOWN", "10.77.0.2", Instant.parse("2026-11-30T09:59:54Z"), "no reply")),
                status.monitors());
        assertTrue(status.says("icmp", "DOWN"));
        assertFalse(status.says("tcp", "DOWN"), "no tcp monitor");
        assertEquals(1, status.down().size());
        assertTrue(status.capturing());
        assertTrue(status.capturingOn("eth0"));
        assertFalse(status.capturingOn("eth1"));
        assertEquals(1, status.tracked());
    }

    @Test
    void theMigrationsProgressIsWhatTheStatusTextShows() {
        // The core's words for the same record: "1 recovered, 0 failed, 2 pending, 1 not recoverable, in 14 ms; ..."
        MigwareStatus.Migration m = MigwareStatus.parse(sample("status-proxy.json")).migration();
        assertEquals("RECOVERING", m.phase());
        assertTrue(m.started());
        assertEquals(14, m.recoveryMillis());
        assertEquals(1, m.recovered());
        assertEquals(0, m.failed());
        assertEquals(2, m.pending());
        assertEquals(1, m.notRecoverable());
        assertEquals(120, m.bytesHandedOver());
        assertEquals("newline", m.framing());
        assertEquals(4, m.resetsSent());
        assertEquals(1, m.ecnRefusedByReplica());
    }

    @Test
    void withoutTheCoreTheStateIsUnknownAndNothingRuns() {
        MigwareStatus status = MigwareStatus.parse(sample("status-core-stopped.json"));
        assertEquals(MigwareStatus.UNKNOWN, status.state());
        assertNull(status.since());
        assertNull(status.policy());
        assertFalse(status.normal());
        assertFalse(status.capturing());
        assertEquals(-1, status.tracked());
        assertEquals("NOT_CONFIGURED", status.migration().phase());
        assertEquals(-1, status.migration().recoveryMillis());
    }

    @Test
    void theDecisionIgnoresCountersThatMoveWithEveryPacket() {
        String proxy = sample("status-proxy.json");
        MigwareStatus.Decision before = MigwareStatus.parse(proxy).decision();
        MigwareStatus.Decision later = MigwareStatus.parse(proxy.replace("\"received\":100", "\"received\":900")
                .replace("\"packetsTracked\":7", "\"packetsTracked\":70")).decision();
        assertEquals(before, later);
        MigwareStatus.Decision reset = MigwareStatus.parse(proxy.replace("\"resetsSent\":4", "\"resetsSent\":5")).decision();
        assertNotEquals(before, reset, "a reset sent for no connection is a change");
    }

    @Test
    void theHumanTextIsNotAStatusReport() {
        assertThrows(LabException.class, () -> MigwareStatus.parse("state:       PROXY since 2026-11-30T09:59:55Z (x)\n"));
        assertThrows(LabException.class, () -> MigwareStatus.parse("{\"time\":\"2026-11-30T10:00:00Z\"}"));
        assertThrows(LabException.class, () -> MigwareConnections.parse("1 connection\n"));
    }

    @Test
    void theTrackedConnectionsAndTheMappingsAreRead() {
        MigwareConnections report = MigwareConnections.parse(sample("connections-proxy.json"));
        assertTrue(report.tracking());
        assertEquals(1, report.connections().size());
        MigwareConnections.TrackedConnection c = report.connections().get(0);
        assertEquals("10.77.0.1", c.clientAddress());
        assertEquals(40000, c.clientPort());
        assertTrue(c.handshakeSeen());
        assertEquals(new MigwareConnections.Side(100, 1460, 7, true, true, 20), c.client());
        assertEquals(new MigwareConnections.Side(900, 1460, 7, true, false, 0), c.server());
        assertEquals(Map.of("10.77.0.1:40000", "ESTABLISHED"), report.mappings());
    }

    @Test
    void aPageSaysHowManyMatchBeyondIt() {
        String page = sample("connections-proxy.json").replace("{\"time\"", "{\"filter\":\"10.77.0.1\",\"offset\":0,\"limit\":1,\"total\":250,\"time\"");
        MigwareConnections report = MigwareConnections.parse(page);
        assertEquals(1, report.connections().size());
        assertEquals(250, report.total());
        assertEquals(1, MigwareConnections.parse(sample("connections-proxy.json")).total(), "a report before the totals: its size");
        assertEquals("migware:connections --json --filter 10.77.0.1:40000 --limit 5", MigwareConnections.command("10.77.0.1:40000", 5));
        assertThrows(IllegalArgumentException.class, () -> MigwareConnections.command("10.0.0.1; shutdown", 5));
    }

    @Test
    void aFreshContainerTracksNothingYet() {
        MigwareConnections report = MigwareConnections.parse(sample("connections-fresh-container.txt"));
        assertTrue(report.tracking());
        assertEquals(List.of(), report.connections());
        assertEquals(Map.of(), report.mappings());
    }

    private static String sample(String name) {
        try (InputStream in = MigwareStatusTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("no sample " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
