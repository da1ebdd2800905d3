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
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.migware.lab.Await;
import org.migware.lab.LabException;
import org.migware.lab.experiments.MigrationExperiment;
import org.migware.lab.experiments.MigwareInstance;
import org.migware.lab.experiments.MigwareStatus;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.Role;
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

    /**
     * A client that half-closed before the failover, across a kill -9 in PROXY (issue 10, point 7,
     * delivery resume). The server, the same on primary and replica, reads to EOF and answers
     * {@code DONE <bytes read>} a while later, then closes; the client half-closed after its request
     * (FIN-WAIT-2 at the pull: the primary had acknowledged its FIN) and waits for that answer. The
     * client's FIN, which MigWare writes to the replica, is dropped at the replica's input by
     * nftables until MigWare has been killed and started again: only the restarted process can
     * hand it over, from its state file. The oracle is the application: the client reads the
     * replica's {@code DONE} and EOF, and its kernel received no reset. Before state version 4 the
     * restarted MigWare had forgotten the FIN, and the client waited forever.
     */
    @Test
    void aHalfClosedClientGetsItsAnswerAcrossACrashInProxy() {
        String prefix = "mwrsh";
        int port = 8080;
        List<String> steps = new CopyOnWriteArrayList<>();
        try (org.migware.lab.experiments.ReplayExperiment lab = org.migware.lab.experiments.ReplayExperiment.create(prefix, port)) {
            LabNetwork net = lab.lab();
            Path server = FaultCampaignLabTest.writeScript(net, "eof-server.py", EOF_SERVER);
            Path client = FaultCampaignLabTest.writeScript(net, "eof-client.py", EOF_CLIENT);
            // The primary answers long after the pull; the replica soon after it reads EOF.
            net.start(Role.PRIMARY, "eof-server-primary", FaultCampaignLabTest.PYTHON, "-u", server.toString(), lab.address(Role.PRIMARY),
                    Integer.toString(port), "30").awaitOutput("LISTENING", Duration.ofSeconds(30));
            net.start(Role.BACKUP, "eof-server-backup", FaultCampaignLabTest.PYTHON, "-u", server.toString(), lab.address(Role.BACKUP),
                    Integer.toString(port), "0.5").awaitOutput("LISTENING", Duration.ofSeconds(30));
            FaultCampaignLabTest.countResetsAtTheClient(net, "mwrsh", port);
            MigwareInstance migware = lab.startMigware(BuiltDistribution.home(), "resume", Map.of());
            String primary = lab.address(Role.PRIMARY);
            try (org.migware.lab.network.LabProcess halfClosed = net.start(Role.CLIENT, "half-closed-client", FaultCampaignLabTest.PYTHON,
                    "-u", client.toString(), primary, Integer.toString(port))) {
                halfClosed.awaitOutput("HALF-CLOSED", Duration.ofSeconds(30));
                String localPort = halfClosed.stdout().trim().split("\\s+")[3];
                String[] socket = {"ss", "-tanH", "src", ":" + localPort, "dst", primary + ":" + port};
                Await.until("the primary acknowledged the client's FIN", Duration.ofSeconds(10),
                        () -> net.exec(Role.CLIENT, socket).requireSuccess().stdout().startsWith("FIN-WAIT-2"));
                Await.sleep(1000); // the capture has seen the FIN and its ACK
                // The FIN MigWare writes for the client, dropped where it enters the replica's stack (from the shadow network).
                net.exec(Role.BACKUP, "nft", "-f", FaultCampaignLabTest.writeScript(net, "drop-fin.nft", """
                        table inet mwrshfin {
                            counter fins { }
                            chain in {
                                type filter hook input priority 0;
                                ip saddr 198.18.0.0/15 tcp dport %d tcp flags & fin == fin counter name fins drop
                            }
                        }
                        """.formatted(port)).toString()).requireSuccess();
                String atPull = net.exec(Role.CLIENT, socket).requireSuccess().stdout().trim();
                lab.pull();
                lab.awaitProxy(Duration.ofSeconds(30));
                Await.until("MigWare writing the client's FIN (dropped)", Duration.ofSeconds(10), () -> finsDropped(net) > 0);
                // The mappings' snapshot is written every second: wait for one after recovery.
                Await.sleep(2_500);
                long beforeCrash = finsDropped(net);
                Duration down = migware.crashAndRestart(START_TIMEOUT);
                Await.until("PROXY again with the mapping", Duration.ofSeconds(30), () -> {
                    try {
                        MigwareStatus status = migware.status();
                        return status.proxy() && status.migration().recovered() == 1;
                    } catch (LabException notYet) {
                        return false;
                    }
                });
                long atRestart = finsDropped(net);
                try {
                    Await.until("the restarted MigWare writing the client's FIN", Duration.ofSeconds(5), () -> finsDropped(net) > atRestart);
                } catch (LabException notWritten) {
                    steps.add("the restarted MigWare did not write the client's FIN in 5 s");
                }
                steps.add("at the pull: " + atPull + "; " + beforeCrash + " FINs dropped before the crash, back in " + down.toMillis()
                        + " ms, " + (finsDropped(net) - atRestart) + " written by the restarted MigWare so far");
                net.exec(Role.BACKUP, "nft", "delete", "table", "inet", "mwrshfin").requireSuccess();
                assertTrue(halfClosed.waitFor(Duration.ofSeconds(20)), () -> "the client still waits 20 s after the drop ended\n"
                        + halfClosed.stdout() + halfClosed.stderr() + "\nsteps " + steps + "\n" + lab.statusJson());
                long resets = FaultCampaignLabTest.resetsAtTheClient(net, "mwrsh");
                System.out.println("[restart] half-closed: " + steps + "; the client: " + halfClosed.stdout().replace('\n', ' ')
                        + "; resets it received: " + resets);
                assertTrue(atPull.startsWith("FIN-WAIT-2"), () -> "half-closed and acknowledged at the pull: " + atPull);
                assertEquals(0, halfClosed.exitCode().orElseThrow(), () -> halfClosed.stdout() + halfClosed.stderr());
                assertTrue(halfClosed.stdout().contains("ANSWER DONE 0"), () -> "the replica's answer: it read EOF (resume: the"
                        + " request was the primary's) " + halfClosed.stdout());
                assertEquals(0, resets, "no reset reached the client");
                assertTrue(beforeCrash > 0, "the FIN was owed when MigWare was killed: " + steps);
            }
        }
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
    }

    /** The FINs from the shadow network dropped at the replica's input so far. */
    private static long finsDropped(LabNetwork net) {
        return FaultCampaignLabTest.counter(net.exec(Role.BACKUP, "nft", "list", "table", "inet", "mwrshfin").requireSuccess().stdout(),
                "fins");
    }

    /** Arguments: address, port, delay (s). Reads each connection to EOF, waits the delay, answers {@code DONE <bytes read>}, closes. */
    private static final String EOF_SERVER = """
            import socket, sys, threading, time
            def serve(c, delay):
                with c:
                    read = 0
                    while True:
                        chunk = c.recv(65536)
                        if not chunk:
                            break
                        read += len(chunk)
                    time.sleep(delay)
                    c.sendall(b"DONE %d\\n" % read)
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((sys.argv[1], int(sys.argv[2])))
            s.listen(16)
            print("LISTENING", flush=True)
            while True:
                threading.Thread(target=serve, args=(s.accept()[0], float(sys.argv[3])), daemon=True).start()
            """;

    /** Arguments: host, port. Sends a request, half-closes, reads to EOF; exits 0 with one DONE line read, 2 on a reset. */
    private static final String EOF_CLIENT = """
            import socket, sys
            s = socket.socket()
            s.connect((sys.argv[1], int(sys.argv[2])))
            s.sendall(b"REQUEST\\n")
            s.shutdown(socket.SHUT_WR)
            print("HALF-CLOSED from port", s.getsockname()[1], flush=True)
            data = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except ConnectionResetError:
                print("RESET", flush=True)
                sys.exit(2)
            print("ANSWER", data.decode().strip(), flush=True)
            sys.exit(0 if data.startswith(b"DONE") and data.endswith(b"\\n") and data.count(b"\\n") == 1 else 3)
            """;

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
