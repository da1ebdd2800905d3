package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.migware.lab.Await;
import org.migware.lab.LabException;
import org.migware.lab.experiments.MigrationExperiment;
import org.migware.lab.experiments.MigwareInstance;
import org.migware.lab.experiments.MigwareStatus;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.oracles.RttLog;

/**
 * MigWare's own crash: the container is killed with SIGKILL (nothing saved at that moment, no
 * bundle stopped) and started again at once with the same home, as systemd's
 * {@code Restart=always} would. What it carries must outlive it: the tracker's table in NORMAL,
 * the mappings and the failover state in PROXY, all from the state folder ({@code var/state}).
 * The oracle is the applications: every client's records reach the primary and then the replica,
 * in order, none lost, duplicated or torn, and in request/response every record is answered.
 *
 * <p>The clients' neighbour timers are shortened by the experiment, as in every migration run.
 * Set {@code -Dmigware.restart.connections=N}, {@code -Dmigware.restart.rounds=K} and
 * {@code -Dmigware.restart.intervalMillis=MS} for the README's measurement (the stall a client sees
 * per restart in PROXY).
 */
class RestartLabTest {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    /**
     * NORMAL, with 200 established connections: MigWare is killed and restarted before the pull.
     * Its restarted tracker knows every connection's handshake from the state file, picks each up
     * from its next segments, and the failover that follows carries all 200.
     */
    @Test
    void aCrashInNormalLosesNoConnection() {
        String prefix = "mwrsn";
        int connections = 200;
        List<String> steps = new CopyOnWriteArrayList<>();
        MigrationExperiment.Options options = MigrationExperiment.Options.defaults(BuiltDistribution.home())
                .withConnections(connections).withPrefix(prefix).withBeforeFailureMillis(10_000).withAfterFailureMillis(10_000);
        MigrationExperiment.Result result = MigrationExperiment.run(options, message -> System.out.println("[lab] " + message),
                new MigrationExperiment.Observer() {
                    @Override
                    public void aboutToPull(LabNetwork lab, MigwareInstance migware) {
                        // Every connection has been open for seconds: the tracker's snapshot (every second) holds them.
                        Duration down = migware.crashAndRestart(START_TIMEOUT);
                        steps.add("killed and back in " + down.toMillis() + " ms");
                        Await.until("the restarted tracker holding the table", Duration.ofSeconds(20), () -> {
                            MigwareStatus status = migware.status();
                            return status.normal() && status.capturing() && status.tracked() >= connections;
                        });
                        steps.add("after the restart: " + migware.status().tracked() + " tracked");
                        // The clients kept sending while MigWare was down: let the tracker pick each one up.
                        sleep(2_000);
                    }
                });

        assertEveryConnectionCarried(result, connections, steps);
        for (MigrationExperiment.ConnectionOutcome c : result.connections()) {
            assertTrue(c.replicaLastRecord() > c.primaryLastRecord(), c::toString);
        }
        System.out.println("[restart] NORMAL: " + steps);
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
    }

