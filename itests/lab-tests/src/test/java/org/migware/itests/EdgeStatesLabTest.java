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
import org.migware.lab.network.LabProcess;
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
    /**
     * Starts the answer server on the primary and the replica, the same on both.
     *
     * @return the answer client's script
     */
    private static Path startAnswerServers(ReplayExperiment lab) {
        LabNetwork net = lab.lab();
        Path server = FaultCampaignLabTest.writeScript(net, "answer-server.py", ANSWER_SERVER);
        for (Role role : new Role[] {Role.PRIMARY, Role.BACKUP}) {
            net.start(role, "answer-server-" + role.name().toLowerCase(java.util.Locale.ROOT), FaultCampaignLabTest.PYTHON, "-u",
                    server.toString(), lab.address(role), Integer.toString(HTTP_PORT)).awaitOutput("LISTENING", Duration.ofSeconds(30));
        }
        return FaultCampaignLabTest.writeScript(net, "answer-client.py", ANSWER_CLIENT);
    }

    /**
     * Issue 10: connections whose handshake's final ACK the capture missed, and which sent nothing
     * before the failover. The clients' pure ACKs are dropped on the mirror while they connect
     * (nftables in the hub: the primary gets them, MigWare's capture does not), so the tracker holds
     * each in HANDSHAKE; the drop ends, the primary is pulled, and only then do the clients send their
     * request (half-closing, as the answer server wants). Before, each was reset at its first
     * segment; now that segment, acknowledging exactly the primary's ISN + 1, re-creates it. The
     * oracle is the client: the whole answer, byte-exact, no reset (nftables counts the resets its
     * kernel receives).
     */
    @Test
    void connectionsWhoseFinalAckTheCaptureMissedAreReCreatedAtTheirFirstSegment() throws Exception {
        String prefix = "mwfin";
        int clients = 5;
        java.util.List<LabProcess> idle = new java.util.ArrayList<>();
        try (ReplayExperiment lab = ReplayExperiment.create(prefix, HTTP_PORT)) {
            LabNetwork net = lab.lab();
            Path clientScript = startAnswerServers(lab);
            FaultCampaignLabTest.countResetsAtTheClient(net, prefix, HTTP_PORT);
            lab.startMigware(BuiltDistribution.home(), "resume", Map.of());
            Path go = lab.folder("signals").resolve("go");
            org.migware.lab.network.MirrorFilter acks = org.migware.lab.network.MirrorFilter.pureAcks(net, Role.BACKUP, Role.CLIENT,
                    Role.PRIMARY, HTTP_PORT);
            for (int i = 0; i < clients; i++) {
                LabProcess c = net.start(Role.CLIENT, "idle-client-" + i, FaultCampaignLabTest.PYTHON, "-u", clientScript.toString(),
                        lab.address(Role.PRIMARY), Integer.toString(HTTP_PORT), "100000000", "0", "idle-until:" + go);
                idle.add(c);
                c.awaitOutput("CONNECTED", Duration.ofSeconds(30));
            }
            Await.sleep(500);
            acks.stop();
            org.migware.lab.network.MirrorFilter.Counters dropped = acks.counters();
            System.out.println("[lab " + prefix + "] while the clients connected, on the mirror: " + dropped);
            assertTrue(dropped.dropped() >= clients, () -> "the clients' final ACKs were dropped on the mirror: " + dropped);
            Instant pulled = lab.pull();
            Instant proxy = lab.awaitProxy(Duration.ofSeconds(30));
            java.nio.file.Files.writeString(go, "go");
            for (LabProcess c : idle) {
                assertTrue(c.waitFor(Duration.ofSeconds(30)), () -> "the client still waits 30 s after the signal\n" + c.stdout() + c.stderr()
                        + "\n" + lab.statusJson());
            }
            long resets = FaultCampaignLabTest.resetsAtTheClient(net, prefix);
            String log = lab.migware().log();
            System.out.println("[lab " + prefix + "] pulled at " + pulled + ", PROXY since " + proxy + "; resets at the clients: " + resets
                    + "; MigWare re-created " + log.lines().filter(l -> l.contains("its client's first segment confirms it")).count()
                    + " at their first segment (its log)");
            for (LabProcess c : idle) {
                assertEquals(0, c.exitCode().orElse(-1), () -> "the whole answer, byte-exact: " + c.stdout() + c.stderr());
                assertTrue(c.stdout().contains("ANSWER-WHOLE"), c::stdout);
            }
            assertEquals(0, resets, "no reset reached a client");
        } finally {
            idle.forEach(LabProcess::close);
        }
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
    }

    /**
     * Issue 10, point 7, delivery replay, one network, three clients of a server (the same on
     * primary and replica) that answers 3 MiB depending on the request:
     * <ul>
     * <li>a client that half-closed (shutdown(SHUT_WR) after its request; FIN-WAIT-2 in its own
     * kernel) while the answer was under way. The server answers only after reading EOF: the
     * replica answers only if it gets the request and then the client's FIN. The client reads the
     * whole answer, byte-exact, and EOF; its socket ends in TIME-WAIT.</li>
     * <li>a client whose connection had closed both ways (the server closed first; the client's
     * FIN never reached the primary, an nftables drop there): LAST-ACK at the pull, retransmitting
     * its FIN. After the pull the socket is gone, and the client's kernel received no reset (an
     * nftables counter in its namespace).</li>
     * <li>a client whose handshake the failover cut (the primary's SYN-ACK dropped at the client:
     * SYN-SENT at the pull): its SYN, sent again, makes a new connection, which gets its whole
     * answer.</li>
     * <li>the first client's port, used again after its connection ended (RFC 6191; the client's
     * kernel reuses its TIME-WAIT tuple): the new connection gets its whole answer.</li>
     * </ul>
     */
    @Test
    void halfClosedClosedHandshakingAndReusedConnectionsAtTheFailover() {
        String prefix = "mwhcl";
        int closingPort = 61_234; // outside the ephemeral range: nothing else uses them
        int synAgainPort = 61_235;
        LabProcess synAgain = null;
        try (ReplayExperiment lab = ReplayExperiment.create(prefix, HTTP_PORT)) {
            LabNetwork net = lab.lab();
            Path clientScript = startAnswerServers(lab);
            String primary = lab.address(Role.PRIMARY);
            // The closing client's FIN never reaches the primary's TCP (the mirror still shows it);
            // the client counts the resets it receives.
            net.exec(Role.PRIMARY, "nft", "-f", FaultCampaignLabTest.writeScript(net, "drop-fin.nft", """
                    table inet mwhcl {
                        chain in {
                            type filter hook input priority 0;
                            tcp sport %d tcp flags & fin == fin drop
                        }
                    }
                    """.formatted(closingPort)).toString()).requireSuccess();
            FaultCampaignLabTest.countResetsAtTheClient(net, "mwhcl", HTTP_PORT);
            lab.startMigware(BuiltDistribution.home(), "replay", Map.of());
            try (LabProcess halfClosed = net.start(Role.CLIENT, "half-closed-client", FaultCampaignLabTest.PYTHON, "-u",
                    clientScript.toString(), primary, Integer.toString(HTTP_PORT), "300000", "0", "half-close");
                    LabProcess closing = net.start(Role.CLIENT, "closing-client", FaultCampaignLabTest.PYTHON, "-u",
                            clientScript.toString(), primary, Integer.toString(HTTP_PORT), "100000000", Integer.toString(closingPort),
                            "server-closes-first")) {
                halfClosed.awaitOutput("HALF-CLOSED", Duration.ofSeconds(30));
                String port = halfClosed.stdout().trim().split("\\s+")[3];
                String[] halfClosedSocket = {"ss", "-tanH", "src", ":" + port, "dst", primary + ":" + HTTP_PORT};
                String[] closingSocket = {"ss", "-tanH", "src", ":" + closingPort, "dst", primary + ":" + HTTP_PORT};
                halfClosed.awaitOutput("FIRST-BYTES", Duration.ofSeconds(30));
                closing.awaitOutput("CLOSED", Duration.ofSeconds(30));
                Await.sleep(1000); // part of the answer arrives; the rest is under way
                // A handshake the failover cuts: the primary's SYN-ACK never reaches the client (the mirror shows it).
                net.exec(Role.CLIENT, "nft", "-f", FaultCampaignLabTest.writeScript(net, "drop-syn-ack.nft", """
                        table inet mwsyn {
                            counter synacks { }
                            chain in {
                                type filter hook input priority 0;
                                tcp sport %d tcp dport %d tcp flags & (syn | ack) == syn | ack counter name synacks drop
                            }
                        }
                        """.formatted(HTTP_PORT, synAgainPort)).toString()).requireSuccess();
                synAgain = net.start(Role.CLIENT, "syn-again-client", FaultCampaignLabTest.PYTHON, "-u", clientScript.toString(), primary,
                        Integer.toString(HTTP_PORT), "100000000", Integer.toString(synAgainPort), "half-close");
                Await.until("the primary's SYN-ACK dropped at the client", Duration.ofSeconds(5), () -> FaultCampaignLabTest.counter(
                        net.exec(Role.CLIENT, "nft", "list", "table", "inet", "mwsyn").requireSuccess().stdout(), "synacks") > 0);
                String[] synAgainSocket = {"ss", "-tanH", "src", ":" + synAgainPort, "dst", primary + ":" + HTTP_PORT};
                String synAgainAtPull = net.exec(Role.CLIENT, synAgainSocket).requireSuccess().stdout();
                String atPull = net.exec(Role.CLIENT, halfClosedSocket).requireSuccess().stdout();
                String closingAtPull = net.exec(Role.CLIENT, closingSocket).requireSuccess().stdout();
                Instant pulled = lab.pull();
                Instant proxy = lab.awaitProxy(Duration.ofSeconds(30));
                net.exec(Role.CLIENT, "nft", "delete", "table", "inet", "mwsyn").requireSuccess();
                System.out.println("[lab " + prefix + "] pulled at " + pulled + ", PROXY since " + proxy + "; the half-closed client's"
                        + " socket at the pull: " + atPull.trim() + "; the closing client's: " + closingAtPull.trim());
                assertTrue(halfClosed.waitFor(Duration.ofSeconds(60)), () -> "the client still reads 60 s after the pull\n"
                        + halfClosed.stdout() + halfClosed.stderr() + "\n" + lab.statusJson());
                String end = net.exec(Role.CLIENT, halfClosedSocket).requireSuccess().stdout();
                String closingEnd = net.exec(Role.CLIENT, closingSocket).requireSuccess().stdout();
                long resets = FaultCampaignLabTest.resetsAtTheClient(net, "mwhcl");
                System.out.println("[lab " + prefix + "] the half-closed client: " + halfClosed.stdout().replace('\n', ' ')
                        + "; its socket now: " + end.trim() + "; the closing client's socket now: '" + closingEnd.trim() + "'; resets"
                        + " the client's kernel received: " + resets);
                assertTrue(atPull.startsWith("FIN-WAIT-2"), () -> "the client had half-closed, the primary had acknowledged it, and the"
                        + " answer was not complete at the pull: " + atPull + "\n" + halfClosed.stdout());
                assertEquals(0, halfClosed.exitCode().orElseThrow(), () -> "the client read its whole answer, byte-exact, to EOF,"
                        + " without a reset: " + halfClosed.stdout() + halfClosed.stderr() + "\n" + lab.statusJson());
                assertTrue(halfClosed.stdout().contains("ANSWER-WHOLE " + (3 << 20)), halfClosed::stdout);
                assertTrue(end.startsWith("TIME-WAIT"), () -> "the client's kernel ended the connection cleanly: " + end);
                assertTrue(closingAtPull.startsWith("LAST-ACK"), () -> "the closing client waited for the ACK of its FIN: " + closingAtPull);
                assertEquals("", closingEnd.trim(), "the closing client's socket ended");
                assertEquals(0, resets, "no reset reached the client");
                LabProcess synClient = synAgain;
                assertTrue(synClient.waitFor(Duration.ofSeconds(30)), () -> "the client whose handshake the failover cut still runs\n"
                        + synClient.stdout() + synClient.stderr() + "\n" + lab.statusJson());
                System.out.println("[lab " + prefix + "] the client whose SYN-ACK was dropped (" + synAgainAtPull.trim() + " at the pull): "
                        + synClient.stdout().replace('\n', ' '));
                assertTrue(synAgainAtPull.startsWith("SYN-SENT"), () -> "the handshake was under way at the pull: " + synAgainAtPull);
                assertEquals(0, synClient.exitCode().orElseThrow(), () -> synClient.stdout() + synClient.stderr() + "\n" + lab.statusJson());
                assertTrue(synClient.stdout().contains("ANSWER-WHOLE " + (3 << 20)), synClient::stdout);

                // The half-closed client's port again, for a new connection (its kernel reuses the TIME-WAIT tuple).
                net.exec(Role.CLIENT, "sysctl", "-qw", "net.ipv4.tcp_tw_reuse=1").requireSuccess();
                Await.sleep(2100); // tw_reuse takes a TIME-WAIT tuple only when its last timestamp is more than a second old
                try (LabProcess reused = net.start(Role.CLIENT, "reused-port-client", FaultCampaignLabTest.PYTHON, "-u",
                        clientScript.toString(), primary, Integer.toString(HTTP_PORT), "100000000", port, "half-close")) {
                    assertTrue(reused.waitFor(Duration.ofSeconds(30)), () -> "the new connection on the reused port still runs\n"
                            + reused.stdout() + reused.stderr() + "\n" + lab.statusJson());
                    System.out.println("[lab " + prefix + "] the client on the reused port " + port + ": " + reused.stdout().replace('\n', ' '));
                    assertEquals(0, reused.exitCode().orElseThrow(), () -> reused.stdout() + reused.stderr() + "\n" + lab.statusJson());
                    assertTrue(reused.stdout().contains("HALF-CLOSED from port " + port + "\n"), reused::stdout);
                    assertTrue(reused.stdout().contains("ANSWER-WHOLE " + (3 << 20)), reused::stdout);
                }
            }
        }
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
    }

    /** The answer both servers give to a request: 3 MiB of SHA-256 blocks of the request and a counter. */
    private static final String ANSWER = """
            import hashlib
            def answer(request):
                return b"".join(hashlib.sha256(request + i.to_bytes(4, "big")).digest() for i in range((3 << 20) // 32))
            """;

    /**
     * Answers each connection's request and closes: after reading it to EOF, or, for a request
     * that starts with {@code CLOSE-FIRST}, as soon as its line is read (the server closes first).
     */
    static final String ANSWER_SERVER = ANSWER + """
            import socket, sys, threading
            def serve(c):
                with c:
                    request = b""
                    while not (request.startswith(b"CLOSE-FIRST") and request.endswith(b"\\n")):
                        chunk = c.recv(65536)
                        if not chunk:
                            break
                        request += chunk
                    c.sendall(answer(request))
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((sys.argv[1], int(sys.argv[2])))
            s.listen(64)
            print("LISTENING", flush=True)
            while True:
                threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()
            """;

    /**
     * Arguments: host, port, rate (bytes per second), local port (0: any), mode. {@code half-close}
     * sends a request, half-closes, and reads the answer at the rate to EOF; {@code
     * server-closes-first} sends a CLOSE-FIRST request, reads the answer to EOF, and closes; {@code
     * idle-until:FILE} connects, says CONNECTED, sends nothing until FILE exists, then goes on as
     * {@code half-close}. Exits 0
     * only when the answer is the one expected, whole and byte-exact; a reset fails it.
     */
    static final String ANSWER_CLIENT = ANSWER + """
            import os, socket, sys, time
            host, port, rate, local, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
            first = b"CLOSE-FIRST" if mode == "server-closes-first" else b"REQUEST"
            request = first + b" %f\\n" % time.time()
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
            if local:
                s.bind(("", local))
            s.connect((host, port))
            if mode.startswith("idle-until:"):
                # connected, nothing sent: the handshake's final ACK is all the capture could have seen
                print("CONNECTED from port", s.getsockname()[1], flush=True)
                go = mode.split(":", 1)[1]
                while not os.path.exists(go):
                    time.sleep(0.05)
                mode = "half-close"
            s.sendall(request)
            if mode == "half-close":
                s.shutdown(socket.SHUT_WR)
                print("HALF-CLOSED from port", s.getsockname()[1], flush=True)
            data = bytearray()
            started = time.monotonic()
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                if not data:
                    print("FIRST-BYTES", flush=True)
                data += chunk
                ahead = len(data) / rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
            s.close()
            print("CLOSED", flush=True)
            expected = answer(request)
            common = min(len(data), len(expected))
            same = common if data[:common] == expected[:common] else next(i for i in range(common) if data[i] != expected[i])
            print("EOF after", len(data), "bytes;", same, "bytes as expected", flush=True)
            if bytes(data) != expected:
                sys.exit(3)
            print("ANSWER-WHOLE", len(data), flush=True)
            """;
}
