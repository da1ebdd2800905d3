package org.migware.lab.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.migware.lab.Await;
import org.migware.lab.Commands;
import org.migware.lab.ExecResult;
import org.migware.lab.oracles.Tcpdump;
import org.migware.lab.workloads.PushClient;
import org.migware.lab.workloads.PushClientReport;
import org.migware.lab.workloads.SinkReport;
import org.migware.lab.workloads.SinkServer;

/**
 * The wire-impairment box ({@link LabNetwork#impair}) on a real lab, each effect checked by an
 * oracle that is not the box: the client kernel's own round-trip estimate ({@code ss -ti}), the
 * receiving kernel's out-of-order counter ({@code TcpExtTCPOFOQueue} of /proc/net/netstat) and
 * tshark's out-of-order analysis, and the kernel's capture timestamps on both sides of the
 * mirror. Root required; skipped without it.
 */
@Timeout(60)
class WireImpairmentLabTest {

    private static final int PORT = 5000;
    private static final Duration START = Duration.ofSeconds(20);
    private static final Pattern RTT = Pattern.compile("\\brtt:([0-9.]+)/");

    @TempDir
    Path dir;

    @BeforeEach
    void needsRoot() {
        assumeTrue(LabNetwork.prerequisitesMissing().isEmpty(), () -> LabNetwork.prerequisitesMissing().orElse(""));
    }

    @Test
    void delayOnTheClientLinkAddsTwiceTheDelayToTheRoundTripAndGoesAwayWhenCleared() {
        String prefix = LabTestSupport.uniquePrefix();
        try (LabNetwork lab = LabNetwork.builder().prefix(prefix).workDir(dir).create()) {
            LabProcess sink = lab.startJava(Role.PRIMARY, "sink", SinkServer.class,
                    new SinkServer.Options().port(PORT).respond(true).report(dir.resolve("sink.tsv")).toArgs());
            sink.awaitOutput(SinkServer.LISTENING, START);
            // two connections that live through the box going in and out, a request and its answer every 20 ms
            LabProcess client = lab.startJava(Role.CLIENT, "client", PushClient.class, new PushClient.Options()
                    .host(lab.address(Role.PRIMARY)).port(PORT).connections(2).intervalMillis(20).durationMillis(30_000)
                    .readResponses(true).noDelay(true).report(dir.resolve("client.tsv")).toArgs());
            Await.until("two connections with a round trip", START, () -> kernelRtts(lab).size() == 2);
            List<Double> handshakesBefore = handshakeRtts(lab, "before", 100);
            double srttBefore = max(kernelRtts(lab));

            ImpairedLink link = lab.impair(Role.CLIENT, LinkEnd.BOTH, Impairment.delay(Duration.ofMillis(30)));
            assertEquals(ImpairedLink.portName(Role.CLIENT), lab.bridgePort(Role.CLIENT));
            assertTrue(bridgePorts(lab).contains(" client-port@"), bridgePorts(lab));
            assertFalse(bridgePorts(lab).contains(" client@"), bridgePorts(lab));
            List<Double> handshakesDelayed = handshakeRtts(lab, "delayed", 200);
            // srtt moves 1/8 towards each sample: a sample every 20 ms leaves nothing of the old value
            Await.until("the kernel's srtt following the delay", Duration.ofSeconds(5), () -> kernelRtts(lab).stream()
                    .allMatch(rtt -> rtt >= 55));
            List<Double> srttDelayed = kernelRtts(lab);
            ImpairedLink.Counters counters = link.counters();

            lab.clearImpairment(Role.CLIENT);
            assertEquals(lab.hubInterface(Role.CLIENT), lab.bridgePort(Role.CLIENT));
            assertTrue(bridgePorts(lab).contains(" client@"), bridgePorts(lab));
            assertFalse(link.process().isAlive(), "the box ends with its impairment");
            List<Double> handshakesAfter = handshakeRtts(lab, "after", 300);
            Await.until("the kernel's srtt back to the lab's own", Duration.ofSeconds(5), () -> kernelRtts(lab).stream()
                    .allMatch(rtt -> rtt < 10));
            List<Double> srttAfter = kernelRtts(lab);
            System.out.printf("client->primary round trips (ms), before / 30 ms each way / cleared: handshakes (tshark)"
                    + " %s / %s / %s; kernel srtt %.3f / %s / %s; box %s%n", rounded(handshakesBefore),
                    rounded(handshakesDelayed), rounded(handshakesAfter), srttBefore, srttDelayed, srttAfter, counters);

            for (double rtt : handshakesBefore) {
                assertTrue(rtt < 10, "the lab's own round trip is well under a millisecond or so: " + handshakesBefore);
            }
            for (double rtt : handshakesDelayed) {
                assertTrue(rtt >= 59 && rtt < 100, "30 ms each way: SYN to SYN-ACK takes 60 ms: " + handshakesDelayed);
            }
            for (double rtt : handshakesAfter) {
                assertTrue(rtt < 10, "the delay is gone with the box: " + handshakesAfter);
            }
            assertEquals(2, srttDelayed.size(), "the connections live on through the box: " + srttDelayed);
            for (double rtt : srttDelayed) {
                // above 60: the sink answers with Nagle on, so some answers wait for the previous one's ACK
                assertTrue(rtt >= 55 && rtt < 150, "the kernel's RTT of the running connections: " + srttDelayed);
            }
            assertEquals(2, srttAfter.size(), "and through its removal: " + srttAfter);
            assertTrue(counters.towardsRole().delayed() > 50 && counters.fromRole().delayed() > 50, counters.toString());
            assertEquals(0, counters.towardsRole().reordered() + counters.fromRole().reordered(), counters.toString());

            client.destroy();
            PushClientReport sent = PushClientReport.read(dir.resolve("client.tsv"));
            assertEquals(List.of(), sent.failed());
        }
        assertEquals(List.of(), LabTestSupport.netnsWithPrefix(prefix));
    }

