package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.migware.lab.experiments.ReplayExperiment;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.LinkEnd;
import org.migware.lab.network.Role;

/**
 * Issue "Untrusted frames", point 13: request/response at full rate through the pull, as a new
 * user tried it. A real redis-server on the primary and on the backup, redis-benchmark in the
 * client with 50 keep-alive connections sending as fast as they can (SET and GET of one key,
 * no pipelining), the primary's cable pulled while it runs. Every run must finish, with no error
 * line and redis-benchmark's exit status 0; each run's capture drops are reported beside it.
 *
 * <p>Each entry of {@code -Dmigware.redis.deliveries}, {@code -Dmigware.redis.runs} runs each
 * (default 3; 10 for the README's ten consecutive runs). An entry is a delivery, optionally with a
 * rate for the client's link after an {@code @} ({@code auto@10mbit}: a tbf qdisc on what the
 * client sends, and 100,000 requests per test instead of 400,000 so that a run stays near half a
 * minute). CI runs {@code resume,auto@10mbit}.
 *
 * <p>With {@code replay} or {@code auto} every connection whose capture kept every frame is
 * replayed. Such runs used to hang: 44 of 50 connections stayed in catch-up, the replica's last
 * reply retransmitted and dropped by the replay check as a hole each time, because the client's
 * own acknowledgements, translated to the replica, had acknowledged replica bytes the check never
 * saw — bytes lost between the replica's stack and MigWare when the regenerated output of 50
 * connections at once overflows the TUN's queue (issue 10, point 13). Each run reports the TUN's
 * transmit drops beside the capture's. At full rate this machine's capture drops frames in most
 * runs, and a connection with a gap is resumed by {@code auto} (so few are replayed); shaped, the
 * capture keeps most runs whole and nearly every connection is replayed.
 *
 * <p>Delivery {@code replay} resets at failover every connection of which the capture missed a
 * frame (by design: it cannot be replayed, and resumed it would be wrong for the sessions replay is
 * chosen for), and redis-benchmark counts a reset as an error: {@code replay} passes only in runs
 * whose capture kept every frame. On this machine (2 cores, shared with other builds) that held in 3
 * of 3 runs shaped to 5 Mbit/s and in 8 of 12 at 10 Mbit/s, the misses being bursts of 17 to 8,337
 * frames; so it is not in CI.
 * {@code -Dmigware.redis.deliveries=replay@5mbit} runs it.
 */
class RedisBenchmarkLabTest {

    private static final int PORT = 6379;
    private static final int CLIENTS = 50;

    static List<String> deliveries() {
        return List.of(System.getProperty("migware.redis.deliveries", "resume,auto@10mbit").split(","));
    }

    @ParameterizedTest(name = "delivery {0}")
    @MethodSource("deliveries")
    void redisBenchmarkFinishesWithoutErrorThroughThePull(String entry) {
        int runs = Integer.getInteger("migware.redis.runs", 3);
        String delivery = entry.contains("@") ? entry.substring(0, entry.indexOf('@')) : entry;
        String clientRate = entry.contains("@") ? entry.substring(entry.indexOf('@') + 1) : null;
        int requests = clientRate == null ? 400_000 : 100_000;
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
                if (clientRate != null) {
                    // What the client sends, shaped (tbf): fewer frames a second for the capture to keep.
                    lab.lab().setQdisc(Role.CLIENT, LinkEnd.ROLE, "tbf", "rate", clientRate, "burst", "32kbit", "latency", "200ms");
                }
                lab.startMigware(BuiltDistribution.home(), delivery, Map.of());
                LabProcess benchmark = lab.lab().start(Role.CLIENT, "redis-benchmark", "redis-benchmark", "-h",
                        lab.address(Role.PRIMARY), "-p", Integer.toString(PORT), "-c", Integer.toString(CLIENTS), "-n", Integer.toString(requests),
                        "-t", "set,get", "-d", "16", "-k", "1", "-q");
                sleep(3_000);
                assertTrue(benchmark.isAlive(), () -> "the benchmark still runs at the pull: " + benchmark.stdout() + benchmark.stderr());
                lab.pull();
                lab.awaitProxy(Duration.ofSeconds(30));
                boolean finished = benchmark.waitFor(Duration.ofSeconds(120));
                String after = lab.statusJson();
                String output = benchmark.stdout() + benchmark.stderr();
                long dropped = ReplayExperiment.count(after, "droppedByKernel");
                String shaped = clientRate == null ? "" : " (client shaped to " + clientRate + ")";
                String replay = ReplayExperiment.count(after, "replayed") + " replayed, " + ReplayExperiment.count(after, "caughtUp")
                        + " caught up, " + ReplayExperiment.count(after, "resetAtFailover") + " reset at failover (not replayable: "
                        + ReplayExperiment.count(after, "captureGaps") + " with a capture gap)";
                String outcome = delivery + shaped + " run " + run + ": "
                        + (finished ? "finished, exit " + benchmark.exitCode().orElse(-1) : "HUNG")
                        + ", capture dropped " + dropped + " frames (kernel), " + ReplayExperiment.count(after, "recovered")
                        + " recovered, " + replay + ", TUN dropped " + tunDrops(lab) + " replica packets; "
                        + output.lines().filter(l -> l.contains("requests per second")).map(String::strip)
                                .reduce((a, b) -> a + "; " + b).orElse("");
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

    /** @return the packets the TUN dropped on their way from the replica's stack to MigWare ({@code ip -s link}), -1 if unknown */
    private static long tunDrops(ReplayExperiment lab) {
        String text = lab.lab().exec(Role.BACKUP, "ip", "-s", "-j", "link", "show", "mig0").stdout();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"tx\":\\{[^}]*\"dropped\":(\\d+)").matcher(text);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
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
