package org.migware.lab.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.migware.lab.Await;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.LabTestSupport;
import org.migware.lab.network.Role;
import org.migware.lab.oracles.FlowKey;
import org.migware.lab.oracles.SynOptions;
import org.migware.lab.oracles.TcpFlow;
import org.migware.lab.oracles.Tcpdump;
import org.migware.lab.oracles.TsharkDecoder;

/**
 * The thesis's push workload in the lab, checked against two oracles: what the server application
 * received (SinkServer) and what went over the hub (tcpdump on the backup, decoded by tshark).
 * Root required.
 */
@Timeout(90)
class PushWorkloadLabTest {

    private static final int PORT = 5000;
    private static final Duration START = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private LabProcess startSink(LabNetwork lab, Path report) {
        LabProcess sink = lab.startJava(Role.PRIMARY, "sink", SinkServer.class,
                new SinkServer.Options().port(PORT).report(report).reportIntervalMillis(100).toArgs());
        sink.awaitOutput(SinkServer.LISTENING, START);
        return sink;
    }

    private static Optional<SinkReport> sinkReport(Path file) {
        return SinkReport.readIfPresent(file);
    }

    @Test
    void sinkReceivesExactlyWhatTheClientSentAndTsharkSeesTheSameOnTheHub() {
        Path sinkFile = dir.resolve("sink.tsv");
        Path clientFile = dir.resolve("client.tsv");
        String prefix = LabTestSupport.uniquePrefix();
        try (LabNetwork lab = LabNetwork.builder().prefix(prefix).workDir(dir).create()) {
            Tcpdump capture = Tcpdump.on(lab, Role.BACKUP).pcap(dir.resolve("backup.pcap")).filter("tcp port " + PORT).start();
            LabProcess sink = startSink(lab, sinkFile);
            LabProcess client = lab.startJava(Role.CLIENT, "client", PushClient.class, new PushClient.Options()
                    .host(lab.address(Role.PRIMARY)).port(PORT).connections(20).intervalMillis(200).durationMillis(3000)
                    .recordSize(64).connectRate(200).report(clientFile).reportIntervalMillis(200).toArgs());
            assertTrue(client.waitFor(Duration.ofSeconds(30)), "client did not end: " + client.stderr());
            assertEquals(0, client.exitCode().getAsInt(), client.stderr());
            PushClientReport sent = PushClientReport.read(clientFile);
            assertTrue(sent.isFinal());
            assertEquals(20, sent.connections().size());
            assertEquals(List.of(), sent.failed());

            // The client closed its sockets; once the sink has read every EOF it has everything.
            Await.until("all 20 connections at EOF in the sink", Duration.ofSeconds(15), () -> sinkReport(sinkFile)
                    .map(r -> r.connections().stream().filter(c -> c.state().equals("EOF")).count() == 20).orElse(false));
            sink.destroy();
            Tcpdump.CaptureStats stats = capture.stop();
            SinkReport received = SinkReport.read(sinkFile);
            assertTrue(received.isFinal(), "the sink writes a final report on SIGTERM");

            for (PushClientReport.Connection c : sent.connections()) {
                assertEquals("DONE", c.state());
                // Some records, not a rate: a 3 s run at 200 ms sends ~15, but on the shared 2-core machine the
                // client's writes stalled for a second once (9 records, 5 stalls), and this test is about the
                // bytes arriving exactly, not about the machine's speed. Two records make the order check mean something.
                assertTrue(c.recordsSent() >= 2, "a 3 s run at 200 ms sends ~15 records: " + c);
                assertEquals(c.recordsSent() * 64, c.bytesSent());
                SinkReport.Connection r = received.byRemote(lab.address(Role.CLIENT), c.localPort()).orElseThrow();
                assertEquals(c.bytesSent(), r.bytes(), "bytes of connection " + c.id());
                assertEquals(c.recordsSent(), r.records(), "records of connection " + c.id());
                assertEquals(c.id(), r.connId());
                assertEquals(1, r.firstSeq());
                assertEquals(c.recordsSent(), r.lastSeq());
                assertTrue(r.clean(), "every record in order, none missing, torn or corrupt: " + r);
            }

            assertEquals(0, stats.droppedByKernel(), stats.toString());
            List<TcpFlow> flows = new TsharkDecoder().decode(capture.pcap(), "tcp.port == " + PORT);
            assertEquals(20, flows.size(), flows.toString());
            Map<Integer, PushClientReport.Connection> byPort = sent.connections().stream()
                    .collect(Collectors.toMap(PushClientReport.Connection::localPort, c -> c));
            for (TcpFlow flow : flows) {
                assertEquals(lab.address(Role.CLIENT), flow.key().clientIp());
                assertEquals(lab.address(Role.PRIMARY), flow.key().serverIp());
                assertTrue(flow.handshakeSeen(), flow.toString());
                for (SynOptions syn : List.of(flow.client().synOptions(), flow.server().synOptions())) {
                    // Linux defaults on both sides: the options MigWare's forged handshake must reproduce.
                    assertEquals(1460, syn.mss().getAsInt(), flow.toString());
                    assertTrue(syn.windowScale().isPresent(), flow.toString());
                    assertTrue(syn.sackPermitted(), flow.toString());
                    assertTrue(syn.timestamps(), flow.toString());
                }
                PushClientReport.Connection c = byPort.get(flow.key().clientPort());
                assertEquals(c.bytesSent(), flow.client().payloadBytes(), "client bytes on the wire, " + flow.key());
                assertEquals(0, flow.server().payloadBytes(), "the sink only acknowledges");
                // The server acknowledged every byte and the FIN.
                assertEquals(c.bytesSent() + 1, flow.server().ackedBytes(), flow.toString());
                assertTrue(flow.client().finSeen());
            }
        }
        assertEquals(List.of(), LabTestSupport.netnsWithPrefix(prefix));
    }