    /**
     * Opens four new connections from the client, capturing their handshakes on the client's eth0.
     *
     * @return tshark's SYN to SYN-ACK time of each, in ms: the wire's round trip with no application in it
     */
    private List<Double> handshakeRtts(LabNetwork lab, String name, int firstId) {
        Tcpdump capture = Tcpdump.on(lab, Role.CLIENT).filter("tcp port " + PORT + " and tcp[tcpflags] & tcp-syn != 0")
                .pcap(dir.resolve("syn-" + name + ".pcap")).name("tcpdump-syn-" + name).start();
        LabProcess connects = lab.startJava(Role.CLIENT, "connect-" + name, PushClient.class, new PushClient.Options()
                .host(lab.address(Role.PRIMARY)).port(PORT).connections(4).firstId(firstId).intervalMillis(100)
                .durationMillis(300).report(dir.resolve("connect-" + name + ".tsv")).toArgs());
        assertTrue(connects.waitFor(Duration.ofSeconds(20)), connects.stderr());
        capture.stop();
        ExecResult rtts = Commands.run(Duration.ofSeconds(30), Commands.tool("tshark", "tshark"), "-n", "-r",
                capture.pcap().toString(), "-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 1", "-T", "fields",
                "-e", "tcp.analysis.ack_rtt").requireSuccess();
        List<Double> millis = rtts.stdout().lines().filter(l -> !l.isBlank()).map(l -> Double.parseDouble(l) * 1000).toList();
        assertEquals(4, millis.size(), name + ": " + rtts.stdout());
        return millis;
    }

    @Test
    void reorderingShowsInTheReceivingKernelAndInTsharkAndADelayAloneReordersNothing() {
        String prefix = LabTestSupport.uniquePrefix();
        try (LabNetwork lab = LabNetwork.builder().prefix(prefix).workDir(dir).create()) {
            LabProcess sink = lab.startJava(Role.PRIMARY, "sink", SinkServer.class,
                    new SinkServer.Options().port(PORT).report(dir.resolve("sink.tsv")).reportIntervalMillis(100).toArgs());
            sink.awaitOutput(SinkServer.LISTENING, START);

            lab.impair(Role.CLIENT, LinkEnd.BOTH, Impairment.delay(Duration.ofMillis(10)));
            long ofoStart = LabTestSupport.tcpExt(lab, Role.PRIMARY, "TCPOFOQueue");
            int oooInOrder = burst(lab, "inorder", 0);
            long ofoDelayOnly = LabTestSupport.tcpExt(lab, Role.PRIMARY, "TCPOFOQueue") - ofoStart;

            ImpairedLink link = lab.impair(Role.CLIENT, LinkEnd.BOTH,
                    Impairment.delay(Duration.ofMillis(10)).withReorder(50));
            long ofoBefore = LabTestSupport.tcpExt(lab, Role.PRIMARY, "TCPOFOQueue");
            int oooReordered = burst(lab, "reordered", 4);
            long ofoReordered = LabTestSupport.tcpExt(lab, Role.PRIMARY, "TCPOFOQueue") - ofoBefore;
            ImpairedLink.Counters counters = link.counters();
            System.out.printf("primary's TcpExtTCPOFOQueue: %d with a delay alone, %d with 50 %% reordered; tshark's"
                    + " out-of-order segments: %d and %d; box %s%n", ofoDelayOnly, ofoReordered, oooInOrder, oooReordered,
                    counters);

            assertEquals(0, ofoDelayOnly, "a fixed delay keeps the order");
            assertEquals(0, oooInOrder, "a fixed delay keeps the order (tshark)");
            assertTrue(ofoReordered >= 20, "the receiver queued segments out of order: " + ofoReordered);
            assertTrue(oooReordered >= 20, "tshark saw segments out of order: " + oooReordered);
            assertTrue(counters.fromRole().reordered() > 0, counters.toString());

            sink.destroy();
            SinkReport received = SinkReport.read(dir.resolve("sink.tsv"));
            assertEquals(8, received.connections().size());
            for (SinkReport.Connection c : received.connections()) {
                assertTrue(c.clean(), "TCP put every record back in order, none torn or corrupt: " + c);
                assertTrue(c.records() > 100, c.toString());
            }
        }
        assertEquals(List.of(), LabTestSupport.netnsWithPrefix(prefix));
    }

