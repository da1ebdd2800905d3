package org.migware.lab.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.migware.lab.Await;
import org.migware.lab.Commands;
import org.migware.lab.ExecResult;
import org.migware.lab.oracles.Tcpdump;
import org.migware.lab.workloads.PushClient;
import org.migware.lab.workloads.SinkReport;
import org.migware.lab.workloads.SinkServer;

/**
 * The wire-impairment box's duplication ({@link Impairment#duplicate}) on a real lab: the copies
 * are seen by tshark on the receiving host, as the same IP packet (same identification, same TCP
 * sequence) twice; the receiving kernel answers the duplicated data with D-SACKs; and the
 * application gets every record once. Root required; skipped without it.
 */
@Timeout(60)
class WireDuplicationLabTest {

    private static final int PORT = 5000;
    private static final Duration START = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @BeforeEach
    void needsRoot() {
        assumeTrue(LabNetwork.prerequisitesMissing().isEmpty(), () -> LabNetwork.prerequisitesMissing().orElse(""));
    }

    @Test
    void duplicatedFramesReachTheRoleTwiceAndTcpDeliversEachRecordOnce() {
        String prefix = LabTestSupport.uniquePrefix();
        try (LabNetwork lab = LabNetwork.builder().prefix(prefix).workDir(dir).create()) {
            LabProcess sink = lab.startJava(Role.PRIMARY, "sink", SinkServer.class,
                    new SinkServer.Options().port(PORT).report(dir.resolve("sink.tsv")).reportIntervalMillis(100).toArgs());
            sink.awaitOutput(SinkServer.LISTENING, START);
            // towards the primary only: the frames it receives, data and ACKs alike
            ImpairedLink link = lab.impair(Role.PRIMARY, LinkEnd.HUB, Impairment.duplicate(10));
            long dsackBefore = LabTestSupport.tcpExt(lab, Role.PRIMARY, "TCPDSACKOldSent");
            Tcpdump capture = Tcpdump.on(lab, Role.PRIMARY).filter("tcp port " + PORT).pcap(dir.resolve("primary.pcap"))
                    .name("tcpdump-primary").start();
            LabProcess client = lab.startJava(Role.CLIENT, "client", PushClient.class, new PushClient.Options()
                    .host(lab.address(Role.PRIMARY)).port(PORT).connections(4).intervalMillis(5).durationMillis(2000)
                    .noDelay(true).report(dir.resolve("client.tsv")).toArgs());
            assertTrue(client.waitFor(Duration.ofSeconds(30)), client.stderr());
            assertEquals(0, client.exitCode().getAsInt(), client.stderr());
            Await.sleep(300);
            capture.stop();
            long dsack = LabTestSupport.tcpExt(lab, Role.PRIMARY, "TCPDSACKOldSent") - dsackBefore;
            ImpairedLink.Counters counters = link.counters();
            Copies copies = copies(capture.pcap());
            System.out.printf("10 %% duplicated towards the primary: tshark at the primary %d frames from the client, %d of them"
                    + " copies (%d with data); the primary's TcpExtTCPDSACKOldSent +%d; box %s%n", copies.frames, copies.copies,
                    copies.dataCopies, dsack, counters);

            WireCounters towards = counters.towardsRole();
            assertEquals(towards.received() + towards.duplicated(), towards.forwarded() + towards.sendErrors(), counters.toString());
            assertTrue(towards.duplicated() > 0.05 * towards.received() && towards.duplicated() < 0.15 * towards.received(),
                    "about 10 % sent twice: " + counters);
            assertEquals(0, counters.fromRole().duplicated(), "nothing from the primary is duplicated: " + counters);
            assertTrue(copies.copies >= 50, "the primary's interface got the same packet twice: " + copies.copies);
            assertTrue(copies.copies <= towards.duplicated(), "no more copies than the box made: " + copies.copies);
            assertTrue(copies.dataCopies >= 20, "duplicated data segments among them: " + copies.dataCopies);
            assertTrue(dsack > 0, "the primary's kernel answered duplicated data with a D-SACK: " + dsack);

            sink.destroy();
            SinkReport received = SinkReport.read(dir.resolve("sink.tsv"));
            assertEquals(4, received.connections().size());
            for (SinkReport.Connection c : received.connections()) {
                assertTrue(c.clean(), "each record once, in order, none torn or corrupt: " + c);
                assertTrue(c.records() > 100, c.toString());
            }
        }
        assertEquals(List.of(), LabTestSupport.netnsWithPrefix(prefix));
    }

    /** The client's frames in a capture, and how many were a packet seen before (same IP id, source port and sequence). */
    private record Copies(long frames, long copies, long dataCopies) {
    }

    private static Copies copies(Path pcap) {
        ExecResult fields = Commands.run(Duration.ofSeconds(30), Commands.tool("tshark", "tshark"), "-n", "-r", pcap.toString(),
                "-Y", "tcp.dstport == " + PORT, "-T", "fields", "-e", "ip.id", "-e", "tcp.srcport", "-e", "tcp.seq_raw",
                "-e", "tcp.ack_raw", "-e", "tcp.len").requireSuccess();
        Map<String, Integer> seen = new HashMap<>();
        long frames = 0;
        long copies = 0;
        long dataCopies = 0;
        for (String line : fields.stdout().split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            frames++;
            if (seen.merge(line, 1, Integer::sum) > 1) {
                copies++;
                if (!line.endsWith("\t0")) {
                    dataCopies++;
                }
            }
        }
        return new Copies(frames, copies, dataCopies);
    }
}
