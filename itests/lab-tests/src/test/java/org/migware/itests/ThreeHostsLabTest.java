package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.migware.lab.Await;
import org.migware.lab.experiments.MigwareInstance;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.LinkEnd;
import org.migware.lab.network.Role;
import org.migware.lab.roles.Keepalived;
import org.migware.lab.roles.Site;
import org.migware.lab.workloads.PushClientReport;
import org.migware.lab.workloads.SinkReport;

/**
 * Issue 13, point 4: three hosts, two backups, keepalived priorities 200 (the primary), 150 and
 * 100. Each backup's MigWare watches the service address itself and claims through keepalived
 * ({@code claimThroughKeepalived}): at the primary's death both decide, both release keepalived,
 * VRRP makes exactly one the master, and only that one takes the connections over; the other
 * sees the service answer again (from the winner) and stands down. At the winner's death the
 * remaining backup takes every connection over.
 *
 * <p>Oracles: {@code ip addr} on each host (who owns the service address), the applications
 * (the standing-down backup's replica gets no connection at the first failover; every
 * connection's records join up across the three applications), and the client's kernel ({@code
 * ss}, EstabResets). The stand-down is read from the standing-down MigWare's status, as the
 * point asks for it.
 */
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
class ThreeHostsLabTest {

    private static final String PREFIX = "mwthree";
    private static final int CONNECTIONS = 40;
    private static final long INTERVAL_MILLIS = 200;