    /**
     * PROXY: after the failover, while every client's connection runs through MigWare, the
     * container is killed and restarted twice in a row, then once more after a change of its
     * configuration. Every connection carries on after a stall, every record is answered, none is
     * lost or torn. The stall of each restart is the longest round trip of the records sent while
     * MigWare was down, as the client timed it.
     */
    @Test
    void crashesInProxyLoseNoRecord() {
        String prefix = "mwrsp";
        int connections = Integer.getInteger("migware.restart.connections", 200);
        int rounds = Math.max(3, Integer.getInteger("migware.restart.rounds", 3));
        List<String> steps = new CopyOnWriteArrayList<>();
        List<long[]> downWindows = new CopyOnWriteArrayList<>();
        MigrationExperiment.Options options = MigrationExperiment.Options.forScenario(
                MigrationExperiment.Scenario.REQUEST_RESPONSE, BuiltDistribution.home())
                .withConnections(connections).withPrefix(prefix)
                .withIntervalMillis(Long.getLong("migware.restart.intervalMillis", 1000))
                .withConnectRate(connections > 1000 ? 2000 : 1000)
                .withBeforeFailureMillis(connections > 1000 ? 15_000 : 6_000)
                .withAfterFailureMillis(12_000L + rounds * 12_000L);
        MigrationExperiment.Result result = MigrationExperiment.run(options, message -> System.out.println("[lab] " + message),
                new MigrationExperiment.Observer() {
                    @Override
                    public void pulled(LabNetwork lab, MigwareInstance migware, Instant pulled) {
                        Await.until("PROXY with every connection recovered", Duration.ofSeconds(60), () -> {
                            MigwareStatus status = migware.status();
                            return status.proxy() && status.migration().recovered() == connections;
                        });
                        for (int round = 1; round <= rounds; round++) {
                            // The snapshot of the mappings is written every second: wait for one after recovery.
                            sleep(round == 1 ? 3_000 : 500);
                            if (round == rounds) {
                                changeConfiguration(migware.home());
                                steps.add("configuration changed");
                            }
                            long killedAt = System.currentTimeMillis();
                            Duration down = migware.crashAndRestart(START_TIMEOUT);
                            Await.until("PROXY again with every mapping", Duration.ofSeconds(30), () -> {
                                try {
                                    MigwareStatus status = migware.status();
                                    return status.proxy() && status.migration().recovered() == connections;
                                } catch (LabException notYet) {
                                    return false;
                                }
                            });
                            long backAt = System.currentTimeMillis();
                            downWindows.add(new long[] {killedAt, backAt});
                            steps.add("restart " + round + ": control socket back in " + down.toMillis() + " ms, PROXY with "
                                    + connections + " mappings after " + (backAt - killedAt) + " ms");
                            sleep(4_000);
                        }
                    }
                });

        String broken = result.connections().stream().filter(c -> !c.survived() || !c.answeredAfterFailover())
                .map(Object::toString).limit(20).collect(Collectors.joining("\n"));
        assertEquals(connections, result.connections().size());
        assertEquals(connections, result.survived(), () -> "broken connections:\n" + broken + "\nsteps: " + steps + "\n"
                + proxyAndCoreLines(result));
        for (MigrationExperiment.ConnectionOutcome c : result.connections()) {
            assertTrue(c.answeredAfterFailover(), () -> "every record answered after the restarts: " + c);
            assertEquals(0, c.replicaDuplicates(), c::toString);
            assertEquals(0, c.replicaTorn(), c::toString);
            assertEquals(0, c.replicaCorrupt(), c::toString);
        }
        assertEquals(rounds, downWindows.size(), steps::toString);
        RttLog rtt = RttLog.read(result.workDir().resolve("rtt.tsv"));
        List<String> stalls = new ArrayList<>();
        for (long[] window : downWindows) {
            // Records sent from one interval before the kill until MigWare is back: the longest round trip is the stall.
            RttLog.Summary during = rtt.summary(t -> t >= window[0] - 500 && t <= window[1]);
            assertTrue(during.count() > 0, "records were sent while MigWare was down");
            stalls.add(during.maxMicros() / 1000 + " ms");
        }
        RttLog.Summary afterwards = rtt.summary(t -> t > downWindows.get(downWindows.size() - 1)[1] + 2_000);
        assertTrue(afterwards.count() > 0, "records answered after the last restart");
        System.out.println("[restart] PROXY, " + connections + " connections, stall per restart (longest round trip of the"
                + " records sent while MigWare was down, client-timed): " + stalls + "; afterwards " + afterwards.describe()
                + "; steps " + steps);
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
    }

