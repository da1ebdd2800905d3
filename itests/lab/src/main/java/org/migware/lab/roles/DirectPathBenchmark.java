package org.migware.lab.roles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.migware.lab.Args;
import org.migware.lab.Await;
import org.migware.lab.experiments.CaptureBackend;
import org.migware.lab.experiments.MigwareInstance;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.Role;
import org.migware.lab.workloads.BulkReceiver;

import com.google.gson.GsonBuilder;

/**
 * Issue 13, point 1's throughput figure: new bulk connections before the failover against new ones
 * after it, on the direct path (keepalived having moved the service address to the backup), while
 * MigWare carries the push connections it took over. Four series, each round a connection of its
 * own, the two of a phase interleaved (their order alternating) so that the machine's drift falls
 * on both alike:
 * <ul>
 * <li>before, to the service address: the primary's kernel, the client's path before the failover;
 *     MigWare's capture takes and tracks its frames as it watches the primary;</li>
 * <li>before, to the backup's own address: the replica's kernel; MigWare's filter drops its frames
 *     in the kernel;</li>
 * <li>after, to the service address: the direct path, the replica's kernel; MigWare's capture takes
 *     and tracks its frames (to carry it at the next failover);</li>
 * <li>after, to the backup's own address: the same kernel, not captured: what carrying the taken
 *     connections costs the machine.</li>
 * </ul>
 * The ratio is after ÷ before to the service address (what the client of the service gets
 * before and after); the others tell where a difference comes from. Ratios are of the medians. The
 * client's own count of bytes written, the first second left out (slow start).
 *
 * <pre>
 * bin/migware bench --direct [--rounds 5] [--seconds 4] [--connections 200] [--capture pcap4j|ring] [--out FILE]
 * </pre>
 */
public final class DirectPathBenchmark {

    private static final int BULK_PORT = 7001;

    /** One series of rounds: each round's bytes a second and their median. */
    public record Series(List<Double> bytesPerSecond, double median) {
        static Series of(List<Double> values) {
            return new Series(values, DirectPathBenchmark.median(values));
        }
    }

    /**
     * What one run measured.
     *
     * @param ratio the issue's: after ÷ before, both to the service address
     * @param ratioAgainstReplicaBefore after to the service address ÷ before to the backup's own address
     * @param carryingCost after ÷ before, both to the backup's own address (never captured)
     * @param trackingCost after: the service address ÷ the backup's own address
     */
    public record Result(int connections, int rounds, long seconds, Series beforeService, Series beforeReplica, Series afterService,
            Series afterReplica, double ratio, double ratioAgainstReplicaBefore, double carryingCost, double trackingCost, String loadBefore,
            String loadAfter, int carriedAfter) {
    }

