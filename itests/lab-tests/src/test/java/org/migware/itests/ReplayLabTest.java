package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.migware.lab.experiments.ReplayExperiment;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.OneCpu;
import org.migware.lab.network.Role;
import org.migware.lab.workloads.CurlDownload;
import org.migware.lab.workloads.MosquittoBroker;
import org.migware.lab.workloads.NginxServer;
import org.migware.lab.workloads.SeededFile;

/**
 * Issue 9's lab acceptance with real third-party servers and clients: nginx on primary and backup,
 * curl downloading 200 MiB at a limited rate, the primary's cable pulled mid-download; mosquitto
 * with ten QoS 1 publishers and a subscriber. The oracle is the clients' own results (curl's exit
 * code and when it exited, the SHA-256 of what it wrote; what the publishers handed over and what
 * a subscriber on the replica's broker received) and, for divergence, MigWare's count in
 * {@code migware:status --json}.
 */
@Timeout(value = 3, unit = java.util.concurrent.TimeUnit.MINUTES)
class ReplayLabTest {

    private static final int HTTP_PORT = 8080;
    private static final long FILE_BYTES = 200L << 20;
    private static final int CLIENTS = 4;
    /**
     * 4 MiB/s: a 200 MiB download takes ~50 s; the pull comes ~8 s in. Four clients at 4 MiB/s are
     * what MigWare's capture keeps up with on a shared 2-core machine busy with other lab runs (at
     * 12 and at times at 8 MiB/s each, the kernel dropped frames: capture gaps, not replayable).
     */
    private static final long RATE = 4L << 20;
    private static final long PULL_AFTER_MILLIS = 8000;
    /** How soon after PROXY curl must report a reset connection's end (after draining its socket's buffer). */
    private static final Duration DIVERGED_RESET_BOUND = Duration.ofSeconds(5);

    /** The web lab: MigWare with a delivery, nginx serving {@code primaryRoot} and {@code replicaRoot}. */
    private record Web(ReplayExperiment lab, NginxServer primary, NginxServer replica, Path big, List<CurlDownload> clients) {
    }

    private static Web web(ReplayExperiment lab, String delivery, boolean replicaDiffers, boolean secondRequest) {
        Path www = lab.folder("www");
        Path big = SeededFile.write(www.resolve("big.bin"), FILE_BYTES, 9);
        SeededFile.write(www.resolve("small.bin"), 4096, 10);
        Path replicaRoot = www;
        if (replicaDiffers) {
            replicaRoot = lab.folder("www-replica");
            SeededFile.write(replicaRoot.resolve("big.bin"), FILE_BYTES, 11);
        }
        NginxServer primary = NginxServer.start(lab.lab(), Role.PRIMARY, lab.lab().workDir().resolve("nginx-primary"),
                lab.address(Role.PRIMARY), HTTP_PORT, www);
        NginxServer replica = NginxServer.start(lab.lab(), Role.BACKUP, lab.lab().workDir().resolve("nginx-backup"),
                lab.address(Role.BACKUP), HTTP_PORT, replicaRoot);
        lab.startMigware(BuiltDistribution.home(), delivery, Map.of());
        String base = "http://" + lab.address(Role.PRIMARY) + ":" + HTTP_PORT + "/";
        List<CurlDownload> clients = new ArrayList<>();
        Path downloads = lab.folder("downloads");
        for (int i = 0; i < CLIENTS; i++) {
            clients.add(secondRequest
                    ? CurlDownload.start(lab.lab(), Role.CLIENT, "curl" + i, downloads, RATE, base + "big.bin", base + "small.bin")
                    : CurlDownload.start(lab.lab(), Role.CLIENT, "curl" + i, downloads, RATE, base + "big.bin"));
        }
        return new Web(lab, primary, replica, big, clients);
    }

