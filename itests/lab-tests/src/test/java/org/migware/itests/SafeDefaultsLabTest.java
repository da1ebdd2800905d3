package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.migware.lab.Await;
import org.migware.lab.Commands;
import org.migware.lab.LabException;
import org.migware.lab.experiments.DetectionExperiment;
import org.migware.lab.experiments.DetectionExperiment.LogTally;
import org.migware.lab.experiments.DetectionExperiment.LossCounters;
import org.migware.lab.experiments.MigwareInstance;
import org.migware.lab.experiments.MigwareStatus;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.Role;
import org.migware.lab.oracles.Tcpdump;
import org.migware.lab.workloads.PushClientReport;

/**
 * The shipped defaults under 2 % random loss (issue 11, acceptance 6), as root on the lab: the
 * primary's sink and push clients, and in the backup two MigWare containers at once, each as the
 * distribution ships it with only the site's keys written (the service, the capture interface):
 *
 * <ul>
 * <li><b>shipped</b>: also {@code replicaAddress}, so that a decision would really take over: its TUN
 * would carry the forged handshakes of every connection. Its monitor files, {@code deploy/} (monitor-icmp)
 * and failover policy are the distribution's: the safe profile.</li>
 * <li><b>thesis</b>, the control: watch only (no replica, no TUN, so its decisions harm nothing), and
 * the one line {@code profile = thesis} in {@code org.migware.monitor.icmp.cfg}.</li>
 * </ul>
 *
 * <p>Then 1 packet in 50 is dropped at random each way on the primary (nftables on its input and
 * output hooks: the path of the monitors' echoes, as in {@link DetectionLabTest}) for
 * {@code -Dmigware.safeDefaults.lossSeconds} (120; the README's 10-minute run used 600). The oracle
 * of "no takeover" is outside MigWare: tcpdump on the shipped container's TUN sees no IPv4 frame,
 * the primary's kernel still holds every client's connection ({@code ss}), and no client saw an
 * error; MigWare's own status (NORMAL) and log (DOWN verdicts, decisions) are counted beside. The
 * control must show at least one false DOWN in the same time: the test can fail. Last, the primary's
 * cable is pulled: the shipped defaults must still decide and take over, and the time from the pull
 * to the first forged frame on the TUN (the wire) and to the decision (its status) is printed.
 */
class SafeDefaultsLabTest {

    private static final String PREFIX = "mwsd";
    /** The loss run's length: 120 s in CI; the README's measurement ran 600. */
    private static final Duration LOSS = Duration.ofSeconds(Long.getLong("migware.safeDefaults.lossSeconds", 120));
    private static final int CLIENTS = 50;
    private static final String TUN = "mig0";