    private DirectPathBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Args parsed = Args.parse(args, Set.of("direct"), Set.of("distribution", "rounds", "seconds", "connections", "capture", "out"));
        Path distribution = Path.of(parsed.string("distribution", System.getProperty("migware.home", ".")));
        int rounds = (int) parsed.number("rounds", 5);
        long seconds = parsed.number("seconds", 4);
        int connections = (int) parsed.number("connections", 200);
        CaptureBackend capture = CaptureBackend.valueOf(parsed.string("capture", "pcap4j").toUpperCase(Locale.ROOT));
        Result result;
        try (LabNetwork lab = LabNetwork.builder().prefix("mwbenchdirect").replaceLeftovers(true).create()) {
            result = run(lab, distribution, connections, rounds, seconds, capture);
        }
        String json = new GsonBuilder().setPrettyPrinting().create().toJson(result);
        System.out.println(json);
        System.out.printf(Locale.ROOT, "direct path, new bulk connections, %d rounds each, %d connections carried after the failover;"
                + " medians (MB/s): before: service address (the primary) %s, backup's own address %s; after: service address"
                + " (the direct path) %s, backup's own address %s%n", result.rounds(), result.carriedAfter(), line(result.beforeService()),
                line(result.beforeReplica()), line(result.afterService()), line(result.afterReplica()));
        System.out.printf(Locale.ROOT, "ratio (after / before, the service address): %.3f; after the service address / before the backup's"
                + " address: %.3f; carrying (the backup's address after / before): %.3f; tracking (after: service / backup's address):"
                + " %.3f; load %s -> %s%n", result.ratio(), result.ratioAgainstReplicaBefore(), result.carryingCost(), result.trackingCost(),
                result.loadBefore(), result.loadAfter());
        String out = parsed.string("out", null);
        if (out != null) {
            Files.writeString(Path.of(out), json);
        }
    }

    /**
     * Runs the measurement on a fresh lab.
     *
     * @return the rounds and their medians
     */
    public static Result run(LabNetwork lab, Path distribution, int connections, int rounds, long seconds, CaptureBackend capture)
            throws InterruptedException {
        Path work = lab.workDir();
        String service = Site.serviceAddress(lab);
        String serviceWithLength = service + "/" + lab.prefixLength();
        String backup = lab.address(Role.BACKUP);
        Site.sink(lab, Role.PRIMARY, "primary-sink", work.resolve("primary.tsv"));
        Site.sink(lab, Role.BACKUP, "replica-sink", work.resolve("replica.tsv"));
        for (Role role : List.of(Role.PRIMARY, Role.BACKUP)) {
            LabProcess receiver = lab.startJava(role, role.name().toLowerCase(Locale.ROOT) + "-bulk", BulkReceiver.class,
                    new BulkReceiver.Options().bind("0.0.0.0").port(BULK_PORT).report(work.resolve(role + "-bulk.tsv")).toArgs());
            receiver.awaitOutput(BulkReceiver.LISTENING, Duration.ofSeconds(20));
        }
        Path track = work.resolve("keepalived-backup.track");
        Keepalived primaryVrrp = Keepalived.start(lab, Role.PRIMARY, distribution, serviceWithLength, 200, List.of(Role.BACKUP), null);
        Keepalived backupVrrp = Keepalived.start(lab, Role.BACKUP, distribution, serviceWithLength, 100, List.of(Role.PRIMARY), track);
        Await.until("the primary's keepalived owns " + service, Duration.ofSeconds(20), () -> primaryVrrp.owns(service));
        Map<String, Map<String, String>> config = new HashMap<>(Site.watching(lab, service, Role.BACKUP, lab.address(Role.PRIMARY), track));
        // The bulk port is a service port too: MigWare must leave the new connection to the kernel by itself.
        config.put("org.migware.service", Map.of("addresses", "[\"" + service + "\"]", "ports", "I[\"" + Site.PORT + "\",\"" + BULK_PORT
                + "\"]"));
        capture.configure(config, config.get(CaptureBackend.PCAP4J.pid()));
        try (MigwareInstance migware = MigwareInstance.start(lab, Role.BACKUP, distribution, config, Duration.ofSeconds(60))) {
            Site.awaitWatching(migware, track);
            Site.client(lab, "clients", service, connections, 1, 500, work.resolve("clients.tsv"));
            Await.until("every push connection established", Duration.ofSeconds(60),
                    () -> Site.established(lab, service).size() == connections);
            String loadBefore = load();
            List<List<Double>> before = interleaved(lab, service, backup, rounds, seconds, work.resolve("bulk-before"));
            lab.pullPrimaryLink();
            Await.until("MigWare in PROXY", Duration.ofSeconds(30), () -> migware.status().proxy());
            Await.until("the backup's keepalived owns " + service, Duration.ofSeconds(10), () -> backupVrrp.owns(service));
            Thread.sleep(1000);
            List<List<Double>> after = interleaved(lab, service, backup, rounds, seconds, work.resolve("bulk-after"));
            String loadAfter = load();
            int carried = Site.established(lab, service).size();
            Series beforeService = Series.of(before.get(0));
            Series beforeReplica = Series.of(before.get(1));
            Series afterService = Series.of(after.get(0));
            Series afterReplica = Series.of(after.get(1));
            return new Result(connections, rounds, seconds, beforeService, beforeReplica, afterService, afterReplica,
                    afterService.median() / beforeService.median(), afterService.median() / beforeReplica.median(),
                    afterReplica.median() / beforeReplica.median(), afterService.median() / afterReplica.median(), loadBefore, loadAfter,
                    carried);
        }
    }

    /** @return the rounds to {@code first}, then those to {@code second}, taken in turns, which one first alternating */
    private static List<List<Double>> interleaved(LabNetwork lab, String first, String second, int rounds, long seconds, Path reportStem) {
        List<Double> toFirst = new ArrayList<>();
        List<Double> toSecond = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            boolean firstFirst = round % 2 == 1;
            for (int turn = 0; turn < 2; turn++) {
                boolean isFirst = firstFirst == (turn == 0);
                String host = isFirst ? first : second;
                Path report = Path.of(reportStem + "-" + round + "-" + host + ".tsv");
                (isFirst ? toFirst : toSecond).add(bulk(lab, host, seconds, report));
            }
        }
        return List.of(toFirst, toSecond);
    }

    private static double bulk(LabNetwork lab, String host, long seconds, Path report) {
        return Site.bulkBytesPerSecond(lab, host, BULK_PORT, seconds * 1000, report);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String line(Series series) {
        return String.format(Locale.ROOT, "%.1f (%s)", series.median() / 1e6, series.bytesPerSecond().stream()
                .map(v -> String.format(Locale.ROOT, "%.1f", v / 1e6)).reduce((a, b) -> a + ", " + b).orElse(""));
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