    /**
     * Four connections of one 64-byte record every 2 ms for 1.5 s, no Nagle: many small segments
     * within every 10 ms, captured on the primary's eth0.
     *
     * @return tshark's count of out-of-order segments in the capture
     */
    private int burst(LabNetwork lab, String name, int firstId) {
        Tcpdump capture = Tcpdump.on(lab, Role.PRIMARY).filter("tcp port " + PORT).pcap(dir.resolve(name + ".pcap"))
                .name("tcpdump-" + name).start();
        LabProcess client = lab.startJava(Role.CLIENT, "client-" + name, PushClient.class, new PushClient.Options()
                .host(lab.address(Role.PRIMARY)).port(PORT).connections(4).firstId(firstId).intervalMillis(2)
                .durationMillis(1500).noDelay(true).report(dir.resolve(name + ".tsv")).toArgs());
        assertTrue(client.waitFor(Duration.ofSeconds(20)), client.stderr());
        assertEquals(0, client.exitCode().getAsInt(), client.stderr());
        sleep(300); // the last segments through the delay
        capture.stop();
        ExecResult ooo = Commands.run(Duration.ofSeconds(30), Commands.tool("tshark", "tshark"), "-n", "-r",
                capture.pcap().toString(), "-Y", "tcp.analysis.out_of_order", "-T", "fields", "-e", "frame.number");
        ooo.requireSuccess();
        return (int) ooo.stdout().lines().filter(l -> !l.isBlank()).count();
    }

