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
import org.migware.lab.oracles.RttLog;

/**
 * The migration scenarios' workloads over loopback, without the lab (no root): the
 * request/response client's checks, round trips and closes on purpose; the bulk sender and
 * receiver.
 */
@Timeout(60)
class MigrationWorkloadsLoopbackTest extends LoopbackWorkloadTest {

    @Test
    void bulkAnswersArriveWholeAndByteExact() throws Exception {
        SinkServer sink = startSink(true, 200_000);
        PushClient.Options options = new PushClient.Options().host("127.0.0.1").port(sink.localAddress().getPort())
                .connections(3).intervalMillis(100).durationMillis(1500).readResponses(true).responseBytes(200_000)
                .report(dir.resolve("client.tsv"));
        assertEquals(0, threads.submit(new PushClient(options)::run).get(30, TimeUnit.SECONDS), "no connection failed");
        PushClientReport sent = PushClientReport.read(dir.resolve("client.tsv"));
        assertEquals(3, sent.connections().size());
        for (PushClientReport.Connection c : sent.connections()) {
            assertEquals(0, c.wrongResponses(), c.toString());
            assertEquals(c.recordsSent(), c.responses(), "every 200 kB answer whole and exact: " + c);
            assertTrue(c.recordsSent() >= 10, c.toString());
        }
        sink.stop();
        assertTrue(sink.awaitFinished(Duration.ofSeconds(5)));
    }

    @Test
    void requestResponseClientChecksAndTimesEveryAnswerAndClosesOnPurpose() throws Exception {
        SinkServer sink = startSink(true);
        PushClient.Options options = new PushClient.Options().host("127.0.0.1").port(sink.localAddress().getPort())
                .connections(6).intervalMillis(50).durationMillis(2000).readResponses(true)
                .report(dir.resolve("client.tsv")).rttLog(dir.resolve("rtt.tsv"))
                .closeWithFin(2, 1000).closeWithReset(4, 1000);
        assertEquals(0, threads.submit(new PushClient(options)::run).get(30, TimeUnit.SECONDS), "no connection failed");

        PushClientReport sent = PushClientReport.read(dir.resolve("client.tsv"));
        long answers = 0;
        for (PushClientReport.Connection c : sent.connections()) {
            assertEquals(0, c.wrongResponses(), c.toString());
            assertEquals(0, c.responseGaps(), c.toString());
            assertEquals(c.recordsSent(), c.lastResponseSeq(), "every record answered before the close: " + c);
            assertEquals(c.recordsSent(), c.responses(), c.toString());
            assertEquals(1, c.firstResponseSeq(), c.toString());
            answers += c.responses();
            if (c.id() == 2 || c.id() == 4) {
                assertEquals("CLOSED", c.state(), c.toString());
                assertEquals(c.id() == 2 ? "fin" : "rst", c.closeKind());
                assertTrue(c.closedAtMillis() > 0);
                // 1 s of a 2 s run at 50 ms: about half the records of the others.
                assertTrue(c.recordsSent() >= 10 && c.recordsSent() <= 30, c.toString());
            } else {
                assertEquals("DONE", c.state(), c.toString());
                assertTrue(c.recordsSent() >= 30, c.toString());
            }
        }
        RttLog rtts = RttLog.read(dir.resolve("rtt.tsv"));
        assertEquals(answers, rtts.size(), "one round trip per correct answer");
        RttLog.Summary all = rtts.summary(t -> true);
        assertTrue(all.medianMicros() > 0 && all.medianMicros() <= all.p99Micros() && all.p99Micros() <= all.maxMicros(),
                all.describe());

        Path sinkReport = dir.resolve("sink.tsv");
        Await.until("every connection ended at the sink", Duration.ofSeconds(10), () -> SinkReport.readIfPresent(sinkReport)
                .map(r -> r.connections().size() == 6 && r.connections().stream().noneMatch(c -> c.state().equals("OPEN")))
                .orElse(false));
        SinkReport received = SinkReport.read(sinkReport);
        assertEquals("EOF", received.byConnId(2).orElseThrow().state());
        assertEquals("RESET", received.byConnId(4).orElseThrow().state(), "SO_LINGER 0 makes the close a reset");
        long finEnded = received.byConnId(2).orElseThrow().endedAtMillis();
        long otherEnded = received.byConnId(0).orElseThrow().endedAtMillis();
        assertTrue(finEnded > 0 && otherEnded - finEnded >= 500, "the FIN came about a second before the others ended");
        sink.stop();
        assertTrue(sink.awaitFinished(Duration.ofSeconds(5)));
    }

