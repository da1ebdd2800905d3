package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.migware.lab.Await;
import org.migware.lab.Commands;
import org.migware.lab.ExecResult;
import org.migware.lab.experiments.JvmMemoryProbe;
import org.migware.lab.experiments.MigwareInstance;
import org.migware.lab.experiments.MigwareStatus;
import org.migware.lab.experiments.ReplayExperiment;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.Role;
import org.migware.lab.workloads.PushClient;
import org.migware.lab.workloads.PushClientReport;
import org.migware.lab.workloads.SinkReport;
import org.migware.lab.workloads.SinkServer;

/**
 * Issue 10's fault campaign, the points whose fault sits at the service or the replica rather
 * than on the mirror, on the lab with the applications as the oracle: push clients whose numbered
 * records carry their connection's id ({@link PushClient}), and sink servers on the primary and
 * the replica that check every record they receive (gaps, duplicates, torn records, records of
 * another connection) and say per connection what arrived ({@link SinkServer}). MigWare resumes
 * each connection from the primary's last acknowledgement with newline framing, so the replica's
 * first record is whole: what counts is that every record from the primary's last one on reaches
 * the replica's socket of its own connection, once, in order.
 */
@Timeout(value = 4, unit = java.util.concurrent.TimeUnit.MINUTES)
class FaultCampaignLabTest {

    private static final int PORT = 7000;
    private static final String TRACKED = "org.migware.tracker.internal.TrackedConnection";
    private static final String SIDE = "org.migware.tracker.internal.SideState";
    private static final String KEPT = "org.migware.proxy.internal.keeper.KeptStream";

    /**
     * Point 6: the primary serves on two addresses; one client uses the same local port towards
     * both at once (SO_REUSEADDR, ports 41000..41009 to each), so the two connections differ only
     * in the service's address. After the failover each must be its own connection at the
     * replica (one address, reached from a shadow address per connection): each replica socket
     * gets only its own records. A proxy keying by (client address, client port, service port)
     * would hand both streams' bytes to both sockets: the sink would count records of another
     * connection id ("foreign"), torn ones and gaps.
     */
    @Test
    void oneClientPortTowardsTwoServiceAddressesStaysTwoStreams() {
        String prefix = "mwtwo";
        int pairs = 10;
        int localPort = 41_000;
        try (ReplayExperiment lab = ReplayExperiment.create(prefix, PORT)) {
            LabNetwork net = lab.lab();
            String first = lab.address(Role.PRIMARY);
            String second = first.replaceAll("\\.\\d+$", ".20");
            net.exec(Role.PRIMARY, "ip", "address", "add", second + "/" + net.prefixLength(), "dev", LabNetwork.ROLE_INTERFACE)
                    .requireSuccess();
            shortNeighbourTimers(net);
            Path work = net.workDir();
            startSink(net, Role.PRIMARY, "primary-a", first, work.resolve("primary-a.tsv"));
            startSink(net, Role.PRIMARY, "primary-b", second, work.resolve("primary-b.tsv"));
            startSink(net, Role.BACKUP, "replica", lab.address(Role.BACKUP), work.resolve("replica.tsv"));
            lab.startMigware(BuiltDistribution.home(), "resume", Map.of("framing", "newline"),
                    Map.of("org.migware.service", Map.of("addresses", first + "," + second, "ports", Integer.toString(PORT))));
            long runMillis = 20_000;
            Path reportA = work.resolve("client-a.tsv");
            Path reportB = work.resolve("client-b.tsv");
            LabProcess clientA = startClient(net, "client-a", first, pairs, 0, localPort, runMillis, reportA);
            LabProcess clientB = startClient(net, "client-b", second, pairs, 100, localPort, runMillis, reportB);
            awaitAllSending(reportA, pairs);
            awaitAllSending(reportB, pairs);
            // The client's kernel: every local port is used twice, once towards each address.
            String sockets = net.exec(Role.CLIENT, "ss", "-Htn", "state", "established", "( dport = :" + PORT + " )")
                    .requireSuccess().stdout();
            Map<Integer, Set<String>> peersByPort = new TreeMap<>();
            Matcher m = Pattern.compile("\\S+:(\\d+)\\s+(\\S+):" + PORT + "\\b").matcher(sockets);
            while (m.find()) {
                peersByPort.computeIfAbsent(Integer.parseInt(m.group(1)), k -> new HashSet<>()).add(m.group(2));
            }
            System.out.println("[lab " + prefix + "] the client's sockets by local port: " + peersByPort);
            for (int p = localPort; p < localPort + pairs; p++) {
                assertEquals(Set.of(first, second), peersByPort.get(p), "local port " + p + " towards both addresses:\n" + sockets);
            }
            Await.sleep(3000);
            Instant pulled = lab.pull();
            Instant proxy = lab.awaitProxy(Duration.ofSeconds(30));
            System.out.println("[lab " + prefix + "] pulled at " + pulled + ", PROXY since " + proxy);
            awaitClients(clientA, clientB, runMillis);
            awaitEnded(work.resolve("replica.tsv"), 2 * pairs);
            String status = lab.statusJson();
            PushClientReport sentA = PushClientReport.read(reportA);
            PushClientReport sentB = PushClientReport.read(reportB);
            SinkReport primaryA = SinkReport.read(work.resolve("primary-a.tsv"));
            SinkReport primaryB = SinkReport.read(work.resolve("primary-b.tsv"));
            SinkReport replica = SinkReport.read(work.resolve("replica.tsv"));
            long records = checkCarried(prefix, sentA, primaryA, replica, status)
                    + checkCarried(prefix, sentB, primaryB, replica, status);
            Set<String> shadows = new HashSet<>();
            replica.connections().forEach(c -> shadows.add(c.remoteIp() + ":" + c.remotePort()));
            assertEquals(2 * pairs, replica.connections().size(), () -> "one replica socket per stream: " + replica.connections());
            assertEquals(2 * pairs, shadows.size(), "each from its own endpoint");
            System.out.println("[lab " + prefix + "] " + 2 * pairs + " connections (" + pairs + " client ports, each towards "
                    + first + " and " + second + "), " + records + " records at the replica, each on its own connection's socket");
        }
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
    }

