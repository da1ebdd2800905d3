package org.migware.lab.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.migware.lab.Await;

/**
 * PushClient against SinkServer in this JVM over loopback: the workload and both reports without
 * the lab (no root needed).
 */
@Timeout(30)
class PushSinkLoopbackTest extends LoopbackWorkloadTest {

    @Test
    void everyRecordArrivesAndBothReportsAgree() throws Exception {
        SinkServer sink = startSink(false);
        PushClient.Options options = new PushClient.Options().host("127.0.0.1").port(sink.localAddress().getPort())
                .connections(5).intervalMillis(20).records(10).recordSize(100).report(dir.resolve("client.tsv"))
                .reportIntervalMillis(100);
        PushClient client = new PushClient(options);
        Future<Integer> exit = threads.submit(client::run);
        assertEquals(0, exit.get(20, TimeUnit.SECONDS));

        PushClientReport sent = PushClientReport.read(dir.resolve("client.tsv"));
        assertTrue(sent.isFinal());
        assertEquals(5, sent.connections().size());
        assertEquals(50, sent.totalRecordsSent());
        assertEquals(50 * 100, sent.totalBytesSent());
        assertTrue(sent.failed().isEmpty(), sent.failed().toString());

        // The client closed every connection; wait until the sink has seen every EOF.
        Path sinkReport = dir.resolve("sink.tsv");
        Await.until("5 connections at EOF in the sink report", Duration.ofSeconds(10), () -> SinkReport.readIfPresent(sinkReport)
                .map(r -> r.connections().stream().filter(c -> c.state().equals("EOF")).count() == 5).orElse(false));
        sink.stop();
        assertTrue(sink.awaitFinished(Duration.ofSeconds(5)));
        SinkReport received = SinkReport.read(sinkReport);
        assertTrue(received.isFinal());
        for (PushClientReport.Connection c : sent.connections()) {
            SinkReport.Connection r = received.byRemote("127.0.0.1", c.localPort()).orElseThrow();
            assertEquals(c.bytesSent(), r.bytes(), "bytes of " + c);
            assertEquals(c.recordsSent(), r.records());
            assertEquals(c.id(), r.connId());
            assertEquals(r, received.byConnId(c.id()).orElseThrow());
            assertEquals(c, sent.byId(c.id()).orElseThrow());
            assertTrue(r.clean(), r.toString());
        }
    }

    @Test
    void respondModeAnswersEveryRecord() throws Exception {
        SinkServer sink = startSink(true);
        PushClient.Options options = new PushClient.Options().host("127.0.0.1").port(sink.localAddress().getPort())
                .connections(3).intervalMillis(10).records(20).readResponses(true).report(dir.resolve("client.tsv"));
        assertEquals(0, threads.submit(new PushClient(options)::run).get(20, TimeUnit.SECONDS));
        PushClientReport sent = PushClientReport.read(dir.resolve("client.tsv"));
        for (PushClientReport.Connection c : sent.connections()) {
            assertEquals(20, c.responses(), c.toString());
            assertEquals("DONE", c.state());
        }
        sink.stop();
        assertTrue(sink.awaitFinished(Duration.ofSeconds(5)));
        assertEquals(60, SinkReport.read(dir.resolve("sink.tsv")).connections().stream()
                .mapToLong(SinkReport.Connection::responses).sum());
    }

    @Test
    void refusedConnectionsAreReportedWithTheirError() throws Exception {
        // Bind a port, then close it, so nothing listens there.
        int port;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        PushClient.Options options = new PushClient.Options().host("127.0.0.1").port(port).connections(2)
                .durationMillis(2000).report(dir.resolve("client.tsv"));
        assertEquals(1, threads.submit(new PushClient(options)::run).get(20, TimeUnit.SECONDS));
        PushClientReport sent = PushClientReport.read(dir.resolve("client.tsv"));
        assertEquals(2, sent.failed().size());
        assertTrue(sent.connections().get(0).error().contains("refused"), sent.connections().get(0).error());
    }

    @Test
    void optionsSurviveTheCommandLine() {
        PushClient.Options options = new PushClient.Options().host("10.77.0.2").port(6000).connections(42)
                .intervalMillis(250).durationMillis(3000).recordSize(80).readResponses(true).report(Path.of("/tmp/x.tsv"))
                .bind("10.77.0.1").firstId(100).noDelay(true);
        assertEquals(options.toArgs(), PushClient.Options.parse(options.toArgs().toArray(String[]::new)).toArgs());
        SinkServer.Options sink = new SinkServer.Options().bind("10.77.0.2").port(6000).backlog(128).respond(true)
                .report(Path.of("/tmp/s.tsv"));
        assertEquals(sink.toArgs(), SinkServer.Options.parse(sink.toArgs().toArray(String[]::new)).toArgs());
        PushClient.Options aliases = PushClient.Options.parse("--host", "h", "--count", "5", "--duration-s", "2");
        assertTrue(aliases.toArgs().containsAll(List.of("--connections", "5")));
        assertTrue(aliases.toArgs().containsAll(List.of("--duration-ms", "2000")));
    }
}