    /**
     * In the middle of RECOVERY of 1,000 connections: the replica's SYN-ACKs are rate-limited
     * (nftables, 100 a second, as a replica slow to answer would be) so that recovery takes seconds,
     * and MigWare is killed once some hundreds are recovered. After the restart every connection is
     * recovered exactly once: the applications see every record after the primary's last, none
     * twice, and the replica's kernel holds exactly 1,000 established connections on the service
     * port (a connection forged twice would leave a second one, its bytes handed over twice).
     */
    @Test
    void aCrashInTheMiddleOfRecoveryRecoversEveryConnectionExactlyOnce() {
        String prefix = "mwrsr";
        int connections = 1000;
        List<String> steps = new CopyOnWriteArrayList<>();
        MigrationExperiment.Options options = MigrationExperiment.Options.defaults(BuiltDistribution.home())
                .withConnections(connections).withPrefix(prefix).withIntervalMillis(1000)
                .withBeforeFailureMillis(10_000).withAfterFailureMillis(30_000);
        int[] established = {-1};
        MigrationExperiment.Result result = MigrationExperiment.run(options, message -> System.out.println("[lab] " + message),
                new MigrationExperiment.Observer() {
                    @Override
                    public void aboutToPull(LabNetwork lab, MigwareInstance migware) {
                        // The shadow network (198.18.0.0/15) is where the replica's answers to forged SYNs go.
                        nft(lab, "add table inet mwslow");
                        nft(lab, "add chain inet mwslow out { type filter hook output priority 0; }");
                        nft(lab, "add rule inet mwslow out ip daddr 198.18.0.0/15 tcp flags & (syn|ack) == syn|ack"
                                + " limit rate over 100/second drop");
                    }

                    @Override
                    public void pulled(LabNetwork lab, MigwareInstance migware, Instant pulled) {
                        Await.until("recovery under way", Duration.ofSeconds(30), () -> {
                            MigwareStatus status = migware.status();
                            return status.migration().recovered() >= 150;
                        });
                        MigwareStatus atKill = migware.status();
                        Duration down = migware.crashAndRestart(START_TIMEOUT);
                        steps.add("killed with " + atKill.migration().recovered() + " recovered, " + atKill.migration().pending()
                                + " pending (" + atKill.state() + "); back in " + down.toMillis() + " ms");
                        nft(lab, "delete table inet mwslow");
                        Await.until("PROXY with every connection recovered", Duration.ofSeconds(60), () -> {
                            try {
                                MigwareStatus status = migware.status();
                                return status.proxy() && status.migration().recovered() == connections;
                            } catch (LabException notYet) {
                                return false;
                            }
                        });
                        steps.add("after the restart: " + migware.status().migration());
                        sleep(3_000);
                        String sockets = lab.exec(org.migware.lab.network.Role.BACKUP, "ss", "-Htn", "state", "established",
                                "( sport = :" + options.port() + " )").requireSuccess().stdout();
                        established[0] = (int) sockets.lines().filter(line -> !line.isBlank()).count();
                    }
                });

        assertEveryConnectionCarried(result, connections, steps);
        assertEquals(connections, established[0], () -> "the replica's established connections on the service port; steps " + steps);
        System.out.println("[restart] RECOVERY: " + steps);
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
    }

    private static void nft(LabNetwork lab, String command) {
        List<String> words = new ArrayList<>(List.of("nft"));
        words.add(command);
        lab.exec(org.migware.lab.network.Role.BACKUP, words.toArray(String[]::new)).requireSuccess();
    }

    /** A real change while the container is up: a tracker setting the restarted container reads from etc/. */
    private static void changeConfiguration(Path home) {
        Path tracker = home.resolve("etc/org.migware.tracker.cfg");
        try {
            List<String> lines = Files.exists(tracker) ? new ArrayList<>(Files.readAllLines(tracker)) : new ArrayList<>();
            lines.removeIf(line -> line.startsWith("idleTimeoutSeconds"));
            lines.add("idleTimeoutSeconds = 7201");
            Files.write(tracker, lines);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every connection lived on: every record after the primary's last at the replica, none twice, none torn. */
    private static void assertEveryConnectionCarried(MigrationExperiment.Result result, int connections, List<String> steps) {
        String broken = result.connections().stream().filter(c -> !c.survived()).map(Object::toString).limit(20)
                .collect(Collectors.joining("\n"));
        assertEquals(connections, result.connections().size());
        assertEquals(connections, result.survived(), () -> "broken connections:\n" + broken + "\nsteps: " + steps + "\n"
                + proxyAndCoreLines(result));
        for (MigrationExperiment.ConnectionOutcome c : result.connections()) {
            assertEquals(0, c.replicaDuplicates(), c::toString);
            assertEquals(0, c.replicaTorn(), c::toString);
        }
    }

    private static String proxyAndCoreLines(MigrationExperiment.Result result) {
        return result.log().lines().filter(l -> l.contains("proxy:") || l.contains("core:") || l.contains("tracker:")).limit(80)
                .collect(Collectors.joining("\n"));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted", e);
        }
    }
}