    /**
     * Point 11: the replica is not there at the failover. Its application starts listening 2 s
     * after MigWare leaves NORMAL (until then its kernel refuses each forged SYN with a reset), and
     * every SYN-ACK it sends towards MigWare's TUN is held 300 ms by a user-space delayer on an
     * nftables queue (NFQUEUE; the lab's kernel has no netem). The proxy's retries back off (the
     * shipped 200 ms doubling, 6 attempts: the last 6.2 s after the first), so every connection
     * is recovered. The oracles: the backup's nftables counters (forged SYNs in, resets out,
     * SYN-ACKs queued), the delayer's own count, and the push clients' records at the replica.
     */
    @Test
    void aReplicaListeningLateWithSlowSynAcksStillGetsEveryConnection() {
        String prefix = "mwlate";
        int connections = 50;
        try (ReplayExperiment lab = ReplayExperiment.create(prefix, PORT)) {
            LabNetwork net = lab.lab();
            shortNeighbourTimers(net);
            Path work = net.workDir();
            startSink(net, Role.PRIMARY, "primary", lab.address(Role.PRIMARY), work.resolve("primary.tsv"));
            lab.startMigware(BuiltDistribution.home(), "resume", Map.of("framing", "newline"));
            LabProcess delayer = startSynAckDelayer(net, 300);
            long runMillis = 24_000;
            Path clientReport = work.resolve("client.tsv");
            LabProcess client = startClient(net, "client", lab.address(Role.PRIMARY), connections, 0, 0, runMillis, clientReport);
            awaitAllSending(clientReport, connections);
            Await.sleep(2000);
            Instant pulled = lab.pull();
            MigwareStatus leftNormal = Await.value("MigWare out of NORMAL", Duration.ofSeconds(30), () -> {
                MigwareStatus s = lab.migware().status();
                return s.normal() ? Optional.empty() : Optional.of(s);
            });
            Instant failover = leftNormal.since();
            long wait = Math.max(0, failover.plusMillis(2000).toEpochMilli() - System.currentTimeMillis());
            Await.sleep(wait);
            LabProcess replicaSink = startSink(net, Role.BACKUP, "replica", lab.address(Role.BACKUP), work.resolve("replica.tsv"));
            long listeningAfter = System.currentTimeMillis() - failover.toEpochMilli();
            System.out.println("[lab " + prefix + "] pulled at " + pulled + ", MigWare left NORMAL at " + failover + " ("
                    + leftNormal.state() + "), the replica listening " + listeningAfter + " ms after that");
            Instant proxy = lab.awaitProxy(Duration.ofSeconds(30));
            System.out.println("[lab " + prefix + "] PROXY since " + proxy);
            awaitClients(client, null, runMillis);
            awaitEnded(work.resolve("replica.tsv"), connections);
            String status = lab.statusJson();
            String counters = net.exec(Role.BACKUP, "nft", "list", "table", "inet", "mwlate").requireSuccess().stdout();
            replicaSink.destroy();
            delayer.destroy();
            long synsIn = counter(counters, "forged_syns");
            long resetsOut = counter(counters, "resets_out");
            long synAcksQueued = counter(counters, "synacks_queued");
            long delayed = delayedCount(delayer);
            System.out.println("[lab " + prefix + "] backup's nftables: " + synsIn + " forged SYNs in, " + resetsOut
                    + " resets out (no listener), " + synAcksQueued + " SYN-ACKs queued; the delayer held " + delayed
                    + " for 300 ms");
            long records = checkCarried(prefix, PushClientReport.read(clientReport), SinkReport.read(work.resolve("primary.tsv")),
                    SinkReport.read(work.resolve("replica.tsv")), status);
            assertTrue(listeningAfter >= 2000, "the replica listened 2 s after the failover at the earliest: " + listeningAfter);
            assertTrue(resetsOut >= connections, () -> "the replica's kernel refused the first forged SYNs: " + counters);
            assertTrue(synsIn > 2L * connections, () -> "the forged SYNs were retried: " + counters);
            assertTrue(synAcksQueued >= connections, () -> "every SYN-ACK went through the queue: " + counters);
            assertTrue(delayed >= connections, () -> "the delayer held every SYN-ACK: " + delayer.stdout());
            System.out.println("[lab " + prefix + "] " + connections + " of " + connections + " connections recovered, " + records
                    + " records at the replica");
        }
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
    }

