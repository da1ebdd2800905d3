package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.migware.lab.Await;
import org.migware.lab.Commands;
import org.migware.lab.ExecResult;
import org.migware.lab.chromium.HeadlessChromium;
import org.migware.lab.chromium.PageWatch;
import org.migware.lab.experiments.DetectionExperiment;
import org.migware.lab.experiments.MigrationExperiment;
import org.migware.lab.experiments.MigrationExperiment.Result;
import org.migware.lab.experiments.MigwareInstance;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.Role;
import org.migware.lab.oracles.TcpFlow;
import org.migware.lab.oracles.Tcpdump;
import org.migware.lab.oracles.TsharkDecoder;
import org.migware.lab.workloads.PushClientReport;
import org.migware.lab.workloads.SinkReport;

/**
 * {@code /metrics} of MigWare in the backup, scraped during the push scenario just before the
 * primary's link is pulled and after the clients finished: Prometheus's own {@code promtool}
 * accepts both scrapes, and the counters agree with the kernel and the applications — the
 * connections tracked with the client's established sockets ({@code ss}), the connections
 * recovered with those the applications saw survive, PROXY's payload bytes each way with what the
 * replica's application received and the clients received (within one record per frame the
 * capture says it dropped; exactly, against tcpdump on the backup's TUN: the payload written toward
 * the replica is to_replica + handed_over, and its distinct bytes are the replica application's) —
 * and they move across the failover.
 *
 * <p>The same run keeps the web page {@code /migware/} open in headless Chromium in the backup's
 * namespace, in real time ({@link PageWatch}, through the DevTools protocol): it shows NORMAL
 * before the pull and turns to PROXY after it with no reload, no script error and no console
 * message; its screenshot is saved as {@code target/metrics-lab-page.png}.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class MetricsLabTest {

    private static final int CONNECTIONS = 10;
    private static final String METRICS = "http://127.0.0.1:9464/metrics";
    private static final String PAGE = "http://127.0.0.1:9464/migware/";
    /** What the page shows, as one JSON line: the state it draws, the states it went through, its script errors, no reload. */
    private static final String SHOWN = "JSON.stringify({state: document.body.dataset.state, text: document.getElementById('state').textContent,"
            + " seen: document.body.dataset.statesSeen, jsErrors: document.body.dataset.jsErrors, notReloaded: " + PageWatch.STILL_MARKED + "})";
    private static final Duration PAGE_TIMEOUT = Duration.ofSeconds(60);
    private static final String TUN = "mig0";

    @Test
    void theMetricsAgreeWithTheApplicationsAndMoveAcrossTheFailover() throws Exception {
        String prefix = "mwmetr";
        Map<String, String> scrapes = new ConcurrentHashMap<>();
        Map<String, Integer> established = new ConcurrentHashMap<>();
        Map<String, Long> applications = new ConcurrentHashMap<>();
        Map<String, String> page = new ConcurrentHashMap<>();
        Map<String, LabProcess> watcher = new ConcurrentHashMap<>();
        Map<String, Instant> pulledAt = new ConcurrentHashMap<>();
        Map<String, Tcpdump> tun = new ConcurrentHashMap<>();
        Map<String, Tcpdump.CaptureStats> tunStats = new ConcurrentHashMap<>();
        MigrationExperiment.Options options = MigrationExperiment.Options.defaults(BuiltDistribution.home())
                .withConnections(CONNECTIONS).withPrefix(prefix).withMonitor(DetectionExperiment.Profile.FAST)
                .withBeforeFailureMillis(8000).withAfterFailureMillis(10_000);
        Result result = MigrationExperiment.run(options, message -> System.out.println("[lab " + prefix + "] " + message),
                new MigrationExperiment.Observer() {
                    @Override
                    public void ready(LabNetwork lab, MigwareInstance migware) {
                        // what MigWare writes to the replica, as the backup's kernel sees it on the TUN
                        Await.until("the TUN " + TUN, PAGE_TIMEOUT, () -> lab.exec(Role.BACKUP, "ip", "link", "show", TUN).exitCode() == 0);
                        tun.put("tun", Tcpdump.on(lab, Role.BACKUP).interfaceName(TUN).snaplen(96).filter("tcp port " + options.port())
                                .name("tcpdump-" + TUN).pcap(lab.workDir().resolve("tun.pcap")).start());
                        // the page, kept open in real time in the backup's namespace (it is served on its loopback)
                        Path dir = lab.workDir().resolve("page-watch");
                        LabProcess watch = lab.start(Role.BACKUP, "page-watch", PageWatch.command(List.of("--url", PAGE,
                                "--dir", dir.toString(), "--expression", SHOWN, "--stop-file", dir.resolve("stop").toString(),
                                "--screenshot", lab.workDir().resolve("page.png").toString())).toArray(String[]::new));
                        watcher.put("watch", watch);
                        watch.awaitOutput(PageWatch.WATCHING, PAGE_TIMEOUT);
                    }

                    @Override
                    public void aboutToPull(LabNetwork lab, MigwareInstance migware) {
                        scrapes.put("before", scrape(lab));
                        page.put("before", lastShown(watcher.get("watch")));
                        String sockets = lab.exec(Role.CLIENT, "ss", "-Htn", "state", "established",
                                "dst", lab.address(Role.PRIMARY) + ":" + options.port()).requireSuccess().stdout();
                        established.put("before", (int) sockets.lines().filter(line -> !line.isBlank()).count());
                    }

                    @Override
                    public void pulled(LabNetwork lab, MigwareInstance migware, Instant pulled) {
                        pulledAt.put("pulled", pulled);
                    }

                    @Override
                    public void finished(LabNetwork lab, MigwareInstance migware) {
                        scrapes.put("after", scrape(lab));
                        LabProcess watch = watcher.get("watch");
                        try {
                            Await.until("the page to show PROXY", PAGE_TIMEOUT, () -> lastShown(watch).contains("\"state\":\"PROXY\""));
                            Files.createFile(lab.workDir().resolve("page-watch").resolve("stop"));
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                        watch.awaitOutput(PageWatch.DONE, PAGE_TIMEOUT);
                        page.put("watch", watch.stdout());
                        tunStats.put("tun", tun.get("tun").stop());
                        try {
                            Files.copy(lab.workDir().resolve("tun.pcap"), Path.of("target", "metrics-lab-tun.pcap"), StandardCopyOption.REPLACE_EXISTING);
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                        try {
                            Files.copy(lab.workDir().resolve("page.png"), Path.of("target", "metrics-lab-page.png"), StandardCopyOption.REPLACE_EXISTING);
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                        // what the applications counted, from their reports (written when they ended)
                        PushClientReport clients = PushClientReport.read(lab.workDir().resolve("client.tsv"));
                        applications.put("clientSent", clients.connections().stream().mapToLong(PushClientReport.Connection::bytesSent).sum());
                        applications.put("clientReceived", clients.connections().stream()
                                .mapToLong(PushClientReport.Connection::bytesReceived).sum());
                        applications.put("primaryReceived", SinkReport.read(lab.workDir().resolve("primary.tsv")).connections().stream()
                                .mapToLong(SinkReport.Connection::bytes).sum());
                        applications.put("replicaReceived", SinkReport.read(lab.workDir().resolve("replica.tsv")).connections().stream()
                                .mapToLong(SinkReport.Connection::bytes).sum());
                    }
                });
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
        String before = scrapes.get("before");
        String after = scrapes.get("after");

        assertEquals(List.of(), promtool(before), before);
        assertEquals(List.of(), promtool(after), after);

        // before the pull: watching, every connection the client's kernel holds is tracked
        assertEquals(CONNECTIONS, established.get("before"), "the client's established sockets before the pull");
        assertEquals(1, value(before, "migware_failover_state{state=\"normal\"}"), before);
        assertEquals((double) established.get("before"), value(before, "migware_connections_tracked"), before);
        assertEquals(0, value(before, "migware_recovery_connections_total{outcome=\"recovered\"}"), before);

        // after: in PROXY, every connection the applications saw survive was recovered, and the counters moved
        assertEquals(CONNECTIONS, result.survived(), result.statusAfter());
        assertEquals(1, value(after, "migware_failover_state{state=\"proxy\"}"), after);
        assertEquals((double) result.survived(), value(after, "migware_recovery_connections_total{outcome=\"recovered\"}"), after);
        assertEquals(0, value(after, "migware_recovery_connections_total{outcome=\"failed\"}"), after);
        assertTrue(value(after, "migware_failover_last_transition_timestamp_seconds")
                >= result.linkPulled().getEpochSecond(), "the transition after the pull at " + result.linkPulled() + ":\n" + after);
        assertTrue(value(after, "migware_failover_last_transition_timestamp_seconds")
                > value(before, "migware_failover_last_transition_timestamp_seconds"), after);
        String received = "migware_capture_received_frames_total{source=\"" + source(before) + "\"}";
        assertTrue(value(after, received) > value(before, received), "capture counter moved:\n" + before + "\n" + after);
        assertTrue(value(after, "migware_proxy_mapped_packets{direction=\"to_replica\"}") > 0, after);
        assertTrue(value(after, "migware_proxy_mapped_packets{direction=\"to_client\"}") > 0, after);
        assertTrue(value(after, "migware_recovery_duration_seconds") > 0, after);

        // the page, open since before the clients started, turned to PROXY after the pull, with no reload and no error
        String watched = page.get("watch");
        System.out.printf("[lab %s] the page, pulled at %d ms:%n%s", prefix, pulledAt.get("pulled").toEpochMilli(), watched);
        assertTrue(page.get("before").contains("\"state\":\"NORMAL\"") && page.get("before").contains("\"text\":\"NORMAL"),
                "the page before the pull: " + page.get("before"));
        List<String> shown = watched.lines().filter(line -> line.startsWith("page ") && !line.startsWith("page watch")).toList();
        assertTrue(shown.stream().allMatch(line -> line.contains("\"notReloaded\":true") && line.contains("\"jsErrors\":\"0\"")),
                "the page reloaded or counted a script error:\n" + watched);
        String firstProxy = shown.stream().filter(line -> line.contains("\"state\":\"PROXY\"")).findFirst().orElseThrow();
        assertTrue(Long.parseLong(firstProxy.split(" ")[1]) > pulledAt.get("pulled").toEpochMilli(),
                "the page shows PROXY only after the pull:\n" + watched);
        assertTrue(firstProxy.contains("\"text\":\"PROXY") && firstProxy.matches(".*\"seen\":\"NORMAL .*PROXY\".*"), firstProxy);
        assertEquals(List.of(), watched.lines().filter(line -> line.startsWith("console ")).toList(), "console messages");
        HeadlessChromium.Picture picture = HeadlessChromium.picture(Path.of("target", "metrics-lab-page.png"));
        assertTrue(picture.colours() > 2 && picture.inked() > 0, "the screenshot shows the page: " + picture);

        // bytes per direction, against the applications, within what the capture says it lost
        long clientSent = applications.get("clientSent");
        long primaryReceived = applications.get("primaryReceived");
        long replicaReceived = applications.get("replicaReceived");
        long clientReceived = applications.get("clientReceived");
        double toReplica = value(after, "migware_proxy_payload_bytes_total{direction=\"to_replica\"}");
        double handedOver = value(after, "migware_proxy_handed_over_bytes_total");
        double toClient = value(after, "migware_proxy_payload_bytes_total{direction=\"to_client\"}");
        double captureDrops = sum(after, "migware_capture_kernel_dropped_frames_total")
                + sum(after, "migware_capture_interface_dropped_frames_total") + sum(after, "migware_capture_dropped_frames_total");
        System.out.printf("[lab %s] applications: clients sent %d B, received %d B; primary received %d B, replica %d B;"
                + " /metrics: proxy to_replica %.0f B + handed over %.0f B, to_client %.0f B; capture drops %.0f frames%n",
                prefix, clientSent, clientReceived, primaryReceived, replicaReceived, toReplica, handedOver, toClient, captureDrops);
        // Every byte the clients sent reached one of the two applications, once: what the replica got is what
        // the clients sent after the primary's application stopped receiving.
        assertEquals(clientSent - primaryReceived, replicaReceived, "the clients' bytes after the failover, as the applications count them");
        assertTrue(replicaReceived > 0, "the clients sent after the failover");
        // Every byte the replica's application got came through MigWare: translated in PROXY, or handed over by
        // MigWare itself (the clients' bytes the primary never acknowledged, from the capture). The counter counts
        // payload as it is written, so a client that retransmits a handed-over byte after the replica's stack
        // already has it adds that byte twice: with no loss on the lab after the pull, the excess is at most the
        // handed-over bytes. A frame the capture lost can hide at most one record from MigWare.
        double slack = captureDrops * options.recordSize();
        double carried = toReplica + handedOver;
        assertTrue(carried >= replicaReceived - slack && carried <= replicaReceived + handedOver + slack,
                "client→replica: MigWare carried " + carried + " B (" + toReplica + " translated + " + handedOver
                        + " handed over), the replica's application received " + replicaReceived + " B; capture drops "
                        + captureDrops + ":\n" + after);
        // Exactly, on the TUN: the payload MigWare wrote toward the replica is its two counters, retransmissions
        // included; the distinct bytes of those connections' sequence space are what the replica's application got.
        Path tunPcap = Path.of("target", "metrics-lab-tun.pcap");
        assertEquals(0, tunStats.get("tun").droppedByKernel(), "tcpdump on the TUN dropped frames: " + tunStats.get("tun"));
        ExecResult written = Commands.run(Duration.ofSeconds(60), "tshark", "-r", tunPcap.toString(), "-Y",
                "tcp.dstport == " + options.port() + " && tcp.len > 0", "-T", "fields", "-e", "tcp.len");
        assertTrue(written.ok(), () -> "tshark: " + written.stderr());
        long wroteOnTun = written.stdout().lines().filter(line -> !line.isBlank()).mapToLong(Long::parseLong).sum();
        List<TcpFlow> flows = new TsharkDecoder().decode(tunPcap);
        long distinctOnTun = flows.stream().mapToLong(flow -> flow.client().payloadBytes()).sum();
        System.out.printf("[lab %s] on the TUN: %d connections, %d payload bytes written toward the replica, %d distinct%n",
                prefix, flows.size(), wroteOnTun, distinctOnTun);
        assertEquals(CONNECTIONS, flows.stream().filter(TcpFlow::handshakeSeen).count(), "forged handshakes on the TUN: " + flows);
        assertEquals((double) wroteOnTun, carried, "MigWare's to_replica + handed_over against the payload on the TUN:\n" + after);
        assertEquals(replicaReceived, distinctOnTun, "the replica's application against the distinct bytes on the TUN");

        // The push servers only acknowledge: the clients received nothing, and MigWare carried no payload to them.
        assertEquals(clientReceived, toClient, slack, "replica→client: MigWare's payload against the clients' received bytes:\n" + after);
        System.out.printf("[lab %s] scraped at %s and after the run; recovered %d of %d%n", prefix, Instant.now(),
                (long) value(after, "migware_recovery_connections_total{outcome=\"recovered\"}"), CONNECTIONS);
    }

    private static String scrape(LabNetwork lab) {
        return lab.exec(Role.BACKUP, "curl", "-sS", "--max-time", "10", METRICS).requireSuccess().stdout();
    }

    /** @return the last thing the page watch saw the page show */
    private static String lastShown(LabProcess watch) {
        List<String> shown = watch.stdout().lines().filter(line -> line.startsWith("page ") && !line.startsWith("page watch")).toList();
        return shown.isEmpty() ? "" : shown.get(shown.size() - 1);
    }

    /** @return the sum of every sample of {@code family} (all label values), 0 if it has none */
    private static double sum(String metrics, String family) {
        Matcher line = Pattern.compile("(?m)^" + Pattern.quote(family) + "(?:\\{[^}]*\\})? (\\S+)$").matcher(metrics);
        double sum = 0;
        while (line.find()) {
            sum += Double.parseDouble(line.group(1));
        }
        return sum;
    }

    /** @return the source label of the capture (the lab's interface) */
    private static String source(String metrics) {
        Matcher source = Pattern.compile("(?m)^migware_capture_received_frames_total\\{source=\"([^\"]+)\"\\}").matcher(metrics);
        assertTrue(source.find(), metrics);
        return source.group(1);
    }

    private static double value(String metrics, String sample) {
        Matcher line = Pattern.compile("(?m)^" + Pattern.quote(sample) + " (\\S+)$").matcher(metrics);
        assertTrue(line.find(), () -> "no sample " + sample + " in\n" + metrics);
        return Double.parseDouble(line.group(1));
    }

    /** @return promtool's complaints about {@code metrics}; empty when it accepts them */
    private static List<String> promtool(String metrics) throws IOException, InterruptedException {
        Process promtool = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        promtool.getOutputStream().write(metrics.getBytes(StandardCharsets.UTF_8));
        promtool.getOutputStream().close();
        String output = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(promtool.waitFor(60, TimeUnit.SECONDS), "promtool did not finish");
        List<String> problems = output.lines().filter(line -> !line.isBlank()).toList();
        return promtool.exitValue() != 0 && problems.isEmpty() ? List.of("exit " + promtool.exitValue()) : problems;
    }
}
