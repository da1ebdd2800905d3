package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.migware.lab.Await;
import org.migware.lab.experiments.DetectionExperiment;
import org.migware.lab.experiments.MigwareInstance;
import org.migware.lab.experiments.MigwareSyncView;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.LinkEnd;
import org.migware.lab.network.Role;
import org.migware.lab.roles.Keepalived;
import org.migware.lab.workloads.PushClient;
import org.migware.lab.workloads.PushClientReport;
import org.migware.lab.workloads.SinkReport;
import org.migware.lab.workloads.SinkServer;

/**
 * Issue 13, point 3, the round trip, with keepalived in the loop on both hosts:
 *
 * <ol>
 *   <li>the primary's link is pulled: MigWare on the backup takes the connections over and
 *       keepalived gives it the service address (the direct path);</li>
 *   <li>new connections open, served by the backup's kernel directly;</li>
 *   <li>the old primary comes back as a repaired host does: rebooted (a new network namespace: its
 *       kernel keeps no socket of before), its application started again as the new replica, its
 *       keepalived held back by its MigWare, which watches the new master and gets its table
 *       through state sync;</li>
 *   <li>more connections open, then the new master's link is pulled: the rejoined host takes
 *       every connection over, those migrated once and those opened between the two failovers.</li>
 * </ol>
 *
 * Oracles: the clients' own reports and their kernel ({@code ss}, the EstabResets counter), and
 * the records the three applications received (the old primary's, the first replica's, the
 * restarted primary's): for every connection they join up, from the first record to the last the
 * client sent, none lost after a resume point, none torn, none twice in one application. Both
 * hosts' tables (what {@code migware:sync} shows) are compared with {@code ss} on the client.
 * The timings of both failovers are printed.
 */
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
class RejoinLabTest {

    private static final String PREFIX = "mwrejoin";
    private static final int PORT = 7000;
    private static final int SYNC_PORT = 7079;
    private static final int FIRST = 40;
    private static final int BETWEEN = 10;
    private static final int BETWEEN_FIRST_ID = 1000;
    private static final int AFTER_REJOIN = 10;
    private static final int AFTER_REJOIN_FIRST_ID = 2000;
    private static final long INTERVAL_MILLIS = 200;
    private static final Pattern TRANSITION = Pattern.compile("-> (RECOVERY|PROXY) at (\\S+) \\(");

    @Test
    void aRepairedPrimaryRejoinsAsTheBackupAndTakesEveryConnectionBackAtTheSecondFailover() throws Exception {
        Path distribution = BuiltDistribution.home();
        try (LabNetwork lab = LabNetwork.builder().prefix(PREFIX).replaceLeftovers(true).create()) {
            Path work = lab.workDir();
            String service = lab.address(Role.PRIMARY).replaceAll("\\.\\d+$", ".100");
            String serviceWithLength = service + "/" + lab.prefixLength();
            Path key = work.resolve("sync.key");
            byte[] secret = new byte[32];
            new SecureRandom().nextBytes(secret);
            Files.write(key, secret);
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));

            // Each application listens on every address: the service address too, once it is its host's.
            LabProcess firstPrimary = sink(lab, Role.PRIMARY, "primary-sink", work.resolve("primary.tsv"));
            LabProcess replica = sink(lab, Role.BACKUP, "replica-sink", work.resolve("replica.tsv"));
            Path backupTrack = work.resolve("keepalived-backup.track");
            Keepalived primaryVrrp = Keepalived.start(lab, Role.PRIMARY, distribution, serviceWithLength, 200, List.of(Role.BACKUP), null);
            Keepalived backupVrrp = Keepalived.start(lab, Role.BACKUP, distribution, serviceWithLength, 100, List.of(Role.PRIMARY),
                    backupTrack);
            Await.until("the primary's keepalived owns " + service, Duration.ofSeconds(20), () -> primaryVrrp.owns(service));