    /**
     * Point 5: a spoofed SYN flood beside idle real connections. The tracker's table is configured
     * small ({@code maxConnections} 2,000); 22,000 SYNs from distinct forged sources reach the
     * primary and MigWare's capture over 10 s, while 200 real connections are established and
     * send one record every 10 s. A table that let a SYN evict the least recently active entry
     * would lose the real connections ("handshake missed": never recoverable). The oracles: the
     * push clients' records at the replica after the pull (every connection carried), the JVM's
     * own count of the tracker's entries ({@code jcmd GC.class_histogram}, live objects after a
     * full collection) and its heap after a full collection, before and after the flood.
     */
    @Test
    void aSpoofedSynFloodBesideIdleConnectionsCostsNoneOfThem() {
        String prefix = "mwflood";
        int connections = 200;
        int maxConnections = 2000;
        int synsPerSecond = 2200;
        int floodSeconds = 10;
        try (ReplayExperiment lab = ReplayExperiment.create(prefix, PORT)) {
            LabNetwork net = lab.lab();
            shortNeighbourTimers(net);
            Path work = net.workDir();
            startSink(net, Role.PRIMARY, "primary", lab.address(Role.PRIMARY), work.resolve("primary.tsv"));
            startSink(net, Role.BACKUP, "replica", lab.address(Role.BACKUP), work.resolve("replica.tsv"));
            // Both tables that a SYN adds to have the same small bound: the tracker's and the proxy's kept streams.
            MigwareInstance migware = lab.startMigware(BuiltDistribution.home(), "resume",
                    Map.of("framing", "newline", "keepConnections", Integer.toString(maxConnections)),
                    Map.of("org.migware.tracker", Map.of("maxConnections", Integer.toString(maxConnections))));
            long runMillis = 36_000;
            Path clientReport = work.resolve("client.tsv");
            PushClient.Options options = new PushClient.Options().host(lab.address(Role.PRIMARY)).port(PORT)
                    .connections(connections).intervalMillis(10_000).durationMillis(runMillis).connectRate(400)
                    .reportIntervalMillis(500).report(clientReport);
            LabProcess client = net.startJava(Role.CLIENT, "client", PushClient.class, options.toArgs());
            client.awaitOutput(PushClient.STARTED, Duration.ofSeconds(30));
            Await.until("every connection open", Duration.ofSeconds(60), () -> PushClientReport.readIfPresent(clientReport)
                    .map(r -> r.connections().size() == connections && r.connections().stream().allMatch(c -> c.state().equals("OPEN")))
                    .orElse(false));
            long pid = migware.process().pid();
            JvmMemoryProbe.Memory before = JvmMemoryProbe.measure(net, Role.BACKUP, pid);
            String flood = synFlood(net, synsPerSecond, floodSeconds);
            Histogram live = Histogram.of(net, pid);
            long tracked = live.instances(TRACKED);
            long kept = live.instances(KEPT);
            long bytesPerEntry = tracked == 0 ? 0 : (live.bytes(TRACKED) + live.bytes(SIDE)) / tracked;
            JvmMemoryProbe.Memory after = JvmMemoryProbe.measure(net, Role.BACKUP, pid);
            String statusAfterFlood = lab.statusJson();
            long sent = Long.parseLong(flood.replaceAll("(?s).*sent (\\d+) SYNs.*", "$1"));
            long distinct = Long.parseLong(flood.replaceAll("(?s).*from (\\d+) distinct sources.*", "$1"));
            System.out.println("[lab " + prefix + "] " + flood.strip());
            System.out.println("[lab " + prefix + "] MigWare's JVM: heap after a full GC " + before.heapBytes() / 1024 + " KiB before the flood, "
                    + after.heapBytes() / 1024 + " KiB after it; RSS " + before.rssBytes() / 1024 + " -> " + after.rssBytes() / 1024
                    + " KiB; direct " + before.directBytes() / 1024 + " -> " + after.directBytes() / 1024 + " KiB; live tracker entries "
                    + tracked + " (" + bytesPerEntry + " bytes each with their two sides), kept streams " + kept);
            System.out.println("[lab " + prefix + "] MigWare says: tracked " + ReplayExperiment.count(statusAfterFlood, "tracked")
                    + ", evicted " + ReplayExperiment.count(statusAfterFlood, "evictedForCapacity") + ", capture dropped by the kernel "
                    + ReplayExperiment.count(statusAfterFlood, "droppedByKernel"));
            Instant pulled = lab.pull();
            Instant proxy = lab.awaitProxy(Duration.ofSeconds(30));
            System.out.println("[lab " + prefix + "] pulled at " + pulled + ", PROXY since " + proxy);
            awaitClients(client, null, runMillis);
            awaitEnded(work.resolve("replica.tsv"), connections);
            String status = lab.statusJson();
            System.out.println("[lab " + prefix + "] capture dropped by the kernel over the run: " + ReplayExperiment.count(status, "droppedByKernel"));
            long records = checkCarried(prefix, PushClientReport.read(clientReport), SinkReport.read(work.resolve("primary.tsv")),
                    SinkReport.read(work.resolve("replica.tsv")), status);
            assertTrue(sent >= 10L * maxConnections && distinct >= 10L * maxConnections,
                    () -> "the flood: at least 10x maxConnections distinct sources: " + flood);
            assertTrue(tracked <= maxConnections, () -> "the tracker holds at most maxConnections entries: " + tracked);
            assertTrue(kept <= maxConnections, () -> "the proxy keeps at most keepConnections streams: " + kept);
            long unbounded = (distinct - maxConnections) * bytesPerEntry;
            assertTrue(after.heapBytes() - before.heapBytes() < unbounded, () -> "the heap grew by "
                    + (after.heapBytes() - before.heapBytes()) + " bytes in the flood; keeping every spoofed SYN would cost at least "
                    + unbounded);
            System.out.println("[lab " + prefix + "] " + connections + " of " + connections + " connections carried, " + records
                    + " records at the replica");
        }
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
    }

