package org.migware.core.internal.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.migware.api.connection.ConnectionKey;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.ConnectionTable;
import org.migware.api.connection.DirectionState;
import org.migware.api.connection.Endpoint;
import org.migware.api.connection.TableStatistics;
import org.migware.api.connection.TcpState;
import org.migware.api.failover.CaptureSnapshot;
import org.migware.api.failover.ConnectionsReport;
import org.migware.api.failover.FailoverPolicy;
import org.migware.api.failover.FailoverState;
import org.migware.api.failover.MappingSnapshot;
import org.migware.api.failover.MigrationPhase;
import org.migware.api.failover.MigrationProgress;
import org.migware.api.failover.MigrationStatus;
import org.migware.api.failover.StatusReport;
import org.migware.api.packet.CaptureStatistics;
import org.migware.api.packet.PacketSource;
import org.migware.api.packet.PacketSubscription;
import org.migware.core.internal.TestConfigs;
import org.migware.core.internal.status.StatusJson;
import org.migware.core.internal.status.StatusRecords;

class MigwareCommandsTest {

    private static final Instant NOW = Instant.parse("2026-11-30T10:00:00Z");

    private final MigwareCommands commands = new MigwareCommands(Clock.fixed(NOW, ZoneOffset.UTC));

    @Test
    void statusSaysWhatIsMissing() {
        String status = commands.status(false);
        assertTrue(status.contains("state:       unknown"), status);
        assertTrue(status.contains("capture:     none"), status);
        assertTrue(status.contains("connections: unknown (the tracker is not running)"), status);
        assertTrue(status.contains("monitors:    none installed"), status);
        assertTrue(status.contains("migration:   not configured"), status);
        assertEquals("the tracker is not running: no connection table\n", commands.connections(false, "", -1, 0));
    }

    @Test
    void statusShowsStateCaptureCountersAndTable() {
        commands.bindFailoverCoordinator(TestConfigs.coordinator(TestConfigs.failover("any", 1, 0, 0, false)));
        commands.addPacketSource(source("pcap4j:eth0", new CaptureStatistics(100, 2, 1, Map.of("listener-failed", 3L), true)));
        commands.bindConnectionTable(table(List.of(snapshot())));
        String status = commands.status(false);
        assertTrue(status.contains("state:       NORMAL"), status);
        assertTrue(status.contains("policy:      any\n"), status);
        assertTrue(status.contains("fence:       unfenced: no fenceCommand (the primary is trusted to stay down)\n"), status);
        String json = commands.status(true);
        assertTrue(json.contains("\"protection\":\"unfenced\""), json);
        assertTrue(status.contains("capture:     pcap4j:eth0 running received=100 dropped.kernel=2 dropped.interface=1 dropped.migware=3 (listener-failed=3)"), status);
        assertTrue(status.contains("connections: 1 of 10 created=5 evicted=1 expired.idle=2 expired.closed=3"), status);
        assertTrue(status.contains("packets:     tracked=7 ignored=4 (not-ip=4) malformed=0\n"), status);
    }

    @Test
    void statusAndConnectionsFormatTheTypedMigration() {
        commands.bindConnectionTable(table(List.of(snapshot())));
        commands.bindMigrationStatus(typedMigration());
        String status = commands.status(false);
        assertTrue(status.contains("\nmigration:   1 recovered, 0 failed, 2 pending, 1 not recoverable, in 14 ms; 120 client bytes handed over;"), status);
        String connections = commands.connections(false, "", -1, 0);
        assertTrue(connections.contains("carried by MigWare since the failover (client, shadow endpoint, translation, packets):\n"
                + "  10.77.0.1:40000 (shadow 198.18.0.2:10000) state=ESTABLISHED d2=4000000000 tsOffset=-3 windowShift=7->8"), connections);
    }

