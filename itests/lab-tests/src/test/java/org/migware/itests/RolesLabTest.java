package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.migware.lab.Await;
import org.migware.lab.Commands;
import org.migware.lab.experiments.DetectionExperiment;
import org.migware.lab.experiments.MigrationExperiment;
import org.migware.lab.experiments.MigrationExperiment.ConnectionOutcome;
import org.migware.lab.experiments.MigwareInstance;
import org.migware.lab.experiments.MigwareStatus;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.Role;
import org.migware.lab.oracles.Tcpdump;
import org.migware.lab.roles.Keepalived;
import org.migware.lab.roles.Site;
import org.migware.lab.workloads.BulkReceiver;
import org.migware.lab.workloads.BulkReceiverReport;
import org.migware.lab.workloads.PushClient;
import org.migware.lab.workloads.PushClientReport;
import org.migware.lab.workloads.SinkReport;
import org.migware.lab.workloads.SinkServer;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * Issue 13, points 1, 2 and 6, with keepalived in the loop: the service address is a VRRP address
 * that keepalived moves; MigWare on the backup holds its keepalived in FAULT (the track file) until
 * its own detection decides, and releases it once the carried tuples are in its nftables set.
 *
 * <ul>
 *   <li>Direct path: after the failover of 200 connections, new connections to the service are
 *       served by the replica's kernel. Oracles: a capture on MigWare's TUN sees no SYN while they
 *       open and run (it sees the carried connections' segments, so it was capturing); the
 *       replica's application sees the client's own address on them (a carried connection shows a
 *       shadow address); their records all arrive. Bulk throughput of a new connection against
 *       the replica's kernel before the failover: the ratio is printed, not asserted.</li>
 *   <li>The 200 carried connections go on: each client's kernel shows them established while
 *       the new ones run, its EstabResets counter does not move, and every record reaches the
 *       replica's application in order, none twice, none torn.</li>
 *   <li>keepalived killed on the master ({@code SIGKILL}, no clean-up) before the failover: the
 *       backup's keepalived, held in FAULT by MigWare, does not take the address too (point 6); the
 *       connections stay established.</li>
 *   <li>MigWare killed ({@code kill -9}) and restarted while it carries them: keepalived keeps the
 *       address on the backup, the set holds every carried tuple again, no connection is lost.</li>
 *   <li>Drain: when the clients close them, the nftables set (as {@code nft list set} shows it)
 *       is empty, and MigWare's state is NORMAL, serving.</li>
 * </ul>
 *
 * The timings (pull, decision, PROXY, and the backup's first gratuitous ARP on the client's wire)
 * are printed.
 */
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
class RolesLabTest {

    private static final String PREFIX = "mwroles";
    private static final int PORT = 7000;
    private static final int BULK_PORT = 7001;
    private static final int CARRIED = 200;
    private static final int NEW = 20;
    private static final int NEW_FIRST_ID = 1000;
    private static final long BEFORE_MILLIS = 6000;
    private static final long AFTER_MILLIS = 30_000;
    private static final long BULK_MILLIS = 3000;
    private static final Pattern TRANSITION = Pattern.compile("-> (RECOVERY|PROXY|NORMAL) at (\\S+) \\(");

    @Test
    void afterAFailoverNewConnectionsGoToTheReplicasKernelAndTheCarriedOnesDrain() throws Exception {
        Path distribution = BuiltDistribution.home();
        try (LabNetwork lab = LabNetwork.builder().prefix(PREFIX).replaceLeftovers(true).create()) {
            Path work = lab.workDir();
            String client = lab.address(Role.CLIENT);
            String service = lab.address(Role.PRIMARY).replaceAll("\\.\\d+$", ".100");
            String serviceWithLength = service + "/" + lab.prefixLength();

            LabProcess primarySink = lab.startJava(Role.PRIMARY, "primary-sink", SinkServer.class,
                    new SinkServer.Options().port(PORT).report(work.resolve("primary.tsv")).toArgs());
            primarySink.awaitOutput(SinkServer.LISTENING, Duration.ofSeconds(20));
            // The replica listens on every address: the service address too, once it is this host's.
            LabProcess replicaSink = lab.startJava(Role.BACKUP, "replica-sink", SinkServer.class,
                    new SinkServer.Options().bind("0.0.0.0").port(PORT).report(work.resolve("replica.tsv")).toArgs());
            replicaSink.awaitOutput(SinkServer.LISTENING, Duration.ofSeconds(20));
            LabProcess replicaBulk = lab.startJava(Role.BACKUP, "replica-bulk", BulkReceiver.class,
                    new BulkReceiver.Options().bind("0.0.0.0").port(BULK_PORT).report(work.resolve("replica-bulk.tsv")).toArgs());
            replicaBulk.awaitOutput(BulkReceiver.LISTENING, Duration.ofSeconds(20));

            Path trackFile = work.resolve("keepalived-backup.track");
            Keepalived primaryVrrp = Keepalived.start(lab, Role.PRIMARY, distribution, serviceWithLength, 200, List.of(Role.BACKUP), null);
            Keepalived backupVrrp = Keepalived.start(lab, Role.BACKUP, distribution, serviceWithLength, 100, List.of(Role.PRIMARY), trackFile);
            Await.until("the primary's keepalived owns " + service, Duration.ofSeconds(20), () -> primaryVrrp.owns(service));

            Map<String, Map<String, String>> configs = new HashMap<>();
            // Two ports: FileInstall reads a typed list only when every value of the file is typed (Felix's typed properties).
            configs.put("org.migware.service", Map.of("addresses", "[\"" + service + "\"]", "ports", "I[\"" + PORT + "\",\"" + BULK_PORT + "\"]"));
            configs.put("org.migware.capture.pcap4j", Map.of("interfaceName", LabNetwork.ROLE_INTERFACE, "bufferSize", "268435456"));
            configs.put("org.migware.capture.file", Map.of());
            configs.put("org.migware.proxy", Map.of("replicaAddress", lab.address(Role.BACKUP), "directPath", "true",
                    "keepalivedTrackFile", trackFile.toString()));
            Map<String, String> icmp = new HashMap<>(DetectionExperiment.Profile.FAST.of(DetectionExperiment.Monitor.ICMP));
            icmp.put("target", lab.address(Role.PRIMARY)); // the primary host, not the address keepalived moves
            configs.put(DetectionExperiment.Monitor.ICMP.pid(), icmp);

            try (MigwareInstance migware = MigwareInstance.start(lab, Role.BACKUP, distribution, configs, Duration.ofSeconds(60))) {
                Await.until("MigWare capturing and tracking with its ICMP monitor UP", Duration.ofSeconds(30), () -> {
                    MigwareStatus s = migware.status();
                    return s.capturing() && s.tracking() && s.says("icmp", "UP");
                });
                Await.until("MigWare holding keepalived back (track file 1)", Duration.ofSeconds(10),
                        () -> read(trackFile).equals("1"));
                assertFalse(backupVrrp.owns(service), "the backup's keepalived, held in FAULT, must not take the address");

                // The direct path before the failover: a bulk stream to the replica's kernel at the backup's own address.
                double before = bulkBytesPerSecond(lab, lab.address(Role.BACKUP), work.resolve("bulk-before.tsv"));

                Path clientReport = work.resolve("client.tsv");
                LabProcess carriedClient = lab.startJava(Role.CLIENT, "client", PushClient.class, new PushClient.Options().host(service)
                        .port(PORT).connections(CARRIED).intervalMillis(500).durationMillis(BEFORE_MILLIS + AFTER_MILLIS)
                        .report(clientReport).reportIntervalMillis(500).toArgs());
                carriedClient.awaitOutput(PushClient.STARTED, Duration.ofSeconds(30));
                Await.until("every carried connection open with a record sent", Duration.ofSeconds(30),
                        () -> PushClientReport.readIfPresent(clientReport).map(r -> r.connections().size() == CARRIED
                                && r.connections().stream().allMatch(c -> c.state().equals("OPEN") && c.recordsSent() > 0)).orElse(false));
                long resetsBefore = estabResets(lab);
                Tcpdump arp = Tcpdump.on(lab, Role.CLIENT).name("client-arp").filter("arp").pcap(work.resolve("client-arp.pcap")).start();
                // Point 6: keepalived itself dies on the master (SIGKILL, no clean-up). The backup's keepalived hears no
                // more adverts and would take the address after VRRP's master-down interval (~0.4 s at an advert of
                // 0.1 s), but MigWare holds it in FAULT while the primary is alive: the address stays on one host.
                primaryVrrp.kill();
                assertTrue(primaryVrrp.process().waitFor(Duration.ofSeconds(5)), "the primary's keepalived is dead");
                Thread.sleep(2000);
                // keepalived 2.2 logs "(migware) entering FAULT state" and "(migware) Entering MASTER STATE"
                String backupLog = backupVrrp.log().toLowerCase(java.util.Locale.ROOT);
                assertTrue(backupLog.contains("entering fault state"), "the backup's keepalived is held in FAULT:\n" + backupVrrp.log());
                assertFalse(backupLog.contains("entering master state"), "and never became master:\n" + backupVrrp.log());
                assertTrue(primaryVrrp.owns(service), "the killed keepalived left the address on the primary");
                assertFalse(backupVrrp.owns(service), "the backup's keepalived, held in FAULT by MigWare, did not take the address "
                        + "when the master's keepalived died: two hosts would have answered for " + service);
                assertEquals(CARRIED, established(lab, service), "every carried connection still established (ss on the client)");
                Thread.sleep(Math.max(0, BEFORE_MILLIS - 5000));

                Instant pulled = Instant.now();
                lab.pullPrimaryLink();
                Await.until("MigWare in PROXY", Duration.ofSeconds(20), () -> migware.status().proxy());
                Await.until("the backup's keepalived owns " + service, Duration.ofSeconds(10), () -> backupVrrp.owns(service));
                Await.until("MigWare seeing the service address as its own", Duration.ofSeconds(5),
                        () -> directPath(migware).get("addressLocal").getAsBoolean());
                assertEquals(CARRIED, nftElements(lab, service), "every carried tuple in the set (nft list set)");
                // The issue's note: the direct path must not need the hub. From here on the bridge learns and
                // forwards each frame only to the port of its destination, as a switch without a mirror port
                // does: the new connections, the carried ones and the drain all run on a switched network.
                lab.switchHub();

                // New connections while the carried ones go on: nothing of them may pass MigWare's TUN.
                Tcpdump tun = Tcpdump.on(lab, Role.BACKUP).name("tun").interfaceName("mig0").filter("tcp").pcap(work.resolve("tun.pcap"))
                        .start();
                Path newReport = work.resolve("new-client.tsv");
                LabProcess newClient = lab.startJava(Role.CLIENT, "new-client", PushClient.class, new PushClient.Options().host(service)
                        .port(PORT).connections(NEW).firstId(NEW_FIRST_ID).intervalMillis(200).durationMillis(4000).report(newReport)
                        .reportIntervalMillis(500).toArgs());
                newClient.awaitOutput(PushClient.STARTED, Duration.ofSeconds(30));
                assertTrue(newClient.waitFor(Duration.ofSeconds(30)), "the new client ends");
                // While MigWare still carries the 200 (their translation shares the two cores).
                double after = bulkBytesPerSecond(lab, service, work.resolve("bulk-after.tsv"));
                Thread.sleep(500);
                int carriedEstablished = established(lab, service);
                Tcpdump.CaptureStats tunStats = tun.stop();
                assertEquals(Optional.of(lab.bridgePort(Role.BACKUP)), lab.learnedPort(lab.macAddress(Role.BACKUP)),
                        "the switch learned the backup behind its port (bridge fdb): frames to it go nowhere else");
                assertEquals(Optional.of(lab.bridgePort(Role.CLIENT)), lab.learnedPort(lab.macAddress(Role.CLIENT)),
                        "the switch learned the client behind its port (bridge fdb)");
                arp.stop();

                long tunSyns = tshark(work.resolve("tun.pcap"), "tcp.flags.syn == 1").size();
                long tunPackets = tshark(work.resolve("tun.pcap"), "tcp").size();
                JsonObject migration = JsonParser.parseString(migware.status().json()).getAsJsonObject().getAsJsonObject("migration");
                long passedThrough = migration.get("passedThrough").getAsLong();

                // Before the restart: its log is the first process's.
                Timings timings = timings(migware.log(), work.resolve("client-arp.pcap"), service, lab.macAddress(Role.BACKUP), pulled);

                // MigWare killed and restarted while it carries them: the set and keepalived's role must outlive it.
                Duration down = migware.crashAndRestart(Duration.ofSeconds(60));
                Await.until("MigWare back in PROXY with the carried connections", Duration.ofSeconds(20),
                        () -> migware.status().proxy() && directPath(migware).get("carried").getAsInt() == CARRIED);
                boolean ownedAfterRestart = backupVrrp.owns(service);
                int setAfterRestart = nftElements(lab, service);

                assertTrue(carriedClient.waitFor(Duration.ofMillis(AFTER_MILLIS + 30_000)), "the carried client ends");
                Instant clientsEnded = Instant.now();
                Await.until("MigWare NORMAL after the carried connections drained", Duration.ofSeconds(40),
                        () -> migware.status().normal());
                Duration drainAfterEnd = Duration.between(clientsEnded, Instant.now());
                // And once nothing is carried: the direct path alone.
                double drainedBulk = bulkBytesPerSecond(lab, service, work.resolve("bulk-drained.tsv"));
                int setAfterDrain = nftElements(lab, service);
                JsonObject drained = directPath(migware);
                String finalReason = migware.status().reason();
                long resetsAfter = estabResets(lab);
                primarySink.destroy();
                replicaSink.destroy();
                replicaBulk.destroy();

                PushClientReport sent = PushClientReport.read(clientReport);
                SinkReport replica = SinkReport.read(work.resolve("replica.tsv"));
                List<ConnectionOutcome> outcomes = MigrationExperiment.outcomes(sent, SinkReport.read(work.resolve("primary.tsv")), replica);
                PushClientReport fresh = PushClientReport.read(newReport);
                BulkReceiverReport bulk = BulkReceiverReport.read(work.resolve("replica-bulk.tsv"));

                System.out.printf("[lab %s] pull -> decision %d ms, decision -> PROXY %d ms, decision -> the backup's first gratuitous ARP"
                        + " for %s on the client's wire %d ms (keepalived released by MigWare, VRRP v3, advert 0.1 s)%n", PREFIX,
                        timings.pullToDecision(), timings.decisionToProxy(), service, timings.decisionToArp());
                System.out.printf("[lab %s] bulk, one new connection: %.1f MB/s to the replica's kernel before the failover; to the"
                        + " service address after it (direct path) %.1f MB/s while the 200 are carried (ratio %.3f) and %.1f MB/s after they"
                        + " drained (ratio %.3f)%n", PREFIX, before / 1e6, after / 1e6, after / before, drainedBulk / 1e6, drainedBulk / before);
                System.out.printf("[lab %s] TUN during the new connections: %d packets (carried), %d SYNs; MigWare passed through %d;"
                        + " carried established at the client: %d; client EstabResets %d -> %d; drained %d ms after the clients ended;"
                        + " nft set after: %d; MigWare: %s%n", PREFIX, tunPackets, tunSyns, passedThrough, carriedEstablished, resetsBefore,
                        resetsAfter, drainAfterEnd.toMillis(), setAfterDrain, finalReason);
                System.out.printf("[lab %s] MigWare killed and restarted in PROXY: %d ms without it; the backup still owns the address: %s;"
                        + " %d tuples in the set after%n", PREFIX, down.toMillis(), ownedAfterRestart, setAfterRestart);

                // The join: keepalived moved the address (the backup's gratuitous ARP on the client's wire) only after MigWare decided.
                assertTrue(timings.pullToDecision() >= 0 && timings.decisionToProxy() >= 0, "the decision and PROXY in MigWare's log");
                assertTrue(timings.decisionToArp() > 0, "the backup announced the service address after MigWare's decision, not before: "
                        + timings);

                // Direct path: nothing of the new connections passed MigWare.
                assertTrue(tunPackets > 0, "the TUN capture saw the carried connections' segments: it was capturing (" + tunStats + ")");
                assertEquals(0, tunSyns, "no connection opened through MigWare's TUN while the new ones opened");
                assertEquals(0, passedThrough, "MigWare passed no new connection through");
                List<SinkReport.Connection> direct = replica.connections().stream().filter(c -> c.connId() >= NEW_FIRST_ID).toList();
                assertEquals(NEW, direct.size(), () -> "the replica's application got every new connection: " + direct);
                for (SinkReport.Connection c : direct) {
                    assertEquals(client, c.remoteIp(), "a new connection reaches the replica's kernel from the client itself: " + c);
                }
                for (PushClientReport.Connection c : fresh.connections()) {
                    assertTrue(c.error().isEmpty(), "new connection " + c);
                    long received = replica.byConnId(c.id()).map(SinkReport.Connection::records).orElse(-1L);
                    assertEquals(c.recordsSent(), received, "every record of new connection " + c.id() + " arrived");
                }
                assertEquals(3, bulk.connections().stream().filter(c -> c.remote().startsWith(client + ":")).count(),
                        "each bulk stream, before and after the failover, reached the replica's kernel from the client: " + bulk.connections());

                // A restart of MigWare in PROXY keeps the address and the set (and below, every connection).
                assertTrue(ownedAfterRestart, "keepalived kept the address across MigWare's restart");
                assertEquals(CARRIED, setAfterRestart, "the restarted MigWare wrote every carried tuple back");

                // The carried connections went on, none reset.
                assertEquals(CARRIED, carriedEstablished, "the client's kernel shows every carried connection established");
                assertEquals(resetsBefore, resetsAfter, "no established connection of the client was reset (EstabResets)");
                assertEquals(CARRIED, outcomes.size());
                String broken = outcomes.stream().filter(o -> !o.survived()).limit(10).map(Object::toString).collect(Collectors.joining("\n"));
                assertEquals(CARRIED, outcomes.stream().filter(ConnectionOutcome::survived).count(), () -> "carried connections broken:\n" + broken);
                assertTrue(replica.connections().stream().filter(c -> c.connId() < NEW_FIRST_ID).allMatch(c -> c.remoteIp().startsWith("198.1")),
                        "the carried connections reach the replica from MigWare's shadow endpoints");

                // Drain: the set is empty, MigWare NORMAL, serving.
                assertEquals(0, setAfterDrain, "the nftables set is empty once the carried connections closed");
                assertTrue(finalReason.startsWith("serving"), finalReason);
                assertEquals(0, drained.get("carried").getAsInt(), drained.toString());
                assertTrue(backupVrrp.owns(service), "the backup still owns the service address");
            }
        }
        assertFalse(LabNetwork.leftovers(PREFIX), "the lab's namespaces must be gone");
    }

    /** @return bytes a second of one bulk connection from the client to {@code host} (the first second left out: slow start) */
    private static double bulkBytesPerSecond(LabNetwork lab, String host, Path report) {
        return Site.bulkBytesPerSecond(lab, host, BULK_PORT, BULK_MILLIS, report);
    }

    /** @return the file's content without surrounding white space, empty when it does not exist */
    private static String read(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.readString(file).strip() : "";
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** @return MigWare's direct path status, from {@code migware:status --json} */
    private static JsonObject directPath(MigwareInstance migware) {
        return JsonParser.parseString(migware.status().json()).getAsJsonObject().getAsJsonObject("migration").getAsJsonObject("directPath");
    }

    /** @return the tuples of the nftables set for connections to the service port, as nft lists them */
    private static int nftElements(LabNetwork lab, String service) {
        String listing = lab.exec(Role.BACKUP, "nft", "list", "set", "ip", "migware", "carried").requireSuccess().stdout();
        Matcher m = Pattern.compile(Pattern.quote(service) + " \\. " + PORT + "\\b").matcher(listing);
        int count = 0;
        while (m.find()) {
            count++;
        }
        return count;
    }

    /** @return connections to the service port the client's kernel shows established */
    private static int established(LabNetwork lab, String service) {
        String out = lab.exec(Role.CLIENT, "ss", "-Htn", "state", "established", "dst", service + ":" + PORT).requireSuccess().stdout();
        return (int) out.lines().filter(l -> !l.isBlank()).count();
    }

    /** @return the client's Tcp EstabResets: established connections ended by a reset */
    private static long estabResets(LabNetwork lab) {
        List<String> lines = lab.exec(Role.CLIENT, "cat", "/proc/net/snmp").requireSuccess().stdout().lines()
                .filter(l -> l.startsWith("Tcp:")).toList();
        List<String> names = List.of(lines.get(0).split("\\s+"));
        return Long.parseLong(lines.get(1).split("\\s+")[names.indexOf("EstabResets")]);
    }

    /** @return tshark's lines for the frames of {@code pcap} that match {@code filter} */
    private static List<String> tshark(Path pcap, String filter, String... fields) {
        List<String> command = new ArrayList<>(List.of(Commands.tool("tshark", "tshark"), "-r", pcap.toString(), "-Y", filter));
        if (fields.length > 0) {
            command.addAll(List.of("-T", "fields"));
            for (String field : fields) {
                command.addAll(List.of("-e", field));
            }
        }
        return Commands.run(Duration.ofSeconds(60), command).requireSuccess().stdout().lines().filter(l -> !l.isBlank()).toList();
    }

    private record Timings(long pullToDecision, long decisionToProxy, long decisionToArp) {
    }

    /** The decision and PROXY from MigWare's log, the backup's first gratuitous ARP for the service from the client's wire. */
    private static Timings timings(String log, Path arpPcap, String service, String backupMac, Instant pulled) {
        Map<String, Instant> at = new HashMap<>();
        Matcher m = TRANSITION.matcher(log);
        while (m.find()) {
            at.putIfAbsent(m.group(1), Instant.parse(m.group(2)));
        }
        Instant decision = at.get("RECOVERY");
        Instant proxy = at.get("PROXY");
        List<String> arps = tshark(arpPcap, "arp.src.proto_ipv4 == " + service + " && eth.src == " + backupMac, "frame.time_epoch");
        long arpMillis = -1;
        if (decision != null && !arps.isEmpty()) {
            double epoch = Double.parseDouble(arps.get(0).trim());
            arpMillis = Math.round(epoch * 1000) - decision.toEpochMilli();
        }
        return new Timings(decision == null ? -1 : Duration.between(pulled, decision).toMillis(),
                decision == null || proxy == null ? -1 : Duration.between(decision, proxy).toMillis(), arpMillis);
    }
}