    @Test
    void aMirrorDelayHoldsBackOnlyTheFramesTowardsTheBackup() {
        String prefix = LabTestSupport.uniquePrefix();
        // IPv6 on in the roles and the hub: the box's new ends must still have none (no chatter of their own)
        try (LabNetwork lab = LabNetwork.builder().prefix(prefix).workDir(dir).ipv6(true).create()) {
            ImpairedLink link = lab.impair(Role.BACKUP, LinkEnd.HUB, Impairment.delay(Duration.ofMillis(30)));
            for (String dev : List.of(lab.bridgePort(Role.BACKUP), ImpairedLink.boxName(Role.BACKUP))) {
                String addresses = lab.hubIp("addr", "show", "dev", dev).requireSuccess().stdout();
                assertFalse(addresses.contains("inet6"), addresses);
            }
            LabProcess sink = lab.startJava(Role.PRIMARY, "sink", SinkServer.class,
                    new SinkServer.Options().port(PORT).report(dir.resolve("sink.tsv")).toArgs());
            sink.awaitOutput(SinkServer.LISTENING, START);
            Tcpdump atPrimary = Tcpdump.on(lab, Role.PRIMARY).filter("tcp port " + PORT).pcap(dir.resolve("primary.pcap"))
                    .name("tcpdump-primary").start();
            Tcpdump atBackup = Tcpdump.on(lab, Role.BACKUP).filter("tcp port " + PORT).pcap(dir.resolve("backup.pcap"))
                    .name("tcpdump-backup").start();
            PushClient.Options push = new PushClient.Options().host(lab.address(Role.PRIMARY)).port(PORT).intervalMillis(20)
                    .durationMillis(1500).noDelay(true);
            // the client's conversation with the primary, which the backup mirrors; and the backup's own
            LabProcess client = lab.startJava(Role.CLIENT, "client", PushClient.class, push.connections(2)
                    .report(dir.resolve("client.tsv")).toArgs());
            LabProcess fromBackup = lab.startJava(Role.BACKUP, "backup-client", PushClient.class, push.connections(1)
                    .firstId(10).report(dir.resolve("backup-client.tsv")).toArgs());
            assertTrue(client.waitFor(Duration.ofSeconds(20)), client.stderr());
            assertTrue(fromBackup.waitFor(Duration.ofSeconds(20)), fromBackup.stderr());
            sleep(300);
            atPrimary.stop();
            atBackup.stop();
            ImpairedLink.Counters counters = link.counters();

            Map<String, Double> primary = dataFrames(atPrimary.pcap());
            Map<String, Double> backup = dataFrames(atBackup.pcap());
            List<Double> towardsBackup = new ArrayList<>();
            List<Double> fromTheBackup = new ArrayList<>();
            for (Map.Entry<String, Double> frame : primary.entrySet()) {
                Double seenByBackup = backup.get(frame.getKey());
                if (seenByBackup == null) {
                    continue;
                }
                double millis = (seenByBackup - frame.getValue()) * 1000;
                if (frame.getKey().startsWith(lab.address(Role.CLIENT) + ":")) {
                    towardsBackup.add(millis); // the client's segment: the primary first, the backup 30 ms later
                } else if (frame.getKey().startsWith(lab.address(Role.BACKUP) + ":")) {
                    fromTheBackup.add(-millis); // the backup's own segment: sent, then at the primary
                }
            }
            towardsBackup.sort(null);
            fromTheBackup.sort(null);
            System.out.printf("mirror, 30 ms towards the backup: client's segments at the backup after the primary by"
                    + " %.2f..%.2f ms (%d), the backup's at the primary after the backup by %.3f..%.3f ms (%d); box %s%n",
                    towardsBackup.get(0), towardsBackup.get(towardsBackup.size() - 1), towardsBackup.size(),
                    fromTheBackup.get(0), fromTheBackup.get(fromTheBackup.size() - 1), fromTheBackup.size(), counters);

            assertTrue(towardsBackup.size() > 100, "the backup sees the client's segments: " + towardsBackup.size());
            assertTrue(towardsBackup.get(0) >= 29, "none earlier than the delay: " + towardsBackup.get(0));
            assertTrue(towardsBackup.get(towardsBackup.size() / 2) < 40, "most within a few ms of it: " + towardsBackup);
            assertTrue(fromTheBackup.size() > 50, "the backup's own segments: " + fromTheBackup.size());
            // Every one sooner than the delay would allow (a busy CI host may stall the box for a few ms).
            assertTrue(fromTheBackup.get(fromTheBackup.size() / 2) < 2 && fromTheBackup.get(fromTheBackup.size() - 1) < 29,
                    "the backup's own frames pass undelayed: " + fromTheBackup);
            assertTrue(counters.towardsRole().delayed() > 100 && counters.fromRole().delayed() == 0, counters.toString());
        }
        assertEquals(List.of(), LabTestSupport.netnsWithPrefix(prefix));
    }

    /** @return the capture time (epoch s) of each TCP segment with data, by "src ip:port seq", first copy */
    private static Map<String, Double> dataFrames(Path pcap) {
        ExecResult fields = Commands.run(Duration.ofSeconds(30), Commands.tool("tshark", "tshark"), "-n", "-r", pcap.toString(),
                "-Y", "tcp.len > 0", "-T", "fields", "-e", "frame.time_epoch", "-e", "ip.src", "-e", "tcp.srcport",
                "-e", "tcp.seq_raw").requireSuccess();
        Map<String, Double> frames = new HashMap<>();
        for (String line : fields.stdout().split("\n")) {
            String[] f = line.split("\t");
            if (f.length == 4) {
                frames.putIfAbsent(f[1] + ":" + f[2] + " " + f[3], Double.parseDouble(f[0]));
            }
        }
        return frames;
    }

    /** @return the smoothed RTT (ms) the client's kernel keeps for each connection to the primary's port */
    private static List<Double> kernelRtts(LabNetwork lab) {
        String out = lab.exec(Role.CLIENT, "ss", "-Htin", "state", "established", "( dport = :" + PORT + " )")
                .requireSuccess().stdout();
        List<Double> rtts = new ArrayList<>();
        Matcher m = RTT.matcher(out);
        while (m.find()) {
            rtts.add(Double.parseDouble(m.group(1)));
        }
        return rtts;
    }

    private static String bridgePorts(LabNetwork lab) {
        return lab.hubIp("-o", "link", "show", "master", LabNetwork.BRIDGE).requireSuccess().stdout();
    }

    private static List<String> rounded(List<Double> millis) {
        return millis.stream().map(v -> String.format(Locale.ROOT, "%.3f", v)).toList();
    }

    private static double max(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