    @Test
    void jsonGivesTheRecordsTheTextIsMadeOf() {
        commands.bindFailoverCoordinator(TestConfigs.coordinator(TestConfigs.failover("any", 1, 0, 0, false)));
        commands.addPacketSource(source("pcap4j:eth0", new CaptureStatistics(100, 2, 1, Map.of("listener-failed", 3L), true)));
        commands.bindConnectionTable(table(List.of(snapshot())));
        commands.bindMigrationStatus(typedMigration());
        StatusJson json = new StatusJson();
        String statusJson = commands.status(true);
        assertTrue(statusJson.endsWith("}\n") && statusJson.indexOf('\n') == statusJson.length() - 1, "one line: " + statusJson);
        StatusReport report = json.parse(statusJson, StatusReport.class);
        assertEquals(NOW, report.time());
        assertEquals(FailoverState.NORMAL, report.failover().state());
        assertEquals(FailoverPolicy.Mode.ANY, report.failover().policy().mode());
        assertFalse(report.failover().fence().configured());
        assertEquals(List.of(new CaptureSnapshot("pcap4j:eth0", new CaptureStatistics(100, 2, 1, Map.of("listener-failed", 3L), true))),
                report.captures());
        assertEquals(table(List.of()).statistics().created(), report.connections().created());
        assertEquals(StatusRecords.recovering(), report.migration());
        assertEquals(List.of(), report.monitors());

        ConnectionsReport connections = json.parse(commands.connections(true, "", -1, 0), ConnectionsReport.class);
        assertTrue(connections.tracking());
        assertEquals(List.of(snapshot()), connections.connections());
        assertEquals(List.of(StatusRecords.mapping()), connections.mappings());
    }

    @Test
    void jsonSaysWhatIsMissing() {
        StatusReport report = new StatusJson().parse(commands.status(true), StatusReport.class);
        assertNull(report.failover());
        assertNull(report.connections());
        assertEquals(MigrationPhase.NOT_CONFIGURED, report.migration().phase());
        assertEquals(List.of(), report.captures());
        ConnectionsReport connections = new StatusJson().parse(commands.connections(true, "", -1, 0), ConnectionsReport.class);
        assertFalse(connections.tracking());
        assertEquals(List.of(), connections.connections());
    }

    private static MigrationStatus typedMigration() {
        return migration(List.of(StatusRecords.mapping()));
    }

    private static MigrationStatus migration(List<MappingSnapshot> mappings) {
        return new MigrationStatus() {
            @Override
            public MigrationProgress progressSnapshot() {
                return StatusRecords.recovering();
            }

            @Override
            public List<MappingSnapshot> mappingSnapshots() {
                return mappings;
            }
        };
    }

    @Test
    void connectionsPrintsOneReadableLinePerConnection() {
        commands.bindConnectionTable(table(List.of(snapshot())));
        String[] lines = commands.connections(false, "", -1, 0).split("\n");
        assertEquals(2, lines.length);
        assertEquals("10.77.0.1:40000 -> 10.77.0.2:7000 state=ESTABLISHED handshake=seen idle=1.5s"
                + " client.mac=02:00:00:00:00:01 server.mac=- sack=on ts=off ecn=on"
                + " c.isn=100 c.mss=1460 c.ws=7 c.sackok=1 c.tsopt=1 c.ack=901 c.end=121 c.tsval=55 c.win=502"
                + " c.bytes=20 c.pkts=4 c.retrans=1 c.ooo=0"
                + " s.isn=900 s.mss=1460 s.ws=7 s.sackok=1 s.tsopt=0 s.ack=121 s.end=901 s.tsval=- s.win=-"
                + " s.bytes=0 s.pkts=2 s.retrans=0 s.ooo=0", lines[0]);
        assertEquals("1 connection", lines[1]);
    }