    private static void log(String prefix, String message) {
        System.out.println("[lab " + prefix + "] " + message);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /**
     * With replay, every download carries on through the failover and ends with the primary's
     * SHA-256, and the second request on the same keep-alive connection is answered by the replica.
     */
    @Test
    void withReplayEveryDownloadFinishesWithTheRightSha256() {
        String prefix = "mwrdl";
        for (int attempt = 1; !replayedEveryDownload(prefix, attempt); attempt++) {
            assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
        }
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
    }

    /**
     * One run of {@link #withReplayEveryDownloadFinishesWithTheRightSha256}.
     *
     * @return false only when this first run cannot show replay: the capture's kernel dropped frames
     *     before the pull (16 MiB/s of downloads on 2 cores), so some downloads were rightly counted not
     *     replayable (a stream with a hole is never replayed). The run is then made once more; a second
     *     such run, or any download not replayable without a drop, fails the test.
     */
    private boolean replayedEveryDownload(String prefix, int attempt) {
        try (ReplayExperiment lab = ReplayExperiment.create(prefix, HTTP_PORT)) {
            Web web = web(lab, "replay", false, true);
            String expected = SeededFile.sha256(web.big());
            Pull pull = pullMidDownload(prefix, lab);
            Instant proxy = pull.proxy();
            long replayable = ReplayExperiment.count(pull.statusBefore(), "replayable");
            long dropped = ReplayExperiment.count(pull.statusBefore(), "droppedByKernel");
            if (replayable < CLIENTS && dropped > 0 && attempt == 1) {
                log(prefix, "the capture's kernel dropped " + dropped + " frames before the pull, so " + (CLIENTS - replayable)
                        + " downloads were rightly not replayable: this run cannot show replay; it is made once more");
                return false;
            }
            assertEquals(CLIENTS, replayable, () -> "every download replayable before the pull:\n" + pull.statusBefore());
            for (int i = 0; i < CLIENTS; i++) {
                CurlDownload client = web.clients().get(i);
                Optional<CurlDownload.Outcome> outcome = client.await(Duration.ofSeconds(90));
                String after = lab.statusJson();
                int n = i;
                assertTrue(outcome.isPresent(), () -> "curl " + n + " still runs 90 s after PROXY:\n" + after
                        + "\n" + lab.migware().log().lines().limit(60).reduce("", (a, b) -> a + b + "\n"));
                CurlDownload.Outcome o = outcome.get();
                log(prefix, "curl " + i + ": exit " + o.exitCode() + " at +" + Duration.between(proxy, o.exited()).toMillis()
                        + " ms after PROXY, transfers " + o.transfers() + " " + o.stderr());
                assertEquals(0, o.exitCode(), () -> "curl " + n + " failed: " + o + "\n" + after);
                assertEquals(expected, SeededFile.sha256(client.outputs().get(0)), "the download's SHA-256");
                assertEquals(2, o.transfers().size(), o::toString);
                assertTrue(o.transfers().get(1).startsWith("0 200 4096"),
                        () -> "the second request answered on the same connection (no new connect): " + o.transfers());
            }
            lab.migware().log().lines().filter(l -> l.contains("replay caught up")).forEach(l -> log(prefix,
                    "caught up +" + Duration.between(proxy, Instant.parse(l.substring(0, l.indexOf(' ')))).toMillis() + " ms after PROXY: "
                            + l.substring(l.indexOf("proxy:"))));
            String after = lab.statusJson();
            log(prefix, "after: replayed " + ReplayExperiment.count(after, "replayed") + ", caught up "
                    + ReplayExperiment.count(after, "caughtUp") + ", diverged " + ReplayExperiment.count(after, "diverged")
                    + ", verified " + ReplayExperiment.count(after, "bytesVerified") + " bytes");
            return true;
        }
    }

    /**
     * With resume, the replica never got the requests whose responses were streaming: MigWare must
     * reset each client within 1 s of PROXY (the client's TCP says so: no connection established
     * any more) instead of leaving it to wait forever, whether the pull caught the primary with
     * bytes in flight, with the client's window closed, or just after the client had read,
     * acknowledged everything and opened its window again. What each client received is a prefix of
     * the file.
     */
    @Test
    void withResumeEveryDownloadIsResetWithinASecondOfProxy() {
        String prefix = "mwrrs";
        try (ReplayExperiment lab = ReplayExperiment.create(prefix, HTTP_PORT)) {
            Web web = web(lab, "resume", false, false);
            Instant proxy = pullMidDownload(prefix, lab).proxy();
            long resetMillis = allResetAtTheClient(lab, proxy);
            log(prefix, "the client's kernel: no connection to port " + HTTP_PORT + " established +" + resetMillis + " ms after PROXY");
            assertTrue(resetMillis < 1000, () -> "every client reset within 1 s of PROXY, its TCP says: " + resetMillis + " ms\n"
                    + lab.statusJson());
            resetOutcomes(prefix, lab, web, proxy, DIVERGED_RESET_BOUND);
            for (CurlDownload client : web.clients()) {
                Path body = client.outputs().get(0);
                assertEquals(sizeOf(body), SeededFile.commonPrefix(body, web.big()), () -> body + " is not a prefix of the primary's file");
            }
        }
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
    }

    /**
     * The replica serves other bytes under the same name: replay sees its output differ from what
     * the primary sent and resets each client within 1 s of PROXY (the client's TCP says so: no
     * connection established any more); what each client received is a prefix of the primary's file
     * (no foreign byte), and the divergences are counted. curl itself, reading at its limited rate,
     * reports the reset only after draining its socket's buffer (1.7 to 2.3 s after PROXY measured
     * at 4 MiB/s), so its exit is held to {@link #DIVERGED_RESET_BOUND}.
     */
    @Test
    void aReplicaServingOtherBytesIsResetWithoutAForeignByte() {
        String prefix = "mwrdv";
        try (ReplayExperiment lab = ReplayExperiment.create(prefix, HTTP_PORT)) {
            Web web = web(lab, "replay", true, false);
            Instant proxy = pullMidDownload(prefix, lab).proxy();
            long resetMillis = allResetAtTheClient(lab, proxy);
            log(prefix, "the client's kernel: no connection to port " + HTTP_PORT + " established +" + resetMillis + " ms after PROXY");
            assertTrue(resetMillis < 1000, () -> "every client reset within 1 s of PROXY, its TCP says: " + resetMillis + " ms");
            resetOutcomes(prefix, lab, web, proxy, DIVERGED_RESET_BOUND);
            for (CurlDownload client : web.clients()) {
                Path body = client.outputs().get(0);
                long size = sizeOf(body);
                long same = SeededFile.commonPrefix(body, web.big());
                log(prefix, body.getFileName() + ": received " + size + " bytes, the primary's first " + same);
                assertTrue(size > 0, "the client received part of the file before the pull");
                assertEquals(size, same, () -> body + " is not a prefix of the primary's file");
            }
            lab.migware().log().lines().filter(l -> l.contains("differs from the primary's")).forEach(l -> log(prefix,
                    "divergence seen +" + Duration.between(proxy, Instant.parse(l.substring(0, l.indexOf(' ')))).toMillis()
                            + " ms after PROXY: " + l.substring(l.indexOf("proxy:"), Math.min(l.length(), l.indexOf("proxy:") + 120))));
            String after = lab.statusJson();
            String delivery = after.substring(Math.max(0, after.indexOf("\"delivery\":{\"delivery\"")));
            long diverged = ReplayExperiment.count(delivery, "diverged");
            long gaps = ReplayExperiment.count(delivery, "captureGaps");
            long kernelDrops = ReplayExperiment.count(after, "droppedByKernel");
            log(prefix, "diverged " + diverged + ", not replayable for a capture gap " + gaps + " (capture: " + kernelDrops
                    + " frames dropped by the kernel), resets for no connection " + ReplayExperiment.count(after, "resetsSent"));
            // A connection whose capture lost frames is not replayable and is reset at the failover instead of replayed: no
            // foreign byte either way (checked above). pcap4j dropped frames on a loaded machine once (520, all 4 gapped).
            assertEquals(CLIENTS, diverged + gaps, () -> "every connection diverged, or had a capture gap, and was reset:\n" + after);
            assertTrue(gaps == 0 || kernelDrops > 0, () -> "a capture gap only where the capture dropped frames:\n" + after);
        }
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
    }

    private static final int MQTT_PORT = 1883;
    private static final int PUBLISHERS = 10;

    /**
     * A session protocol: mosquitto on both hosts, 10 long-lived publishers at QoS 1 (mosquitto_pub
     * -l, one connection each, 10 messages a second) and a subscriber, all connected (CONNECT,
     * SUBSCRIBE) before the pull. With replay the replica's broker gets each whole session from its
     * CONNECT: every publisher carries on without an error, and every message they publish after the
     * failover reaches the replica's broker (a subscriber on the backup itself is the oracle). The
     * client subscriber's replayed stream depends on the replica's interleaving of ten publishers, so
     * it diverges and is reset: with a persistent session ({@code -c}, QoS 1), which the replayed
     * CONNECT created on the replica's broker, it reconnects and receives every message published
     * after the failover, none lost.
     */
    @Test
    void withReplayMqttPublishersCarryOnThroughTheFailover() throws Exception {
        String prefix = "mwrmq";
        try (ReplayExperiment lab = ReplayExperiment.create(prefix, MQTT_PORT)) {
            MosquittoBroker.start(lab.lab(), Role.PRIMARY, lab.lab().workDir().resolve("mosquitto-primary"), lab.address(Role.PRIMARY),
                    MQTT_PORT);
            MosquittoBroker.start(lab.lab(), Role.BACKUP, lab.lab().workDir().resolve("mosquitto-backup"), lab.address(Role.BACKUP),
                    MQTT_PORT);
            lab.startMigware(BuiltDistribution.home(), "replay", Map.of());
            String primary = lab.address(Role.PRIMARY);
            LabProcess atReplica = lab.lab().start(Role.BACKUP, "sub-replica", OneCpu.command("mosquitto_sub", "-h",
                    lab.address(Role.BACKUP), "-p", Integer.toString(MQTT_PORT), "-t", "t/#", "-q", "1", "-v", "-i", "sub-replica"));
            LabProcess subscriber = lab.lab().start(Role.CLIENT, "sub-client", OneCpu.command("mosquitto_sub", "-h", primary, "-p",
                    Integer.toString(MQTT_PORT), "-t", "t/#", "-q", "1", "-v", "-i", "sub-client", "-c"));
            Path sentDir = lab.folder("sent");
            List<LabProcess> publishers = new ArrayList<>();
            for (int n = 0; n < PUBLISHERS; n++) {
                Path sent = sentDir.resolve("pub" + n);
                // One connection per publisher: mosquitto_pub -l publishes each line of its input;
                // tee records what was handed to it.
                String loop = "i=0; while [ $i -lt 1000000 ]; do i=$((i+1)); echo $i; sleep 0.1; done | tee " + sent
                        + " | mosquitto_pub -h " + primary + " -p " + MQTT_PORT + " -t t/" + n + " -q 1 -l -i pub" + n;
                publishers.add(lab.lab().start(Role.CLIENT, "pub" + n, OneCpu.command("sh", "-c", loop)));
            }
            sleep(5000);
            String before = lab.statusJson();
            log(prefix, "before the pull: replayable " + ReplayExperiment.count(before, "replayable") + ", not migratable "
                    + ReplayExperiment.count(before, "notMigratable"));
            assertEquals(PUBLISHERS + 1, ReplayExperiment.count(before, "replayable"), () -> "every session replayable:\n" + before);
            lab.pull();
            Instant proxy = lab.awaitProxy(Duration.ofSeconds(30));
            long[] sentAtProxy = new long[PUBLISHERS];
            for (int n = 0; n < PUBLISHERS; n++) {
                sentAtProxy[n] = lastLine(sentDir.resolve("pub" + n));
            }
            long subscriberAtProxy = subscriber.stdout().lines().count();
            log(prefix, "PROXY since " + proxy + "; the client subscriber had " + subscriberAtProxy + " messages");
            sleep(10_000);
            String after = lab.statusJson();
            boolean subscriberAlive = subscriber.isAlive();
            long subscriberAfter = subscriber.stdout().lines().count() - subscriberAtProxy;
            assertTrue(subscriberAlive, () -> "the client subscriber runs: " + subscriber.stderr());
            // its replayed stream diverged and was reset: mosquitto_sub reconnects by itself and says nothing
            assertEquals("", subscriber.stderr().trim(), "no error at the client subscriber");
            log(prefix, "client subscriber after the failover: " + (subscriberAlive ? "running" : "exited " + subscriber.exitCode())
                    + ", " + subscriberAfter + " more messages; stderr: " + subscriber.stderr().trim());
            log(prefix, "after: replayed " + ReplayExperiment.count(after, "replayed") + ", caught up " + ReplayExperiment.count(after, "caughtUp")
                    + ", diverged " + ReplayExperiment.count(after, "diverged") + ", reset at failover "
                    + ReplayExperiment.count(after, "resetAtFailover"));
            // What the client subscriber got of the messages published after the failover.
            List<String> subscriberLines = subscriber.stdout().lines().skip(subscriberAtProxy).toList();
            for (int n = 0; n < PUBLISHERS; n++) {
                String topic = "t/" + n + " ";
                int pubIndex = n;
                long got = subscriberLines.stream().filter(l -> l.startsWith(topic))
                        .mapToLong(l -> Long.parseLong(l.substring(topic.length()).trim())).filter(seq -> seq > 0).distinct()
                        .filter(seq -> seq > sentAtProxy[pubIndex]).count();
                log(prefix, "client subscriber: " + got + " distinct messages of pub" + n + " published after PROXY");
                int pub = n;
                assertTrue(got > 0, () -> "the client subscriber keeps receiving pub" + pub + "'s messages after the failover");
            }
            List<String> failed = new ArrayList<>();
            for (int n = 0; n < PUBLISHERS; n++) {
                LabProcess p = publishers.get(n);
                if (!p.isAlive() || !p.stderr().isBlank()) {
                    failed.add("pub" + n + (p.isAlive() ? " running" : " exited " + p.exitCode()) + ": " + p.stderr().trim());
                }
            }
            for (LabProcess p : publishers) {
                p.destroy(Duration.ofSeconds(2));
            }
            sleep(500);
            String atReplicaSeen = atReplica.stdout();
            for (int n = 0; n < PUBLISHERS; n++) {
                long last = lastLine(sentDir.resolve("pub" + n));
                java.util.Set<Long> seen = new java.util.HashSet<>();
                String topic = "t/" + n + " ";
                atReplicaSeen.lines().filter(l -> l.startsWith(topic)).forEach(l -> seen.add(Long.parseLong(l.substring(topic.length()).trim())));
                long missing = 0;
                // The newest few lines may still have been in mosquitto_pub when it was stopped.
                for (long seq = sentAtProxy[n] + 1; seq <= last - 10; seq++) {
                    if (!seen.contains(seq)) {
                        missing++;
                    }
                }
                log(prefix, "pub" + n + ": " + sentAtProxy[n] + " published before PROXY, " + (last - sentAtProxy[n])
                        + " after; at the replica's broker: " + seen.size() + " distinct, " + missing + " of those after PROXY missing");
                assertTrue(last - sentAtProxy[n] >= 50, "pub" + n + " carried on publishing after the failover");
                int id = n;
                long lost = missing;
                assertEquals(0, lost, () -> "pub" + id + ": messages published after the failover lost at the replica");
                java.util.Set<Long> atClient = new java.util.HashSet<>();
                subscriber.stdout().lines().filter(l -> l.startsWith(topic))
                        .forEach(l -> atClient.add(Long.parseLong(l.substring(topic.length()).trim())));
                long missed = 0;
                for (long seq = sentAtProxy[n] + 1; seq <= last - 10; seq++) {
                    if (!atClient.contains(seq)) {
                        missed++;
                    }
                }
                log(prefix, "client subscriber: " + missed + " of pub" + n + "'s messages published after PROXY missing");
                long subscriberLost = missed;
                assertEquals(0, subscriberLost, () -> "pub" + id + ": messages published after the failover lost at the client subscriber");
            }
            assertEquals(List.of(), failed, "every publisher carries on without an error");
        }
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
    }

    /** @return the last line of a file as a number, 0 when it has none */
    private static long lastLine(Path file) throws java.io.IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        List<String> lines = Files.readAllLines(file).stream().filter(l -> !l.isBlank()).toList();
        return lines.isEmpty() ? 0 : Long.parseLong(lines.get(lines.size() - 1).trim());
    }

