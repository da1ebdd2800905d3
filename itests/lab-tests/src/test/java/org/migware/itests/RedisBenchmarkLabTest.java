package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.migware.lab.experiments.ReplayExperiment;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.Role;

/**
 * Issue "Untrusted frames", point 13: request/response at full rate through the pull, as a new
 * user tried it. A real redis-server on the primary and on the backup, redis-benchmark in the
 * client with 50 keep-alive connections sending as fast as they can (SET and GET of one key,
 * no pipelining), the primary's cable pulled while it runs. Every run must finish, with no error
 * line and redis-benchmark's exit status 0; each run's capture drops are reported beside it.
 *
 * <p>Delivery {@code resume} (the shipped default). With {@code replay} or {@code auto}, a run whose
 * capture kept every frame (so every connection was replayable) hung: 44 of 50 connections stayed
 * in catch-up, the replica's last reply retransmitted and dropped by the replay check each time
 * (issue "Untrusted frames", point 13; left open there). {@code -Dmigware.redis.runs=10} for the
 * README's ten consecutive runs; CI runs three.
 */
class RedisBenchmarkLabTest {

    private static final int PORT = 6379;
    private static final int CLIENTS = 50;

    @Test
    void redisBenchmarkFinishesWithoutErrorThroughThePull() {
        int runs = Integer.getInteger("migware.redis.runs", 3);
        List<String> outcomes = new ArrayList<>();
        for (int run = 1; run <= runs; run++) {
            String prefix = "mwredis";
            try (ReplayExperiment lab = ReplayExperiment.create(prefix, PORT)) {
                for (Role role : new Role[] {Role.PRIMARY, Role.BACKUP}) {
                    lab.lab().start(role, "redis-" + role.name().toLowerCase(java.util.Locale.ROOT), "redis-server", "--bind",
                            lab.address(role), "--port", Integer.toString(PORT), "--save", "", "--appendonly", "no",
                            "--protected-mode", "no", "--dir", lab.folder("redis-" + role.name().toLowerCase(java.util.Locale.ROOT)).toString());
                }
                for (Role role : new Role[] {Role.PRIMARY, Role.BACKUP}) {
                    org.migware.lab.Await.until("redis on " + role, Duration.ofSeconds(10), () -> lab.lab().exec(role, "redis-cli", "-h",
                            lab.address(role), "-p", Integer.toString(PORT), "ping").stdout().contains("PONG"));
                }
                lab.startMigware(BuiltDistribution.home(), "resume", Map.of());
                LabProcess benchmark = lab.lab().start(Role.CLIENT, "redis-benchmark", "redis-benchmark", "-h",
                        lab.address(Role.PRIMARY), "-p", Integer.toString(PORT), "-c", Integer.toString(CLIENTS), "-n", "400000",
                        "-t", "set,get", "-d", "16", "-k", "1", "-q");
                sleep(3_000);
                assertTrue(benchmark.isAlive(), () -> "the benchmark still runs at the pull: " + benchmark.stdout() + benchmark.stderr());
                lab.pull();
                lab.awaitProxy(Duration.ofSeconds(30));
                boolean finished = benchmark.waitFor(Duration.ofSeconds(120));
                String after = lab.statusJson();
                String output = benchmark.stdout() + benchmark.stderr();
                long dropped = ReplayExperiment.count(after, "droppedByKernel");
                String outcome = "run " + run + ": " + (finished ? "finished, exit " + benchmark.exitCode().orElse(-1) : "HUNG")
                        + ", capture dropped " + dropped + " frames (kernel), " + ReplayExperiment.count(after, "recovered")
                        + " recovered; " + output.lines().filter(l -> l.contains("requests per second"))
                                .map(String::strip).reduce((a, b) -> a + "; " + b).orElse("");
                outcomes.add(outcome);
                System.out.println("[redis] " + outcome);
                assertTrue(finished, () -> "redis-benchmark hung after the pull: " + outcome + "\n" + output + "\n" + after);
                assertEquals(0, benchmark.exitCode().orElse(-1), () -> output);
                assertFalse(output.toLowerCase(java.util.Locale.ROOT).contains("error"), () -> "an error line: " + output);
            }
            assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
        }
        System.out.println("[redis] " + String.join("\n[redis] ", outcomes));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