    @Test
    void optionsSurviveTheCommandLine() {
        PushClient.Options options = new PushClient.Options().host("10.77.0.2").port(6000).connections(10).readResponses(true)
                .rttLog(Path.of("/tmp/rtt.tsv")).closeWithFin(3, 2500).closeWithFin(4, 2600).closeWithReset(7, 2500);
        List<String> args = options.toArgs();
        assertEquals(args, PushClient.Options.parse(args.toArray(String[]::new)).toArgs());
        assertTrue(args.containsAll(List.of("--close-fin", "3@2500,4@2600", "--close-rst", "7@2500")), args.toString());
        BulkSender.Options sender = new BulkSender.Options().host("h").port(7).durationMillis(5).rateMbps(9).report(Path.of("/tmp/b"));
        assertEquals(sender.toArgs(), BulkSender.Options.parse(sender.toArgs().toArray(String[]::new)).toArgs());
        BulkReceiver.Options receiver = new BulkReceiver.Options().bind("a").port(8).report(Path.of("/tmp/r"));
        assertEquals(receiver.toArgs(), BulkReceiver.Options.parse(receiver.toArgs().toArray(String[]::new)).toArgs());
    }

    @Test
    void bulkReceiverGetsExactlyTheStreamTheSenderWrote() throws Exception {
        BulkReceiver receiver = BulkReceiver.open(new BulkReceiver.Options().bind("127.0.0.1").port(0)
                .report(dir.resolve("receiver.tsv")).reportIntervalMillis(100));
        threads.submit(() -> {
            receiver.run();
            return null;
        });
        // A capped rate keeps the test light; the stream and its checks are the same at any rate.
        BulkSender sender = new BulkSender(new BulkSender.Options().host("127.0.0.1").port(receiver.localAddress().getPort())
                .durationMillis(1500).rateMbps(200).report(dir.resolve("sender.tsv")));
        Future<Integer> exit = threads.submit(sender::run);
        assertEquals(0, exit.get(20, TimeUnit.SECONDS));
        BulkSenderReport sent = BulkSenderReport.read(dir.resolve("sender.tsv"));
        assertTrue(sent.isFinal());
        assertEquals("DONE", sent.state());
        assertTrue(sent.bytesWritten() > 10_000_000, "about 37 MB at 200 Mbit/s for 1.5 s: " + sent.bytesWritten());
        double rate = sent.bytesPerSecond(sent.startedAtMillis() + 300, sent.startedAtMillis() + 1400);
        assertTrue(rate > 15e6 && rate < 35e6, "the cap, 25 MB/s, holds: " + rate);

        Path report = dir.resolve("receiver.tsv");
        Await.until("the receiver to see EOF", Duration.ofSeconds(10), () -> BulkReceiverReport.readIfPresent(report)
                .map(r -> r.connections().size() == 1 && r.connections().get(0).state().equals("EOF")).orElse(false));
        BulkReceiverReport.Connection got = BulkReceiverReport.read(report).connections().get(0);
        assertEquals(0, got.firstOffset());
        assertEquals(sent.bytesWritten(), got.bytes());
        assertEquals(-1, got.mismatchAt());
        assertEquals(BulkStream.sha256(0, sent.bytesWritten()), got.sha256());
        receiver.stop();
        assertTrue(receiver.awaitFinished(Duration.ofSeconds(5)));
    }
}
