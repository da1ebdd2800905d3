package org.migware.lab.roles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
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
 * Issue 13, point 1's throughput figure: one new bulk connection to the replica's kernel before the
 * failover (the backup's own address) against one to the service address after it (the direct path,
 * keepalived having moved the address), while MigWare carries the push connections it took over.
 * Both are the kernel's path; what may differ is the machine's load, MigWare's translation of the
 * carried connections among it. Several rounds on each side, each a connection of its own; the
 * ratio is of the medians. The client's own count of bytes written, the first second left out
 * (slow start).
 *
 * <pre>
 * bin/migware bench --direct [--rounds 5] [--seconds 4] [--connections 200] [--capture pcap4j|ring] [--out FILE]
 * </pre>
 */
public final class DirectPathBenchmark {

    private static final int BULK_PORT = 7001;

    /** What one run measured. */
    public record Result(int connections, int rounds, long seconds, List<Double> beforeBytesPerSecond, List<Double> afterBytesPerSecond,
            double beforeMedian, double afterMedian, double ratio, String loadBefore, String loadAfter, int carriedAfter) {
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
        System.out.printf(Locale.ROOT, "direct path, one new bulk connection: before the failover (the backup's address) median %.1f MB/s"
                + " (%s), after it (the service address, %d connections carried) median %.1f MB/s (%s); ratio of the medians %.3f;"
                + " load %s -> %s%n", result.beforeMedian() / 1e6, mb(result.beforeBytesPerSecond()), result.carriedAfter(),
                result.afterMedian() / 1e6, mb(result.afterBytesPerSecond()), result.ratio(), result.loadBefore(), result.loadAfter());
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
        Site.sink(lab, Role.PRIMARY, "primary-sink", work.resolve("primary.tsv"));
        Site.sink(lab, Role.BACKUP, "replica-sink", work.resolve("replica.tsv"));
        LabProcess bulkReceiver = lab.startJava(Role.BACKUP, "replica-bulk", BulkReceiver.class,
                new BulkReceiver.Options().bind("0.0.0.0").port(BULK_PORT).report(work.resolve("replica-bulk.tsv")).toArgs());
        bulkReceiver.awaitOutput(BulkReceiver.LISTENING, Duration.ofSeconds(20));
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
            List<Double> before = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                before.add(bulk(lab, lab.address(Role.BACKUP), seconds, work.resolve("bulk-before-" + round + ".tsv")));
            }
            lab.pullPrimaryLink();
            Await.until("MigWare in PROXY", Duration.ofSeconds(30), () -> migware.status().proxy());
            Await.until("the backup's keepalived owns " + service, Duration.ofSeconds(10), () -> backupVrrp.owns(service));
            Thread.sleep(1000);
            List<Double> after = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                after.add(bulk(lab, service, seconds, work.resolve("bulk-after-" + round + ".tsv")));
            }
            String loadAfter = load();
            int carried = Site.established(lab, service).size();
            double beforeMedian = median(before);
            double afterMedian = median(after);
            return new Result(connections, rounds, seconds, before, after, beforeMedian, afterMedian, afterMedian / beforeMedian, loadBefore,
                    loadAfter, carried);
        }
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

    private static String mb(List<Double> values) {
        return values.stream().map(v -> String.format(Locale.ROOT, "%.1f", v / 1e6)).reduce((a, b) -> a + ", " + b).orElse("");
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