    @Test
    void exactlyOneBackupTakesOverAndTheOtherStandsDownThenTakesOverAtTheSecondFailover() throws Exception {
        Path distribution = BuiltDistribution.home();
        try (LabNetwork lab = LabNetwork.builder().prefix(PREFIX).secondBackup(true).replaceLeftovers(true).create()) {
            Path work = lab.workDir();
            String service = Site.serviceAddress(lab);
            String serviceWithLength = service + "/" + lab.prefixLength();

            LabProcess primarySink = Site.sink(lab, Role.PRIMARY, "primary-sink", work.resolve("primary.tsv"));
            LabProcess firstSink = Site.sink(lab, Role.BACKUP, "backup-sink", work.resolve("backup.tsv"));
            LabProcess secondSink = Site.sink(lab, Role.SECOND_BACKUP, "second-sink", work.resolve("second.tsv"));
            Path firstTrack = work.resolve("keepalived-backup.track");
            Path secondTrack = work.resolve("keepalived-second.track");
            Keepalived primaryVrrp = Keepalived.start(lab, Role.PRIMARY, distribution, serviceWithLength, 200,
                    List.of(Role.BACKUP, Role.SECOND_BACKUP), null);
            Keepalived firstVrrp = Keepalived.start(lab, Role.BACKUP, distribution, serviceWithLength, 150,
                    List.of(Role.PRIMARY, Role.SECOND_BACKUP), firstTrack);
            Keepalived secondVrrp = Keepalived.start(lab, Role.SECOND_BACKUP, distribution, serviceWithLength, 100,
                    List.of(Role.PRIMARY, Role.BACKUP), secondTrack);
            Await.until("the primary's keepalived owns " + service, Duration.ofSeconds(20), () -> primaryVrrp.owns(service));

            Map<Role, Path> tracks = Map.of(Role.BACKUP, firstTrack, Role.SECOND_BACKUP, secondTrack);
            Map<Role, Keepalived> vrrp = Map.of(Role.BACKUP, firstVrrp, Role.SECOND_BACKUP, secondVrrp);
            Map<Role, String> reports = Map.of(Role.BACKUP, "backup.tsv", Role.SECOND_BACKUP, "second.tsv");
            try (MigwareInstance first = MigwareInstance.start(lab, Role.BACKUP, distribution, claiming(lab, service, Role.BACKUP, firstTrack),
                    Duration.ofSeconds(60));
                    MigwareInstance second = MigwareInstance.start(lab, Role.SECOND_BACKUP, distribution,
                            claiming(lab, service, Role.SECOND_BACKUP, secondTrack), Duration.ofSeconds(60))) {
                Map<Role, MigwareInstance> migware = Map.of(Role.BACKUP, first, Role.SECOND_BACKUP, second);
                Site.awaitWatching(first, firstTrack);
                Site.awaitWatching(second, secondTrack);
                long resetsBefore = Site.estabResets(lab);
                LabProcess clients = Site.client(lab, "clients", service, CONNECTIONS, 1, INTERVAL_MILLIS, work.resolve("clients.tsv"));
                Await.until("ss on the client: every connection established", Duration.ofSeconds(30),
                        () -> Site.established(lab, service).size() == CONNECTIONS);
                Thread.sleep(2000);

                // The primary dies: both backups decide, both claim; keepalived makes one the master. Which
                // one depends on which released keepalived first (their own detection) and on the priorities.
                Instant firstPull = Instant.now();
                lab.pullPrimaryLink();
                Await.until("one backup's MigWare in PROXY", Duration.ofSeconds(20), () -> first.status().proxy() || second.status().proxy());
                Role winner = first.status().proxy() ? Role.BACKUP : Role.SECOND_BACKUP;
                Role other = winner == Role.BACKUP ? Role.SECOND_BACKUP : Role.BACKUP;
                Await.until("the other backup's MigWare watching again (NORMAL)", Duration.ofSeconds(20),
                        () -> migware.get(other).status().normal());
                Thread.sleep(3000); // records flow to the winner's application
                boolean winnerOwns = vrrp.get(winner).owns(service);
                boolean otherOwnsAfterFirst = vrrp.get(other).owns(service);
                boolean winnerStillProxy = migware.get(winner).status().proxy();
                String otherReason = migware.get(other).status().reason();
                int establishedAfterFirst = Site.established(lab, service).size();
                long otherAcceptedAfterFirst = SinkReport.read(work.resolve(reports.get(other))).connections().size(); // rewritten every second
                Map<String, Instant> winnerTimes = Site.loggedTransitions(migware.get(winner).log(), firstPull);
                Map<String, Instant> otherClaim = Site.loggedTransitions(migware.get(other).log(), firstPull);
                Await.until("the other backup holds its keepalived back again", Duration.ofSeconds(10),
                        () -> read(tracks.get(other)).equals("1"));

                // The winner dies: the remaining backup takes every connection over.
                Instant secondPull = Instant.now();
                lab.pullLink(winner, LinkEnd.HUB);
                Await.until("the remaining backup's MigWare in PROXY", Duration.ofSeconds(20), () -> migware.get(other).status().proxy());
                Await.until("the remaining backup's keepalived owns " + service, Duration.ofSeconds(10), () -> vrrp.get(other).owns(service));
                Thread.sleep(3000);
                int establishedAfterSecond = Site.established(lab, service).size();
                Map<String, Instant> otherTimes = Site.loggedTransitions(migware.get(other).log(), secondPull);

                clients.destroy();
                assertTrue(clients.waitFor(Duration.ofSeconds(30)), "the clients end");
                Thread.sleep(2000);
                primarySink.destroy();
                firstSink.destroy();
                secondSink.destroy();
                long resetsAfter = Site.estabResets(lab);

                System.out.printf("[lab %s] first failover, MigWare's logs: pull -> claims %d ms (%s, the winner) and %d ms (%s);"
                        + " claim -> VRRP master -> RECOVERY %d ms; RECOVERY -> PROXY %d ms; the other stood down %d ms after the pull: %s%n",
                        PREFIX, Site.millis(firstPull, winnerTimes.get("CLAIMING")), winner, Site.millis(firstPull, otherClaim.get("CLAIMING")),
                        other, Site.millis(winnerTimes.get("CLAIMING"), winnerTimes.get("RECOVERY")),
                        Site.millis(winnerTimes.get("RECOVERY"), winnerTimes.get("PROXY")), Site.millis(firstPull, otherClaim.get("NORMAL")),
                        otherReason);
                System.out.printf("[lab %s] second failover, MigWare's log: pull -> claim %d ms, claim -> RECOVERY %d ms, RECOVERY -> PROXY"
                        + " %d ms; established %d -> %d of %d; client EstabResets %d -> %d%n", PREFIX,
                        Site.millis(secondPull, otherTimes.get("CLAIMING")), Site.millis(otherTimes.get("CLAIMING"), otherTimes.get("RECOVERY")),
                        Site.millis(otherTimes.get("RECOVERY"), otherTimes.get("PROXY")), establishedAfterFirst, establishedAfterSecond,
                        CONNECTIONS, resetsBefore, resetsAfter);

                // Exactly one took over at the first failover.
                assertTrue(winnerOwns, "the backup that took over owns the service address");
                assertTrue(winnerStillProxy, "and stays in PROXY");
                assertFalse(otherOwnsAfterFirst, "the other backup does not own it too");
                assertTrue(otherReason.startsWith("stood down"), "the other backup's status says it stood down: " + otherReason);
                assertTrue(otherClaim.containsKey("CLAIMING"), "the other backup claimed too (both saw the primary die)");
                assertFalse(otherClaim.containsKey("RECOVERY"), "the other backup took nothing over at the first failover");
                assertEquals(0, otherAcceptedAfterFirst, "the other backup's application got no connection at the first failover");
                assertEquals(CONNECTIONS, establishedAfterFirst, "ss on the client after the first failover");

                // The remaining backup took every connection at the second.
                assertEquals(CONNECTIONS, establishedAfterSecond, "ss on the client after the second failover");
                assertEquals(resetsBefore, resetsAfter, "no established connection of the client was reset (EstabResets)");
                SinkReport winnerApp = SinkReport.read(work.resolve(reports.get(winner)));
                SinkReport otherApp = SinkReport.read(work.resolve(reports.get(other)));
                List<SinkReport> applications = List.of(SinkReport.read(work.resolve("primary.tsv")), winnerApp, otherApp);
                List<String> broken = new ArrayList<>();
                List<PushClientReport.Connection> sent = PushClientReport.read(work.resolve("clients.tsv")).connections();
                for (PushClientReport.Connection c : sent) {
                    Site.checkJoined(c, applications).ifPresent(broken::add);
                }
                assertEquals(CONNECTIONS, sent.size());
                assertTrue(broken.isEmpty(), () -> broken.size() + " connections broken:\n" + String.join("\n", broken.subList(0,
                        Math.min(10, broken.size()))));
                for (PushClientReport.Connection c : sent) {
                    assertTrue(winnerApp.byConnId(c.id()).map(a -> a.records() > 0).orElse(false),
                            "connection " + c.id() + " went through the winner's application");
                    assertTrue(otherApp.byConnId(c.id()).map(a -> a.records() > 0).orElse(false),
                            "and then through the remaining backup's");
                }
            }
        }
        assertFalse(LabNetwork.leftovers(PREFIX), "the lab's namespaces must be gone");
    }

    /** A backup of a site with two: it watches the service address and claims through keepalived. */
    private static Map<String, Map<String, String>> claiming(LabNetwork lab, String service, Role self, Path trackFile) {
        Map<String, Map<String, String>> configs = new HashMap<>(Site.watching(lab, service, self, service, trackFile));
        configs.put("org.migware.core.failover", Map.of("claimThroughKeepalived", "true", "claimTimeoutMillis", "3000"));
        return configs;
    }

    private static String read(Path file) {
        try {
            return java.nio.file.Files.isRegularFile(file) ? java.nio.file.Files.readString(file).strip() : "";
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