    /** MigWare's status before the pull, and when it entered PROXY after it. */
    private record Pull(String statusBefore, Instant proxy) {
    }

    /** Waits until mid-download, reads MigWare's readiness, pulls, waits for PROXY. */
    private static Pull pullMidDownload(String prefix, ReplayExperiment lab) {
        sleep(PULL_AFTER_MILLIS);
        String before = lab.statusJson();
        log(prefix, "before the pull: replayable " + ReplayExperiment.count(before, "replayable") + ", resumable only "
                + ReplayExperiment.count(before, "resumableOnly") + ", not migratable " + ReplayExperiment.count(before, "notMigratable") + " (capture gaps "
                + ReplayExperiment.count(before, "captureGaps") + "; frames dropped by the kernel " + ReplayExperiment.count(before, "droppedByKernel") + ")");
        Instant pulled = lab.pull();
        Instant proxy = lab.awaitProxy(Duration.ofSeconds(30));
        log(prefix, "pulled at " + pulled + ", PROXY since " + proxy);
        return new Pull(before, proxy);
    }

    /**
     * @return how long after PROXY the client's kernel held no established connection to the web
     *     port any more (its own TCP's verdict: the reset arrived); curl, reading at its limited rate,
     *     reports it only once it has drained what its socket had buffered
     */
    private static long allResetAtTheClient(ReplayExperiment lab, Instant proxy) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            String established = lab.lab().exec(Role.CLIENT, "ss", "-Htn", "state", "established", "dport", "=", ":" + HTTP_PORT)
                    .requireSuccess().stdout();
            if (established.isBlank()) {
                return Duration.between(proxy, Instant.now()).toMillis();
            }
            sleep(20);
        }
        return Long.MAX_VALUE;
    }

    /** Every client's outcome, each a failure within {@code bound} of PROXY. */
    private static List<CurlDownload.Outcome> resetOutcomes(String prefix, ReplayExperiment lab, Web web, Instant proxy,
            Duration bound) {
        List<CurlDownload.Outcome> outcomes = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            int n = i;
            Optional<CurlDownload.Outcome> outcome = web.clients().get(i).await(Duration.ofSeconds(30));
            assertTrue(outcome.isPresent(), () -> "curl " + n + " hangs 30 s after PROXY:\n" + lab.statusJson() + "\nMigWare's log:\n"
                    + lab.migware().log().lines().filter(l -> l.contains("proxy")).limit(40).reduce("", (a, b) -> a + b + "\n"));
            CurlDownload.Outcome o = outcome.get();
            long delay = Duration.between(proxy, o.exited()).toMillis();
            log(prefix, "curl " + i + ": exit " + o.exitCode() + " at +" + delay + " ms after PROXY: " + o.stderr());
            assertNotEquals(0, o.exitCode(), () -> "curl " + n + " cannot finish: " + o);
            assertTrue(delay < bound.toMillis(), () -> "curl " + n + " reset " + delay + " ms after PROXY, not within " + bound + ": " + o);
            outcomes.add(o);
        }
        return outcomes;
    }

    private static long sizeOf(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