            // The backup watches the primary and, as every host of the site, serves its table to whoever joins.
            Map<String, Map<String, String>> backupConfig = watching(lab, service, Role.BACKUP, Role.PRIMARY, backupTrack);
            backupConfig.put("org.migware.sync.server", Map.of("listenAddress", lab.address(Role.BACKUP), "listenPort",
                    Integer.toString(SYNC_PORT), "keyFile", key.toString(), "aliveMillis", "500", "deadAfterMillis", "2000"));
            try (MigwareInstance backup = MigwareInstance.start(lab, Role.BACKUP, distribution, backupConfig, Duration.ofSeconds(60))) {
                awaitWatching(backup, backupTrack);
                long resetsBefore = estabResets(lab);

                LabProcess first = client(lab, "first", service, FIRST, 1, work.resolve("first.tsv"));
                Await.until("ss on the client: the first connections established", Duration.ofSeconds(30),
                        () -> established(lab, service).size() == FIRST);
                Thread.sleep(2000);

                // The first failover.
                Instant firstPull = Instant.now();
                lab.pullPrimaryLink();
                Await.until("the backup's MigWare in PROXY", Duration.ofSeconds(20), () -> backup.status().proxy());
                Await.until("the backup's keepalived owns " + service, Duration.ofSeconds(10), () -> backupVrrp.owns(service));

                // Opened between the failovers, before the old primary is back: served by the backup's kernel.
                LabProcess between = client(lab, "between", service, BETWEEN, BETWEEN_FIRST_ID, work.resolve("between.tsv"));
                Await.until("ss on the client: the connections opened after the failover established", Duration.ofSeconds(30),
                        () -> established(lab, service).size() == FIRST + BETWEEN);

                // The repair: the old primary's application ends (its report; its cable is still out, so
                // nothing it sends gets out), the host reboots, and comes back as the backup.
                firstPrimary.destroy();
                Instant rebootAt = Instant.now();
                lab.rebootHost(Role.PRIMARY);
                LabProcess secondPrimary = sink(lab, Role.PRIMARY, "primary-sink-after", work.resolve("primary-after.tsv"));
                Path primaryTrack = work.resolve("keepalived-primary.track");
                Keepalived rejoinedVrrp = Keepalived.start(lab, Role.PRIMARY, distribution, serviceWithLength, 200, List.of(Role.BACKUP),
                        primaryTrack);
                Map<String, Map<String, String>> rejoinedConfig = watching(lab, service, Role.PRIMARY, Role.BACKUP, primaryTrack);
                rejoinedConfig.put("org.migware.sync.client", Map.of("peerAddress", lab.address(Role.BACKUP), "peerPort",
                        Integer.toString(SYNC_PORT), "keyFile", key.toString(), "aliveMillis", "500", "deadAfterMillis", "2000"));
                try (MigwareInstance rejoined = MigwareInstance.start(lab, Role.PRIMARY, distribution, rejoinedConfig,
                        Duration.ofSeconds(60))) {
                    awaitWatching(rejoined, primaryTrack);
                    awaitSameTables(lab, service, FIRST + BETWEEN, rejoined, backup);
                    Duration rejoinTook = Duration.between(rebootAt, Instant.now());
                    Set<String> learnt = MigwareSyncView.of(rejoined).established("sync");
                    assertEquals(FIRST + BETWEEN, learnt.size(), "every connection opened before the rejoin known through sync: " + learnt);
                    assertTrue(backupVrrp.owns(service), "the new master keeps the address");
                    assertFalse(rejoinedVrrp.owns(service), "the rejoined host, held back by its MigWare, does not take the address back");

                    // Opened after the rejoin: the rejoined host sees their handshakes itself.
                    LabProcess afterRejoin = client(lab, "after-rejoin", service, AFTER_REJOIN, AFTER_REJOIN_FIRST_ID,
                            work.resolve("after-rejoin.tsv"));
                    int all = FIRST + BETWEEN + AFTER_REJOIN;
                    awaitSameTables(lab, service, all, rejoined, backup);
                    Thread.sleep(2000);

                    // The second failover: the new master's cable is pulled.
                    Instant secondPull = Instant.now();
                    lab.pullLink(Role.BACKUP, LinkEnd.HUB);
                    Await.until("the rejoined MigWare in PROXY", Duration.ofSeconds(20), () -> rejoined.status().proxy());
                    Await.until("the rejoined host's keepalived owns " + service, Duration.ofSeconds(10), () -> rejoinedVrrp.owns(service));
                    Thread.sleep(4000); // records flow to the restarted primary's application
                    int establishedAfter = established(lab, service).size();

                    for (LabProcess c : List.of(first, between, afterRejoin)) {
                        c.destroy(); // SIGTERM: each client closes its connections and writes its final report
                        assertTrue(c.waitFor(Duration.ofSeconds(30)), "client " + c.name() + " ends");
                    }
                    Thread.sleep(2000); // the last records reach the application
                    secondPrimary.destroy();
                    replica.destroy();
                    long resetsAfter = estabResets(lab);

                    Timings one = timings(backup.log(), firstPull);
                    Timings two = timings(rejoined.log(), secondPull);
                    System.out.printf("[lab %s] first failover (the backup takes over): pull -> decision %d ms, decision -> PROXY %d ms%n",
                            PREFIX, one.pullToDecision(), one.decisionToProxy());
                    System.out.printf("[lab %s] rejoin: reboot -> both tables equal ss on the client %d ms (%d handshakes through sync)%n",
                            PREFIX, rejoinTook.toMillis(), learnt.size());
                    System.out.printf("[lab %s] second failover (the rejoined host takes over): pull -> decision %d ms, decision -> PROXY"
                            + " %d ms; established after it: %d of %d; client EstabResets %d -> %d%n", PREFIX, two.pullToDecision(),
                            two.decisionToProxy(), establishedAfter, all, resetsBefore, resetsAfter);

                    assertEquals(all, establishedAfter, "ss on the client: every connection established after the second failover");
                    assertEquals(resetsBefore, resetsAfter, "no established connection of the client was reset (EstabResets)");
                    List<SinkReport> applications = List.of(SinkReport.read(work.resolve("primary.tsv")),
                            SinkReport.read(work.resolve("replica.tsv")), SinkReport.read(work.resolve("primary-after.tsv")));
                    List<String> broken = new ArrayList<>();
                    int checked = 0;
                    long records = 0;
                    for (String report : List.of("first.tsv", "between.tsv", "after-rejoin.tsv")) {
                        for (PushClientReport.Connection c : PushClientReport.read(work.resolve(report)).connections()) {
                            checkJoined(c, applications).ifPresent(broken::add);
                            checked++;
                            records += c.recordsSent();
                        }
                    }
                    System.out.printf("[lab %s] %d connections, %d records checked across the three applications%n", PREFIX, checked,
                            records);
                    assertEquals(all, checked);
                    assertTrue(broken.isEmpty(), () -> broken.size() + " connections broken:\n" + String.join("\n",
                            broken.subList(0, Math.min(10, broken.size()))));
                }
            }
        }
        assertFalse(LabNetwork.leftovers(PREFIX), "the lab's namespaces must be gone");
    }

    /**
     * @return why the records of {@code c} do not join up across the applications, in the order
     *         they served it; empty when they do: the first holds record 1, each next one starts at
     *         most one past the last of the one before (resume: a record may reach two), the last
     *         ends at the client's last record, and none lost a record, tore one or got one twice
     */
    private static Optional<String> checkJoined(PushClientReport.Connection c, List<SinkReport> applications) {
        if (!c.error().isEmpty()) {
            return Optional.of("connection " + c.id() + ": the client's error: " + c.error());
        }
        List<SinkReport.Connection> served = new ArrayList<>();
        for (SinkReport application : applications) {
            application.byConnId(c.id()).filter(s -> s.records() > 0).ifPresent(served::add);
        }
        if (served.isEmpty()) {
            return Optional.of("connection " + c.id() + ": no application got a record");
        }
        long next = 1;
        for (SinkReport.Connection s : served) {
            if (s.firstSeq() > next || s.gaps() != 0 || s.torn() != 0 || s.duplicates() != 0 || s.corrupt() != 0) {
                return Optional.of("connection " + c.id() + ": record " + next + " expected next, then " + served);
            }
            next = Math.max(next, s.lastSeq() + 1);
        }
        return next - 1 == c.recordsSent() ? Optional.empty()
                : Optional.of("connection " + c.id() + ": the client sent " + c.recordsSent() + " records, the applications got up to "
                        + (next - 1) + ": " + served);
    }

    private static LabProcess sink(LabNetwork lab, Role role, String name, Path report) {
        LabProcess sink = lab.startJava(role, name, SinkServer.class,
                new SinkServer.Options().bind("0.0.0.0").port(PORT).report(report).toArgs());
        sink.awaitOutput(SinkServer.LISTENING, Duration.ofSeconds(20));
        return sink;
    }

    private static LabProcess client(LabNetwork lab, String name, String service, int connections, int firstId, Path report) {
        LabProcess client = lab.startJava(Role.CLIENT, name, PushClient.class, new PushClient.Options().host(service).port(PORT)
                .connections(connections).firstId(firstId).intervalMillis(INTERVAL_MILLIS).durationMillis(240_000).report(report)
                .reportIntervalMillis(500).toArgs());
        client.awaitOutput(PushClient.STARTED, Duration.ofSeconds(30));
        return client;
    }

    /**
     * A watching host's configuration, the same on either host but for the names: the service,
     * its capture (both directions: once it serves, its own kernel's answers are part of the
     * conversations it tracks and syncs), its replica (the application on this host), the direct
     * path with keepalived's track file, and an ICMP monitor on the host it watches.
     */
    private static Map<String, Map<String, String>> watching(LabNetwork lab, String service, Role self, Role watched, Path trackFile) {
        Map<String, Map<String, String>> configs = new HashMap<>();
        configs.put("org.migware.service", Map.of("addresses", service, "ports", Integer.toString(PORT)));
        configs.put("org.migware.capture.pcap4j", Map.of("interfaceName", LabNetwork.ROLE_INTERFACE, "direction", "INOUT",
                "bufferSize", "67108864"));
        configs.put("org.migware.capture.file", Map.of());
        configs.put("org.migware.proxy", Map.of("replicaAddress", lab.address(self), "directPath", "true",
                "keepalivedTrackFile", trackFile.toString()));
        Map<String, String> icmp = new HashMap<>(DetectionExperiment.Profile.FAST.of(DetectionExperiment.Monitor.ICMP));
        icmp.put("target", lab.address(watched)); // the host, not the address keepalived moves
        configs.put(DetectionExperiment.Monitor.ICMP.pid(), icmp);
        return configs;
    }

    private static void awaitWatching(MigwareInstance migware, Path trackFile) {
        Await.until("MigWare capturing and tracking with its ICMP monitor UP", Duration.ofSeconds(30), () -> {
            var s = migware.status();
            return s.capturing() && s.tracking() && s.says("icmp", "UP");
        });
        Await.until("MigWare holding its keepalived back (track file 1)", Duration.ofSeconds(10), () -> {
            try {
                return Files.isRegularFile(trackFile) && Files.readString(trackFile).strip().equals("1");
            } catch (java.io.IOException e) {
                return false;
            }
        });
    }

    /** Waits until both hosts' tables (the established connections with a known handshake) are what ss on the client shows. */
    private static void awaitSameTables(LabNetwork lab, String service, int connections, MigwareInstance rejoined, MigwareInstance backup) {
        try {
            Await.until("both hosts' tables equal ss on the client", Duration.ofSeconds(30), () -> {
                Set<String> ss = established(lab, service);
                return ss.size() == connections && MigwareSyncView.of(rejoined).establishedKnown().equals(ss)
                        && MigwareSyncView.of(backup).establishedKnown().equals(ss);
            });
        } catch (RuntimeException e) {
            Set<String> ss = established(lab, service);
            throw new AssertionError(e.getMessage() + ": ss on the client " + ss.size() + " " + ss + ";\nthe rejoined host: "
                    + difference(MigwareSyncView.of(rejoined), ss) + ";\nthe serving host: " + difference(MigwareSyncView.of(backup), ss), e);
        }
    }

    private static String difference(MigwareSyncView view, Set<String> ss) {
        Set<String> known = view.establishedKnown();
        Set<String> missing = new TreeSet<>(ss);
        missing.removeAll(known);
        Set<String> extra = new TreeSet<>(known);
        extra.removeAll(ss);
        return known.size() + " known (" + view.established("sync").size() + " through sync), missing " + missing + ", extra " + extra
                + ", handshake missed " + view.established("missed");
    }

    /** @return ss on the client: the local address:port of every established connection to the service */
    private static Set<String> established(LabNetwork lab, String service) {
        String out = lab.exec(Role.CLIENT, "ss", "-Htn", "state", "established", "dst", service + ":" + PORT).requireSuccess().stdout();
        Set<String> clients = new TreeSet<>();
        for (String line : out.split("\n")) {
            String[] words = line.trim().split("\\s+");
            if (words.length >= 4) {
                clients.add(words[words.length - 2]);
            }
        }
        return clients;
    }

    /** @return the client's Tcp EstabResets: established connections ended by a reset */
    private static long estabResets(LabNetwork lab) {
        List<String> lines = lab.exec(Role.CLIENT, "cat", "/proc/net/snmp").requireSuccess().stdout().lines()
                .filter(l -> l.startsWith("Tcp:")).toList();
        List<String> names = List.of(lines.get(0).split("\\s+"));
        return Long.parseLong(lines.get(1).split("\\s+")[names.indexOf("EstabResets")]);
    }

    private record Timings(long pullToDecision, long decisionToProxy) {
    }

    /** @return the decision and PROXY after {@code pulled}, from MigWare's log */
    private static Timings timings(String log, Instant pulled) {
        Map<String, Instant> at = new HashMap<>();
        Matcher m = TRANSITION.matcher(log);
        while (m.find()) {
            Instant when = Instant.parse(m.group(2));
            if (!when.isBefore(pulled)) {
                at.putIfAbsent(m.group(1), when);
            }
        }
        Instant decision = at.get("RECOVERY");
        Instant proxy = at.get("PROXY");
        return new Timings(decision == null ? -1 : Duration.between(pulled, decision).toMillis(),
                decision == null || proxy == null ? -1 : Duration.between(decision, proxy).toMillis());
    }
}
