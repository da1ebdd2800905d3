package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.migware.lab.Await;
import org.migware.lab.experiments.DetectionExperiment;
import org.migware.lab.experiments.MigrationExperiment;
import org.migware.lab.experiments.MigrationExperiment.Result;
import org.migware.lab.experiments.MigrationExperiment.Scenario;
import org.migware.lab.experiments.MigwareInstance;
import org.migware.lab.experiments.ReplayExperiment;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.Role;
import org.migware.lab.workloads.CurlDownload;
import org.migware.lab.workloads.NginxServer;
import org.migware.lab.workloads.SeededFile;

/**
 * Issue 10's edge states on the lab, with real servers and clients as the oracle: nginx on the
 * primary and the replica, curl on the client.
 */
@Timeout(value = 3, unit = java.util.concurrent.TimeUnit.MINUTES)
class EdgeStatesLabTest {

    private static final int HTTP_PORT = 8080;

    /**
     * A failover with no connection at all: nothing to recover, no mapping names the service. The
     * client's neighbour cache is flushed after PROXY, so it must ask ARP for the primary's address
     * again, and MigWare alone can answer (the MAC it saw the primary answer its ICMP monitor
     * from). A new download then reaches the service, now the replica, whole.
     */
    @Test
    void afterAFailoverWithNoConnectionNewClientsStillReachTheService() {
        String prefix = "mwnoc";
        try (ReplayExperiment lab = ReplayExperiment.create(prefix, HTTP_PORT)) {
            Path www = lab.folder("www");
            Path file = SeededFile.write(www.resolve("file.bin"), 1 << 20, 21);
            NginxServer.start(lab.lab(), Role.PRIMARY, lab.lab().workDir().resolve("nginx-primary"), lab.address(Role.PRIMARY),
                    HTTP_PORT, www);
            NginxServer.start(lab.lab(), Role.BACKUP, lab.lab().workDir().resolve("nginx-backup"), lab.address(Role.BACKUP),
                    HTTP_PORT, www);
            lab.startMigware(BuiltDistribution.home(), "resume", Map.of());
            lab.pull();
            Instant proxy = lab.awaitProxy(Duration.ofSeconds(30));
            lab.lab().exec(Role.CLIENT, "ip", "neigh", "flush", "all").requireSuccess();
            String primary = lab.address(Role.PRIMARY);
            CurlDownload client = CurlDownload.start(lab.lab(), Role.CLIENT, "curl-new", lab.folder("downloads"), 100L << 20,
                    "http://" + primary + ":" + HTTP_PORT + "/file.bin");
            Optional<CurlDownload.Outcome> outcome = client.await(Duration.ofSeconds(30));
            String neighbours = lab.lab().exec(Role.CLIENT, "ip", "neigh", "show", primary).requireSuccess().stdout();
            System.out.println("[lab " + prefix + "] PROXY since " + proxy + "; the client's neighbour entry now: " + neighbours.trim());
            assertTrue(outcome.isPresent(), () -> "curl still runs 30 s later: ARP unanswered?\n" + neighbours + "\n" + lab.statusJson());
            CurlDownload.Outcome o = outcome.get();
            assertEquals(0, o.exitCode(), () -> "the new connection reached the service: " + o + "\nneighbours: " + neighbours);
            assertEquals(SeededFile.sha256(file), SeededFile.sha256(client.outputs().get(0)), "the file, whole");
            assertTrue(neighbours.contains("lladdr"), () -> "the client resolved the primary's address again: " + neighbours);
        }
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
    }

    /**
     * The TUN to the replica is deleted in PROXY ({@code ip link del mig0} on the backup): MigWare
     * finds it, says so, creates it again, and the carried connections carry on after a stall. The
     * oracle: the push clients' records at the replica's application (no gap, no duplicate, none
     * torn, up to each client's last), and the backup's kernel, which has the interface again.
     */
    @Test
    void aTunDeletedInProxyIsCreatedAgainAndTheConnectionsCarryOn() {
        String prefix = "mwtun";
        AtomicReference<String> linkAfter = new AtomicReference<>("");
        MigrationExperiment.Options options = MigrationExperiment.Options.forScenario(Scenario.PUSH, BuiltDistribution.home())
                .withPrefix(prefix).withConnections(10).withIntervalMillis(100).withBeforeFailureMillis(6000)
                .withAfterFailureMillis(10_000).withMonitor(DetectionExperiment.Profile.FAST);
        Result result = MigrationExperiment.run(options, message -> System.out.println("[lab " + prefix + "] " + message),
                new MigrationExperiment.Observer() {
                    @Override
                    public void pulled(LabNetwork lab, MigwareInstance migware, Instant pulled) {
                        Await.until("PROXY", Duration.ofSeconds(30), () -> migware.status().proxy());
                        Await.sleep(2000); // records flow through the proxy
                        lab.exec(Role.BACKUP, "ip", "link", "del", "mig0").requireSuccess();
                        System.out.println("[lab " + prefix + "] mig0 deleted at " + Instant.now());
                        Await.until("mig0 back", Duration.ofSeconds(10),
                                () -> lab.exec(Role.BACKUP, "ip", "link", "show", "mig0").exitCode() == 0);
                        linkAfter.set(lab.exec(Role.BACKUP, "ip", "-br", "address", "show", "mig0").stdout().trim());
                        System.out.println("[lab " + prefix + "] mig0 back at " + Instant.now() + ": " + linkAfter.get());
                    }
                });
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
        assertTrue(linkAfter.get().startsWith("mig0"), () -> "the backup's kernel has the TUN again: " + linkAfter.get());
        assertTrue(result.log().contains("failed") && result.log().contains("is open again"),
                "MigWare said what happened: the TUN failed, and is open again");
        for (MigrationExperiment.ConnectionOutcome c : result.connections()) {
            assertEquals("", c.clientError(), c::toString);
            assertTrue(c.survived(), () -> "records after the TUN came back, without gap: " + c + "\n" + result.statusAfter());
            assertEquals(0, c.replicaTorn(), c::toString);
        }
        assertEquals(10, result.survived(), result::statusAfter);
    }
}
