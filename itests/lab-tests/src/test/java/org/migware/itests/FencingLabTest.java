package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.migware.lab.experiments.DetectionExperiment;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.LinkEnd;
import org.migware.lab.experiments.MigrationExperiment;
import org.migware.lab.experiments.MigrationExperiment.Result;
import org.migware.lab.experiments.MigrationExperiment.Scenario;
import org.migware.lab.experiments.MigwareInstance;
import org.migware.lab.network.Role;

/**
 * A primary that comes back after failover (here: its server process is gone, as after a
 * reboot, and its cable is plugged in again) answers the clients' next segments with resets, and
 * the clients accept them. The fence command — here it shuts the primary's own interface, as a
 * site's would power the host off — runs before MigWare takes the connections, so the returning
 * primary stays cut off and every connection lives on. The control run without a fence shows
 * the danger is real. The oracle is the clients' and the servers' applications.
 */
@Timeout(value = 4, unit = java.util.concurrent.TimeUnit.MINUTES)
class FencingLabTest {

    private static final int CONNECTIONS = 20;

    /** What the returning primary found, seen from the test. */
    private record Return(String primaryInterface, int primaryServerExit) {
    }

    private static Result runWithReturningPrimary(String prefix, boolean fence, CompletableFuture<Return> returned) {
        MigrationExperiment.Options options = MigrationExperiment.Options.defaults(BuiltDistribution.home())
                .withConnections(CONNECTIONS).withPrefix(prefix).withMonitor(DetectionExperiment.Profile.FAST)
                .withBeforeFailureMillis(8000).withAfterFailureMillis(12_000);
        Result result = MigrationExperiment.run(options, message -> System.out.println("[lab " + prefix + "] " + message),
                new MigrationExperiment.Observer() {
                    @Override
                    public void ready(LabNetwork lab, MigwareInstance migware) {
                        if (fence) {
                            migware.configure("org.migware.core.failover", Map.of("fenceCommand",
                                    "ip -n " + lab.namespace(Role.PRIMARY) + " link set " + LabNetwork.ROLE_INTERFACE + " down"));
                        }
                    }

                    @Override
                    public void pulled(LabNetwork lab, MigwareInstance migware, Instant pulled) {
                        Thread primaryReturns = new Thread(() -> {
                            try {
                                returned.complete(primaryReturns(lab, migware));
                            } catch (Exception | Error e) {
                                returned.completeExceptionally(e);
                            }
                        }, "primary-returns");
                        primaryReturns.setDaemon(true);
                        primaryReturns.start();
                    }
                });
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
        return result;
    }

    /** Once MigWare is in PROXY: the primary's server is gone (a reboot) and its cable comes back. */
    private static Return primaryReturns(LabNetwork lab, MigwareInstance migware) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!migware.status().proxy()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("MigWare never reached PROXY:\n" + migware.query("migware:status"));
            }
            Thread.sleep(100);
        }
        Thread.sleep(1000);
        LabProcess server = lab.processes().stream().filter(p -> p.name().equals("primary-sink")).findFirst()
                .orElseThrow(() -> new AssertionError("no primary-sink among " + lab.processes()));
        int exit = server.destroy(LabProcess.DEFAULT_GRACE);
        lab.restoreLink(Role.PRIMARY, LinkEnd.HUB);
        String state = lab.exec(Role.PRIMARY, "ip", "-br", "link", "show", LabNetwork.ROLE_INTERFACE).requireSuccess().stdout();
        return new Return(state.trim(), exit);
    }

    private static String explain(Result result) {
        return result.connections().stream().filter(c -> !c.survived()).limit(10).map(Object::toString)
                .collect(Collectors.joining("\n")) + "\n" + result.statusAfter();
    }

    @Test
    void withAFenceEveryConnectionOutlivesThePrimarysReturn() {
        CompletableFuture<Return> returned = new CompletableFuture<>();
        Result result = runWithReturningPrimary("mwfen", true, returned);
        Return seen = returned.join();
        assertTrue(seen.primaryInterface().contains("DOWN"), "the fence holds the primary down: " + seen);
        assertTrue(result.log().contains("core: primary fenced"), "the fence ran before the takeover");
        assertTrue(result.log().indexOf("core: primary fenced") < result.log().indexOf("-> RECOVERY"),
                "fenced before RECOVERY");
        assertEquals(CONNECTIONS, result.connections().size());
        assertEquals(CONNECTIONS, result.survived(), () -> "connections broken by the returning primary:\n" + explain(result));
    }

    /** Without a fence the same return breaks connections: what the fence is for. */
    @Test
    void withoutAFenceTheReturningPrimaryResetsTheClients() {
        CompletableFuture<Return> returned = new CompletableFuture<>();
        Result result = runWithReturningPrimary("mwnofen", false, returned);
        Return seen = returned.join();
        assertFalse(seen.primaryInterface().contains("DOWN"), "the primary came back: " + seen);
        long broken = result.connections().stream().filter(c -> !c.clientError().isEmpty()).count();
        System.out.printf("[lab mwnofen] %d of %d clients got an error after the primary returned%n", broken, CONNECTIONS);
        assertTrue(broken > 0, () -> "no client noticed the returning primary:\n" + result.connections().stream()
                .limit(5).map(Object::toString).collect(Collectors.joining("\n")));
    }
}