    @Test
    void connectionsFiltersByEitherEndAndPagesWithTheTotalBeforeTheLimit() {
        commands.bindConnectionTable(table(List.of(snapshot("10.77.0.3", 40002, 5), snapshot("10.77.0.1", 40001, 20),
                snapshot("10.77.0.1", 40000, 30))));
        StatusJson json = new StatusJson();

        ConnectionsReport byClient = json.parse(commands.connections(true, "10.77.0.1", -1, 0), ConnectionsReport.class);
        assertEquals(2, byClient.total());
        assertEquals(List.of(40000, 40001), byClient.connections().stream().map(c -> c.client().port()).toList(), "oldest first");
        assertEquals("10.77.0.1", byClient.filter());

        ConnectionsReport byServer = json.parse(commands.connections(true, "10.77.0.2:7000", 2, 1), ConnectionsReport.class);
        assertEquals(3, byServer.total());
        assertEquals(List.of(40001, 40002), byServer.connections().stream().map(c -> c.client().port()).toList());
        assertEquals(2, byServer.limit());
        assertEquals(1, byServer.offset());

        ConnectionsReport byPort = json.parse(commands.connections(true, ":40002", -1, 0), ConnectionsReport.class);
        assertEquals(1, byPort.total());
        assertEquals(0, json.parse(commands.connections(true, "10.77.0.9", -1, 0), ConnectionsReport.class).total());
        ConnectionsReport counted = json.parse(commands.connections(true, "", 0, 0), ConnectionsReport.class);
        assertEquals(3, counted.total());
        assertEquals(List.of(), counted.connections());

        String text = commands.connections(false, "10.77.0.1", 1, 0);
        assertTrue(text.startsWith("10.77.0.1:40000 -> 10.77.0.2:7000 "), text);
        assertTrue(text.endsWith("\n1 of 2 connections matching 10.77.0.1\n"), text);
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class, () -> commands.connections(false, "10.77.0.1:http", -1, 0));
        assertTrue(wrong.getMessage().contains("'10.77.0.1:http'"), wrong.getMessage());
    }

    @Test
    void theCarriedConnectionsAreFilteredAndPagedToo() {
        MappingSnapshot m = StatusRecords.mapping();
        List<MappingSnapshot> mappings = List.of(carried(m, "10.77.0.5", 40002), carried(m, "10.77.0.1", 40001), carried(m, "10.77.0.1", 40000));
        commands.bindConnectionTable(table(List.of()));
        commands.bindMigrationStatus(migration(mappings));
        ConnectionsReport page = new StatusJson().parse(commands.connections(true, "10.77.0.1", 1, 1), ConnectionsReport.class);
        assertEquals(2, page.mappingsTotal());
        assertEquals(List.of(40001), page.mappings().stream().map(c -> c.client().port()).toList(), "client order, from the second");
        // the replica's end matches too: every mapping goes to 10.77.0.3:7000
        assertEquals(3, new StatusJson().parse(commands.connections(true, "10.77.0.3:7000", -1, 0), ConnectionsReport.class).mappingsTotal());
        String text = commands.connections(false, "10.77.0.1", 1, 0);
        assertTrue(text.contains("carried by MigWare since the failover (client, shadow endpoint, translation, packets), 1 of 2:\n"
                + "  10.77.0.1:40000 "), text);
    }

    private static MappingSnapshot carried(MappingSnapshot m, String client, int port) {
        return new MappingSnapshot(StatusRecords.endpoint(client, port, null), m.shadow(), m.replica(), m.state(), m.translation(), m.ecn(),
                m.streamStart(), m.handOverBytesLeft(), m.packetsToReplica(), m.packetsToClient());
    }

    private static ConnectionSnapshot snapshot(String client, int port, int ageSeconds) {
        ConnectionSnapshot s = snapshot();
        try {
            return new ConnectionSnapshot(new Endpoint(InetAddress.getByName(client), port, null), s.server(), s.clientToServer(),
                    s.serverToClient(), s.state(), true, NOW.minusSeconds(ageSeconds), NOW);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ConnectionSnapshot snapshot() {
        try {
            return new ConnectionSnapshot(
                    new Endpoint(InetAddress.getByName("10.77.0.1"), 40000, "02:00:00:00:00:01"),
                    new Endpoint(InetAddress.getByName("10.77.0.2"), 7000, null),
                    new DirectionState(100, 1460, 7, true, true, 901, 121, 55, 502, 20, 4, 1, 0, DirectionState.ECE | DirectionState.CWR),
                    new DirectionState(900, 1460, 7, true, false, 121, 901, DirectionState.UNKNOWN, -1, 0, 2, 0, 0, DirectionState.ECE),
                    TcpState.ESTABLISHED, true, NOW.minusSeconds(10), NOW.minusMillis(1500));
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ConnectionTable table(List<ConnectionSnapshot> snapshots) {
        return new ConnectionTable() {
            @Override
            public int size() {
                return snapshots.size();
            }

            @Override
            public List<ConnectionSnapshot> connections() {
                return snapshots;
            }

            @Override
            public Optional<ConnectionSnapshot> find(ConnectionKey key) {
                return snapshots.stream().filter(s -> s.key().equals(key)).findFirst();
            }

            @Override
            public TableStatistics statistics() {
                return new TableStatistics(snapshots.size(), 10, 5, 1, 2, 3, 7, Map.of("not-ip", 4L), Map.of());
            }
        };
    }

    private static PacketSource source(String name, CaptureStatistics statistics) {
        return new PacketSource() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public PacketSubscription subscribe(org.migware.api.packet.PacketListener listener) {
                return () -> { };
            }

            @Override
            public CaptureStatistics statistics() {
                return statistics;
            }
        };
    }
}