    @Test
    void pullingThePrimaryLinkStopsTrafficToTheSinkAndRestoringItResumes() {
        Path sinkFile = dir.resolve("sink.tsv");
        Path clientFile = dir.resolve("client.tsv");
        String prefix = LabTestSupport.uniquePrefix();
        try (LabNetwork lab = LabNetwork.builder().prefix(prefix).workDir(dir).create()) {
            Tcpdump capture = Tcpdump.on(lab, Role.BACKUP).pcap(dir.resolve("backup.pcap")).filter("tcp port " + PORT).start();
            LabProcess sink = startSink(lab, sinkFile);
            LabProcess client = lab.startJava(Role.CLIENT, "client", PushClient.class, new PushClient.Options()
                    .host(lab.address(Role.PRIMARY)).port(PORT).connections(5).intervalMillis(100)
                    .report(clientFile).reportIntervalMillis(100).toArgs());
            Await.until("5 connections with 3 records each at the sink", START, () -> sinkReport(sinkFile)
                    .map(r -> r.connections().size() == 5 && r.connections().stream().allMatch(c -> c.records() >= 3))
                    .orElse(false));

            lab.pullPrimaryLink();
            long pulledAt = System.currentTimeMillis();
            // Whatever was already inside the primary has been read 300 ms later.
            SinkReport atPull = Await.value("a sink report 300 ms after the pull", Duration.ofSeconds(5),
                    () -> sinkReport(sinkFile).filter(r -> r.writtenAtMillis() >= pulledAt + 300));
            PushClientReport clientAtPull = PushClientReport.read(clientFile);
            Await.until("the client writing 5 more records on every connection", Duration.ofSeconds(10),
                    () -> PushClientReport.readIfPresent(clientFile).map(now -> now.connections().stream().allMatch(
                            c -> c.recordsSent() >= clientAtPull.connections().get(c.id()).recordsSent() + 5)).orElse(false));
            long progressAt = System.currentTimeMillis();
            SinkReport later = Await.value("a sink report after the client's progress", Duration.ofSeconds(5),
                    () -> sinkReport(sinkFile).filter(r -> r.writtenAtMillis() > progressAt));
            for (SinkReport.Connection c : atPull.connections()) {
                assertEquals(c.bytes(), later.byRemote(c.remoteIp(), c.remotePort()).orElseThrow().bytes(),
                        "no byte reaches the sink while the cable is out: " + c.remotePort());
            }
            assertTrue(PushClientReport.read(clientFile).totalBytesSent() > later.totalBytes());

            lab.restorePrimaryLink();
            // TCP retransmits into the restored link (after its backed-off RTO).
            Await.until("data reaching the sink again", Duration.ofSeconds(20),
                    () -> sinkReport(sinkFile).map(r -> r.totalBytes() > later.totalBytes()).orElse(false));

            client.destroy(); // SIGTERM: final report, then the kernel delivers what the sockets hold
            PushClientReport sent = PushClientReport.read(clientFile);
            assertTrue(sent.isFinal());
            assertEquals(List.of(), sent.failed());
            Await.until("the sink receiving every byte the client wrote", Duration.ofSeconds(20), () -> sinkReport(sinkFile)
                    .map(r -> sent.connections().stream().allMatch(c -> r.byRemote(lab.address(Role.CLIENT), c.localPort())
                            .map(s -> s.bytes() == c.bytesSent() && s.state().equals("EOF")).orElse(false)))
                    .orElse(false));
            sink.destroy();
            capture.stop();
            SinkReport received = SinkReport.read(sinkFile);
            for (SinkReport.Connection r : received.connections()) {
                assertTrue(r.clean(), "TCP repaired the outage: every record, in order: " + r);
                assertTrue(r.maxSilenceMillis() >= 300, "the outage shows as silence: " + r);
            }
            // The backup saw the client's stream throughout, outage included.
            Map<FlowKey, TcpFlow> flows = TsharkDecoder.byKey(new TsharkDecoder().decode(capture.pcap()));
            assertEquals(5, flows.size());
            for (PushClientReport.Connection c : sent.connections()) {
                TcpFlow flow = flows.get(new FlowKey(lab.address(Role.CLIENT), c.localPort(), lab.address(Role.PRIMARY), PORT));
                assertEquals(c.bytesSent(), flow.client().payloadBytes(), flow.toString());
            }
        }
        assertEquals(List.of(), LabTestSupport.netnsWithPrefix(prefix));
    }
}