    /**
     * Point 10: fragmented client segments in PROXY. The client's application moves behind a
     * router: a namespace of its own ({@code <prefix>-app}, 10.78.0.1, DF cleared by
     * {@code ip_no_pmtu_disc}) whose default route is the client's namespace, which forwards. Once
     * MigWare is in PROXY, the router's link to the hub gets an MTU of 576, so from then on it
     * fragments every full-sized segment of the client (a local stack sizes its own segments to
     * its MTU and never fragments them; a router on a smaller link does). The oracles: the
     * backup's netdev ingress counter of IPv4 fragments from the client, and the push clients'
     * records at the replica: every one whole, none lost, torn or duplicated.
     */
    @Test
    void fragmentedClientSegmentsInProxyReachTheReplicaWhole() {
        String prefix = "mwfrag";
        String app = prefix + "-app";
        String ip = Commands.tool("ip", "iproute2");
        int connections = 10;
        try (ReplayExperiment lab = ReplayExperiment.create(prefix, PORT)) {
            LabNetwork net = lab.lab();
            try {
                String appAddress = "10.78.0.1";
                String router = lab.address(Role.CLIENT);
                // From the root, as the lab makes its own (inside `ip netns exec`, whose mounts are private,
                // the name would not be a namespace outside it).
                Commands.run(Duration.ofSeconds(20), List.of(ip, "netns", "del", app)); // a crashed run's
                Commands.run(Duration.ofSeconds(20), List.of(ip, "netns", "add", app)).requireSuccess();
                Commands.run(Duration.ofSeconds(20), List.of(ip, "-n", net.namespace(Role.CLIENT), "link", "add",
                        "app0", "type", "veth", "peer", "name", "eth0", "netns", app)).requireSuccess();
                net.exec(Role.CLIENT, "ip", "address", "add", "10.78.0.254/24", "dev", "app0").requireSuccess();
                net.exec(Role.CLIENT, "ip", "link", "set", "app0", "up").requireSuccess();
                net.exec(Role.CLIENT, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1").requireSuccess();
                inApp(net, app, "ip", "address", "add", appAddress + "/24", "dev", "eth0");
                inApp(net, app, "ip", "link", "set", "eth0", "up");
                inApp(net, app, "ip", "link", "set", "lo", "up");
                inApp(net, app, "ip", "route", "add", "default", "via", "10.78.0.254");
                inApp(net, app, "sysctl", "-q", "-w", "net.ipv4.ip_no_pmtu_disc=1");
                for (Role role : new Role[] {Role.PRIMARY, Role.BACKUP}) {
                    net.exec(role, "ip", "route", "add", "10.78.0.0/24", "via", router).requireSuccess();
                }
                shortNeighbourTimers(net);
                Path work = net.workDir();
                startSink(net, Role.PRIMARY, "primary", lab.address(Role.PRIMARY), work.resolve("primary.tsv"));
                startSink(net, Role.BACKUP, "replica", lab.address(Role.BACKUP), work.resolve("replica.tsv"));
                lab.startMigware(BuiltDistribution.home(), "resume", Map.of("framing", "newline"));
                Path rules = writeScript(net, "fragments.nft", """
                        table netdev mwfrag {
                            counter fragments { }
                            chain in {
                                type filter hook ingress device %s priority 0;
                                ip saddr %s ip frag-off & 0x3fff != 0 counter name fragments
                            }
                        }
                        """.formatted(LabNetwork.ROLE_INTERFACE, appAddress));
                net.exec(Role.BACKUP, "nft", "-f", rules.toString()).requireSuccess();
                long runMillis = 20_000;
                Path clientReport = work.resolve("client.tsv");
                PushClient.Options options = new PushClient.Options().host(lab.address(Role.PRIMARY)).port(PORT)
                        .connections(connections).intervalMillis(100).recordSize(3000).durationMillis(runMillis).connectRate(100)
                        .reportIntervalMillis(500).report(clientReport);
                List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", app));
                command.addAll(org.migware.lab.JavaCommand.of(PushClient.class, LabNetwork.DEFAULT_JVM_OPTIONS, options.toArgs()));
                LabProcess client = net.start(Role.CLIENT, "client", command.toArray(String[]::new));
                client.awaitOutput(PushClient.STARTED, Duration.ofSeconds(30));
                awaitAllSending(clientReport, connections);
                Await.sleep(2000);
                long fragmentsBefore = counter(net.exec(Role.BACKUP, "nft", "list", "table", "netdev", "mwfrag").requireSuccess().stdout(),
                        "fragments");
                Instant pulled = lab.pull();
                Instant proxy = lab.awaitProxy(Duration.ofSeconds(30));
                net.exec(Role.CLIENT, "ip", "link", "set", LabNetwork.ROLE_INTERFACE, "mtu", "576").requireSuccess();
                System.out.println("[lab " + prefix + "] pulled at " + pulled + ", PROXY since " + proxy
                        + "; the router's link to the hub has an MTU of 576 from " + Instant.now());
                awaitClients(client, null, runMillis);
                awaitEnded(work.resolve("replica.tsv"), connections);
                String status = lab.statusJson();
                long fragments = counter(net.exec(Role.BACKUP, "nft", "list", "table", "netdev", "mwfrag").requireSuccess().stdout(),
                        "fragments");
                System.out.println("[lab " + prefix + "] IPv4 fragments from the client seen by the backup: " + fragmentsBefore
                        + " before the pull, " + fragments + " in all");
                long records = checkCarried(prefix, PushClientReport.read(clientReport), SinkReport.read(work.resolve("primary.tsv")),
                        SinkReport.read(work.resolve("replica.tsv")), status);
                assertEquals(0, fragmentsBefore, "no fragment before PROXY");
                assertTrue(fragments > 100, () -> "the client's segments were fragmented in PROXY: " + fragments);
                System.out.println("[lab " + prefix + "] " + connections + " of " + connections + " connections carried, " + records
                        + " records of 3,000 bytes at the replica, each whole");
            } finally {
                Commands.run(Duration.ofSeconds(20), List.of(ip, "netns", "del", app));
            }
        }
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
    }

    private static void inApp(LabNetwork net, String app, String... command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", app));
        full.addAll(List.of(command));
        net.exec(Role.CLIENT, full.toArray(String[]::new)).requireSuccess();
    }

    /** Live objects by the JVM's own count ({@code jcmd GC.class_histogram}: after a full collection). */
    private record Histogram(String text) {

        static Histogram of(LabNetwork net, long pid) {
            ExecResult result = net.exec(Role.BACKUP, Duration.ofSeconds(60), Commands.tool("jcmd", "a JDK"), Long.toString(pid),
                    "GC.class_histogram");
            return new Histogram(result.requireSuccess().stdout());
        }

        /** @return the instances of the class, 0 when it has none */
        long instances(String className) {
            return row(className)[0];
        }

        /** @return the shallow bytes of all its instances, 0 when it has none */
        long bytes(String className) {
            return row(className)[1];
        }

        private long[] row(String className) {
            Matcher m = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+" + Pattern.quote(className) + "\\s", Pattern.MULTILINE)
                    .matcher(text);
            return m.find() ? new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))} : new long[] {0, 0};
        }
    }

    /**
     * Runs in the hub: SYNs to the service from distinct forged sources (random addresses in
     * 198.18.0.0/15, random ports, each pair once), written on the hub's ports towards the primary
     * and towards the backup, paced over the given seconds.
     */
    private static String synFlood(LabNetwork net, int perSecond, int seconds) {
        Path script = writeScript(net, "syn-flood.py", SYN_FLOOD);
        ExecResult result = net.execIn(net.hubNamespace(), Duration.ofSeconds(seconds + 60), List.of(PYTHON, script.toString(),
                net.address(Role.PRIMARY), Integer.toString(PORT), net.macAddress(Role.PRIMARY), net.hubInterface(Role.PRIMARY),
                net.hubInterface(Role.BACKUP), Integer.toString(perSecond), Integer.toString(seconds)));
        return result.requireSuccess().stdout() + result.stderr();
    }

    static final String SYN_FLOOD = """
            import random, socket, struct, sys, time

            dst, port = sys.argv[1], int(sys.argv[2])
            mac_dst = bytes.fromhex(sys.argv[3].replace(":", ""))
            if_p, if_b = sys.argv[4], sys.argv[5]
            per_second, seconds = int(sys.argv[6]), int(sys.argv[7])

            def csum(data):
                if len(data) % 2:
                    data += b"\\0"
                total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
                while total >> 16:
                    total = (total & 0xFFFF) + (total >> 16)
                return ~total & 0xFFFF

            def syn(src, sport):
                options = struct.pack("!BBH", 2, 4, 1460)
                tcp = struct.pack("!HHIIBBHHH", sport, port, random.getrandbits(32), 0, 6 << 4, 0x02, 64240, 0, 0) + options
                pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
                tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
                ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), random.randint(1, 65535), 0x4000, 64, 6, 0,
                                 socket.inet_aton(src), socket.inet_aton(dst))
                ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
                mac_src = bytes([0x02]) + random.getrandbits(40).to_bytes(5, "big")
                return mac_dst + mac_src + b"\\x08\\x00" + ip + tcp

            tx_p = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            tx_p.bind((if_p, 0))
            tx_b = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            tx_b.bind((if_b, 0))
            sources = set()
            total = per_second * seconds
            while len(sources) < total:
                sources.add((socket.inet_ntoa(struct.pack("!I", (198 << 24 | 18 << 16) + random.getrandbits(17))),
                             random.randint(1024, 65535)))
            sources = list(sources)
            start = time.monotonic()
            sent = 0
            for i, (src, sport) in enumerate(sources):
                due = start + i / per_second
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                frame = syn(src, sport)
                tx_b.send(frame)
                tx_p.send(frame)
                sent += 1
            print("sent %d SYNs from %d distinct sources in %.1f s" % (sent, len(set(sources)), time.monotonic() - start))
            """;

    // ------------------------------------------------------------------------------ shared

    static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

    /** @return the script, written to the lab's work folder */
    static Path writeScript(LabNetwork net, String name, String text) {
        Path script = net.workDir().resolve(name);
        try {
            Files.writeString(script, text, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + script, e);
        }
        return script;
    }

    /** A client forgets a silent neighbour within seconds: MigWare's ARP answers are exercised, not assumed. */
    private static void shortNeighbourTimers(LabNetwork net) {
        net.exec(Role.CLIENT, "sysctl", "-q", "-w", "net.ipv4.neigh." + LabNetwork.ROLE_INTERFACE + ".base_reachable_time_ms=1000",
                "net.ipv4.neigh." + LabNetwork.ROLE_INTERFACE + ".delay_first_probe_time=1").requireSuccess();
    }

    private static LabProcess startSink(LabNetwork net, Role role, String name, String address, Path report) {
        LabProcess sink = net.startJava(role, name, SinkServer.class, new SinkServer.Options().bind(address).port(PORT)
                .reportIntervalMillis(500).report(report).toArgs());
        sink.awaitOutput(SinkServer.LISTENING, Duration.ofSeconds(30));
        return sink;
    }

    private static LabProcess startClient(LabNetwork net, String name, String host, int connections, int firstId, int localPort,
            long runMillis, Path report) {
        PushClient.Options options = new PushClient.Options().host(host).port(PORT).connections(connections).firstId(firstId)
                .intervalMillis(100).durationMillis(runMillis).connectRate(100).reportIntervalMillis(500).report(report);
        if (localPort > 0) {
            options.localPort(localPort);
        }
        LabProcess client = net.startJava(Role.CLIENT, name, PushClient.class, options.toArgs());
        client.awaitOutput(PushClient.STARTED, Duration.ofSeconds(30));
        return client;
    }

    private static void awaitAllSending(Path report, int connections) {
        Await.until("every connection open with records sent", Duration.ofSeconds(60),
                () -> PushClientReport.readIfPresent(report).map(r -> r.connections().size() == connections
                        && r.connections().stream().allMatch(c -> c.state().equals("OPEN") && c.recordsSent() > 2)).orElse(false));
    }

    private static void awaitClients(LabProcess a, LabProcess b, long runMillis) {
        for (LabProcess client : new LabProcess[] {a, b}) {
            if (client != null && !client.waitFor(Duration.ofMillis(runMillis + 60_000))) {
                throw new AssertionError("the push client " + client.name() + " did not finish: " + client.stderr());
            }
        }
    }

    /** The clients closed: each connection's end must reach the replica's application too. */
    private static void awaitEnded(Path replicaReport, int connections) {
        try {
            Await.until("the replica's connections to end", Duration.ofSeconds(20), () -> SinkReport.readIfPresent(replicaReport)
                    .map(r -> r.connections().size() >= connections && r.connections().stream().noneMatch(c -> c.state().equals("OPEN")))
                    .orElse(false));
        } catch (RuntimeException e) {
            System.out.println("some of the replica's connections did not end: " + e.getMessage());
        }
    }

    /**
     * Every connection of the client: no client error; its records reached the primary without a
     * record of another connection; at the replica exactly one socket holds its id, and it got
     * every record from the one after the primary's last on (or earlier: newline framing hands the
     * record in progress whole), up to the client's last, none twice, torn, corrupt or foreign.
     *
     * @return the records the replica received for these connections
     */
    private static long checkCarried(String prefix, PushClientReport sent, SinkReport primary, SinkReport replica, String status) {
        long records = 0;
        List<String> broken = new ArrayList<>();
        for (PushClientReport.Connection c : sent.connections()) {
            SinkReport.Connection before = primary.byConnId(c.id()).orElse(null);
            // no record at the primary: the connection sent its first after the pull
            long primaryLast = before == null ? 0 : before.lastSeq();
            List<SinkReport.Connection> after = replica.connections().stream().filter(r -> r.connId() == c.id()).toList();
            String problem = null;
            if (!c.error().isEmpty() || c.failed()) {
                problem = "client error " + c.state() + " " + c.error();
            } else if (before != null && (before.foreign() != 0 || before.torn() != 0)) {
                problem = "at the primary " + before;
            } else if (after.size() != 1) {
                problem = after.size() + " replica sockets hold its records: " + after;
            } else {
                SinkReport.Connection r = after.get(0);
                if (r.foreign() != 0 || r.torn() != 0 || r.corrupt() != 0 || r.duplicates() != 0 || r.gaps() != 0) {
                    problem = "at the replica " + r;
                } else if (r.firstSeq() > primaryLast + 1) {
                    problem = "records lost after the primary's last (" + primaryLast + "): " + r;
                } else if (r.lastSeq() != c.recordsSent()) {
                    problem = "the client sent " + c.recordsSent() + " records, the replica's last is " + r.lastSeq() + ": " + r;
                }
                records += r.records();
            }
            if (problem != null) {
                broken.add("connection " + c.id() + " (client port " + c.localPort() + "): " + problem);
            }
        }
        System.out.println("[lab " + prefix + "] " + sent.connections().size() + " connections checked, " + broken.size() + " broken");
        assertTrue(broken.isEmpty(), () -> String.join("\n", broken) + "\nMigWare's status:\n" + status);
        return records;
    }

    // ------------------------------------------------------------------------------ the SYN-ACK delayer

    /**
     * In the backup: nftables counters for the forged SYNs that reach the replica's port from the
     * TUN, for the resets its kernel answers while nothing listens and for its SYN-ACKs, and a
     * queue (NFQUEUE 7, an iptables rule) for every SYN-ACK from the replica's port, which the
     * Python delayer accepts 300 ms after it arrived.
     */
    private static LabProcess startSynAckDelayer(LabNetwork net, int delayMillis) {
        Path script = writeScript(net, "synack-delayer.py", NFQUEUE_DELAYER);
        LabProcess delayer = net.start(Role.BACKUP, "synack-delayer", PYTHON, "-u", script.toString(), "7",
                Integer.toString(delayMillis));
        delayer.awaitOutput("delayer bound", Duration.ofSeconds(10));
        Path rules = writeScript(net, "late-replica.nft", """
                    table inet mwlate {
                        counter forged_syns { }
                        counter resets_out { }
                        counter synacks_queued { }
                        chain in {
                            type filter hook input priority 0; policy accept;
                            tcp dport %1$d tcp flags & (syn | ack) == syn counter name forged_syns
                        }
                        chain out {
                            type filter hook output priority 0; policy accept;
                            tcp sport %1$d tcp flags & rst == rst counter name resets_out
                            tcp sport %1$d tcp flags & (syn | ack) == syn | ack counter name synacks_queued
                        }
                    }
                    """.formatted(PORT));
        net.exec(Role.BACKUP, "nft", "-f", rules.toString()).requireSuccess();
        // This kernel has no nft queue expression (CONFIG_NFT_QUEUE): iptables-nft's NFQUEUE target
        // goes through nft's xtables compatibility instead.
        net.exec(Role.BACKUP, Commands.tool("iptables", "iptables"), "-A", "OUTPUT", "-p", "tcp", "--sport", Integer.toString(PORT),
                "--tcp-flags", "SYN,ACK", "SYN,ACK", "-j", "NFQUEUE", "--queue-num", "7").requireSuccess();
        return delayer;
    }

    /**
     * Counts, in an nftables table of the client's namespace, the resets its kernel receives from
     * the service port: MigWare must send none where the primary would not have.
     */
    static void countResetsAtTheClient(LabNetwork net, String table, int servicePort) {
        net.exec(Role.CLIENT, "nft", "-f", writeScript(net, "count-resets.nft", """
                table inet %s {
                    counter resets { }
                    chain in {
                        type filter hook input priority 0;
                        tcp sport %d tcp flags & rst == rst counter name resets
                    }
                }
                """.formatted(table, servicePort)).toString()).requireSuccess();
    }

    /** @return the resets counted by {@link #countResetsAtTheClient} so far */
    static long resetsAtTheClient(LabNetwork net, String table) {
        return counter(net.exec(Role.CLIENT, "nft", "list", "table", "inet", table).requireSuccess().stdout(), "resets");
    }

    static long counter(String nft, String name) {
        Matcher m = Pattern.compile("counter " + name + " \\{\\s*packets (\\d+)").matcher(nft);
        if (!m.find()) {
            throw new AssertionError("no counter " + name + " in:\n" + nft);
        }
        return Long.parseLong(m.group(1));
    }

    private static long delayedCount(LabProcess delayer) {
        Matcher m = Pattern.compile("delayed (\\d+)").matcher(delayer.stdout());
        long last = -1;
        while (m.find()) {
            last = Long.parseLong(m.group(1));
        }
        return last;
    }

    /**
     * A user-space NFQUEUE delayer with only Python's standard library (no libnetfilter_queue):
     * binds the queue over netlink (NETLINK_NETFILTER, subsystem QUEUE), takes each packet's id
     * from its NFQA_PACKET_HDR (metadata only, no payload copied) and sends NF_ACCEPT for it once
     * it has waited the delay. Prints its count after every verdict.
     */
    static final String NFQUEUE_DELAYER = """
            import socket, struct, sys, time, collections

            queue, delay = int(sys.argv[1]), int(sys.argv[2]) / 1000.0
            SUBSYS_QUEUE, MSG_PACKET, MSG_VERDICT, MSG_CONFIG = 3, 0, 1, 2
            CFG_CMD, CFG_PARAMS, PACKET_HDR, VERDICT_HDR = 1, 2, 1, 2
            REQUEST, ACK, NF_ACCEPT, COPY_META, NLMSG_ERROR = 1, 4, 1, 1, 2

            def attr(kind, data):
                pad = (4 - (4 + len(data)) % 4) % 4
                return struct.pack("=HH", 4 + len(data), kind) + data + b"\\0" * pad

            sequence = 0
            def send(kind, payload, flags=REQUEST):
                global sequence
                sequence += 1
                body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + payload
                nl.send(struct.pack("=IHHII", 16 + len(body), (SUBSYS_QUEUE << 8) | kind, flags, sequence, 0) + body)

            def expect_ack():
                data = nl.recv(65536)
                length, kind = struct.unpack("=IH", data[:6])
                if kind == NLMSG_ERROR:
                    error = struct.unpack("=i", data[16:20])[0]
                    if error != 0:
                        sys.exit("nfqueue config refused: errno %d" % -error)

            nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)
            nl.bind((0, 0))
            nl.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            send(MSG_CONFIG, attr(CFG_CMD, struct.pack("!BBH", 1, 0, socket.AF_INET)), REQUEST | ACK)
            expect_ack()
            send(MSG_CONFIG, attr(CFG_PARAMS, struct.pack("!IB", 0, COPY_META)), REQUEST | ACK)
            expect_ack()
            print("delayer bound to queue %d, %d ms" % (queue, delay * 1000), flush=True)

            held = collections.deque()
            delayed = 0
            while True:
                now = time.monotonic()
                while held and held[0][0] <= now:
                    _, packet_id = held.popleft()
                    send(MSG_VERDICT, attr(VERDICT_HDR, struct.pack("!II", NF_ACCEPT, packet_id)))
                    delayed += 1
                    print("delayed %d" % delayed, flush=True)
                nl.settimeout(max(0.001, held[0][0] - now) if held else 1.0)
                try:
                    data = nl.recv(65536)
                except socket.timeout:
                    continue
                offset = 0
                while offset + 16 <= len(data):
                    length, kind = struct.unpack("=IH", data[offset:offset + 6])
                    if length < 16:
                        break
                    if kind == (SUBSYS_QUEUE << 8) | MSG_PACKET:
                        at = offset + 20
                        while at + 4 <= offset + length:
                            alen, atype = struct.unpack("=HH", data[at:at + 4])
                            if alen < 4:
                                break
                            if atype & 0x3FFF == PACKET_HDR:
                                held.append((time.monotonic() + delay, struct.unpack("!I", data[at + 4:at + 8])[0]))
                            at += (alen + 3) & ~3
                    offset += (length + 3) & ~3
            """;
}