    @Test
    void theShippedDefaultsTakeNothingOverUnderTwoPercentLossWhileTheThesisProfileSaysDown() {
        try (DetectionExperiment experiment = DetectionExperiment.start(DetectionExperiment.Options.defaults(BuiltDistribution.home())
                .withPrefix(PREFIX).withClients(CLIENTS), message -> System.out.println("[lab] " + message))) {
            LabNetwork lab = experiment.lab();
            int port = experiment.options().port();

            Map<String, Map<String, String>> site = new LinkedHashMap<>(experiment.baseConfigs());
            site.remove("org.migware.capture.file"); // the shipped file (no path) stays
            Map<String, Map<String, String>> shippedConfigs = new LinkedHashMap<>(site);
            shippedConfigs.put("org.migware.proxy", Map.of("replicaAddress", lab.address(Role.BACKUP)));
            Map<String, Map<String, String>> thesisConfigs = new LinkedHashMap<>(site);
            thesisConfigs.put("org.migware.monitor.icmp", Map.of("profile", "thesis"));

            try (MigwareInstance shipped = MigwareInstance.start(lab, Role.BACKUP, "shipped", BuiltDistribution.home(), shippedConfigs,
                    null, Duration.ofSeconds(60));
                    MigwareInstance thesis = MigwareInstance.start(lab, Role.BACKUP, "thesis", BuiltDistribution.home(), thesisConfigs,
                            null, Duration.ofSeconds(60))) {
                for (MigwareInstance m : List.of(shipped, thesis)) {
                    DetectionExperiment.awaitStatus(m, "capturing, NORMAL, icmp UP", Duration.ofSeconds(30),
                            s -> s.capturing() && s.tracking() && s.normal() && s.says("icmp", "UP"));
                }
                Await.until("the shipped container's TUN " + TUN, Duration.ofSeconds(20),
                        () -> lab.exec(Role.BACKUP, "ip", "link", "show", TUN).exitCode() == 0);
                // The clients connect again now, so that the shipped container has seen every handshake
                // and a takeover would re-create every connection through its TUN.
                experiment.reconnectClients();
                Set<String> connections = established(lab, port);
                assertEquals(CLIENTS, connections.size(), "the primary holds every client's connection: " + connections);

                try (Tcpdump tun = Tcpdump.on(lab, Role.BACKUP).interfaceName(TUN).filter("ip").name("tcpdump-" + TUN)
                        .pcap(lab.workDir().resolve("tun.pcap")).start()) {
                    int shippedFrom = shipped.log().length();
                    int thesisFrom = thesis.log().length();
                    experiment.addLoss(50);
                    System.out.println("[lab] 2 % loss each way on the primary for " + LOSS.toSeconds() + " s");
                    Await.sleep(LOSS.toMillis());
                    LossCounters loss = experiment.lossCounters();
                    experiment.removeLoss();
                    Instant lossEnded = Instant.now();

                    LogTally shippedTally = DetectionExperiment.tally(shipped.log().substring(shippedFrom));
                    LogTally thesisTally = DetectionExperiment.tally(thesis.log().substring(thesisFrom));
                    MigwareStatus shippedStatus = shipped.status();
                    MigwareStatus thesisStatus = thesis.status();
                    List<Double> tunFrames = frameTimes(lab, tun);
                    Set<String> after = established(lab, port);
                    PushClientReport clients = experiment.clientReport("the loss run");
                    System.out.println("[lab] loss applied: " + loss);
                    System.out.println(String.format(Locale.ROOT, "[lab] shipped (safe) defaults: %d DOWN verdicts, %d decisions,"
                            + " %d IPv4 frames on %s, %d of %d connections still on the primary, %d clients failed, state %s",
                            shippedTally.downs(), shippedTally.decisions(), tunFrames.size(), TUN, after.size(), CLIENTS,
                            clients.failed().size(), shippedStatus.state()));
                    System.out.println(String.format(Locale.ROOT, "[lab] thesis profile (control): %d DOWN verdicts %s, %d decisions,"
                            + " state %s", thesisTally.downs(), thesisTally.downVerdicts(), thesisTally.decisions(), thesisStatus.state()));
                    thesisTally.downLines().stream().limit(5).forEach(line -> System.out.println("[lab]   " + line));

                    assertTrue(loss.inPercent() > 1.5 && loss.outPercent() > 1.5, () -> "the loss was applied: " + loss);
                    // the control: the same loss trips the thesis's one-miss detector, so this run could have failed
                    assertTrue(thesisTally.downs() >= 1, () -> "the thesis profile said DOWN under 2 % loss: " + thesisStatus);
                    // the outside oracles: nothing was taken over
                    assertEquals(List.of(), tunFrames, "no frame crossed the shipped container's TUN (no connection re-created)");
                    assertEquals(connections, after, "the primary still holds every client's connection");
                    assertEquals(List.of(), clients.failed(), "no client saw a reset or an error");
                    assertEquals(CLIENTS, clients.connections().size(), clients::toString);
                    // and MigWare's own account agrees
                    assertEquals(0, shippedTally.downs(), () -> "DOWN verdicts of the shipped defaults: " + shippedTally.downLines());
                    assertEquals(0, shippedTally.decisions(), shippedStatus::toString);
                    assertTrue(shippedStatus.normal() && shippedStatus.says("icmp", "UP"), shippedStatus::toString);

                    // The safe defaults still see a real failure and take over: the primary's cable pulled.
                    Await.sleep(Math.max(0, 2500 - Duration.between(lossEnded, Instant.now()).toMillis())); // the core's settle time
                    Instant pulled = experiment.pullPrimaryLink();
                    MigwareStatus decided = DetectionExperiment.awaitStatus(shipped, "the shipped defaults' decision after the pull",
                            Duration.ofSeconds(15), s -> !s.normal());
                    Await.until("the first re-created connection's frame on " + TUN, Duration.ofSeconds(10),
                            () -> !frameTimes(lab, tun).isEmpty());
                    double firstFrame = frameTimes(lab, tun).get(0);
                    double pulledAt = pulled.getEpochSecond() + pulled.getNano() / 1e9;
                    System.out.println(String.format(Locale.ROOT, "[lab] shipped defaults, primary's cable pulled: first frame on %s"
                            + " %.0f ms after the pull (wire); decision (migware:status) %.0f ms after it; %s", TUN,
                            (firstFrame - pulledAt) * 1000, Duration.between(pulled, decided.since()).toNanos() / 1e6, decided.reason()));
                    assertTrue(firstFrame > pulledAt, "the TUN's first frame came after the pull");
                    assertTrue(decided.since().isAfter(pulled), decided::toString);
                    assertTrue(decided.reason().startsWith("primary DOWN"), decided::toString);
                } finally {
                    experiment.restorePrimaryLink();
                }
            }
        } finally {
            assertFalse(LabNetwork.leftovers(PREFIX), "the lab's namespaces must be gone");
        }
    }

    /** @return the clients' endpoints of the primary's established connections on the service port ({@code ss}) */
    private static Set<String> established(LabNetwork lab, int port) {
        String out = lab.exec(Role.PRIMARY, "ss", "-Htn", "state", "established", "sport", "=", ":" + port).requireSuccess().stdout();
        Set<String> peers = new TreeSet<>();
        for (String line : out.split("\n")) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length >= 4) {
                peers.add(fields[3]);
            }
        }
        return peers;
    }

    /** @return the capture's frame times so far (epoch seconds), read back with {@code tcpdump -r -tt} */
    private static List<Double> frameTimes(LabNetwork lab, Tcpdump capture) {
        var result = lab.exec(Role.BACKUP, Commands.tool("tcpdump", "tcpdump"), "-r", capture.pcap().toString(), "-tt", "-n");
        List<Double> times = new ArrayList<>();
        if (result.exitCode() != 0) {
            // an empty capture can be "truncated dump file" until tcpdump has flushed its header
            if (result.stderr().contains("truncated") || result.stderr().contains("empty")) {
                return times;
            }
            throw new LabException("tcpdump -r " + capture.pcap() + ": " + result.stderr());
        }
        for (String line : result.stdout().split("\n")) {
            if (!line.isBlank()) {
                times.add(Double.parseDouble(line.substring(0, line.indexOf(' '))));
            }
        }
        return times;
    }
}
