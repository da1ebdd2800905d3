package org.migware.lab.experiments;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.migware.lab.Args;
import org.migware.lab.oracles.RttLog;

/**
 * The benchmarks of migration, in one run on the built-in lab (root):
 * <ul>
 * <li>recovery time — the failover decision to the last forged handshake completed, as the proxy
 * measures it — for N connections (default 200, 1,000 and 10,000; a record every 10 s each, the
 * replica's listen backlog 128), against the thesis's 456–680 ms for 200;</li>
 * <li>the round trip added by PROXY: 200 request/response connections, each record's answer timed
 * by the client, direct to the primary before the pull and through MigWare after, in the same
 * run — the median and p99 differences, against the thesis's 612 ms;</li>
 * <li>bulk throughput through PROXY as a ratio of the direct path, the same connection before and
 * after the pull.</li>
 * </ul>
 * Speed is reported, never asserted: the correctness of the same scenarios is what the lab tests
 * assert. Prints a Markdown report; {@code --out FILE} also writes it.
 *
 * <pre>
 * java -cp lib/migware-lab.jar:lib/gson.jar org.migware.lab.experiments.MigrationBenchmark --distribution DIR [--sizes 200,1000,10000] [--warm 2000]
 *      [--rounds 1] [--out FILE]
 * </pre>
 */
public final class MigrationBenchmark {

    private MigrationBenchmark() {
    }

    /** One recovery measurement. */
    record Recovery(int connections, boolean warmReplica, int round, long recoveryMillis, long survived) {
    }

    public static void main(String[] args) {
        Args parsed = Args.parse(args, Set.of(), Set.of("distribution", "sizes", "rounds", "out", "warm"));
        Path distribution = Path.of(parsed.string("distribution", System.getProperty("migware.home", ".")));
        int[] sizes = Arrays.stream(parsed.string("sizes", "200,1000,10000").split(",")).map(String::trim)
                .mapToInt(Integer::parseInt).toArray();
        int rounds = (int) parsed.number("rounds", 1);
        int warm = (int) parsed.number("warm", 2000);
        Instant started = Instant.now();

        List<Recovery> recoveries = new ArrayList<>();
        for (int size : sizes) {
            // A replica is a running service; the lab's is a fresh JVM whose accept loop has never
            // run, so it is measured both ways: as started, and after `warm` connections (as a
            // balancer's health checks would make) have warmed it up.
            for (boolean warmReplica : new boolean[] {false, true}) {
                for (int round = 1; round <= rounds; round++) {
                    // Connect at 2,000/s and let every connection send before the pull; the scale
                    // scenario's settings otherwise (a record every 10 s, backlog 128, fast monitor).
                    long connectMillis = size / 2;
                    MigrationExperiment.Options options = MigrationExperiment.Options
                            .forScenario(MigrationExperiment.Scenario.SCALE, distribution).withConnections(size)
                            .withBeforeFailureMillis(Math.max(8_000, connectMillis + 11_000)).withAfterFailureMillis(12_000)
                            .withWarmReplicaConnections(warmReplica ? warm : 0).withPrefix("mwbench");
                    System.out.println("bench: recovery of " + size + " connections, " + (warmReplica ? "warm" : "cold")
                            + " replica, round " + round);
                    MigrationExperiment.Result result = MigrationExperiment.run(options,
                            message -> System.out.println("  lab: " + message));
                    recoveries.add(new Recovery(size, warmReplica, round, result.recoveryMillis(), result.survived()));
                    System.out.printf(Locale.ROOT, "bench: %d connections, %s replica: recovery %d ms, %d survived%n", size,
                            warmReplica ? "warm" : "cold", result.recoveryMillis(), result.survived());
                }
            }
        }

        System.out.println("bench: added round trip, 200 request/response connections");
        MigrationExperiment.Result rr = MigrationExperiment.run(MigrationExperiment.Options
                .forScenario(MigrationExperiment.Scenario.REQUEST_RESPONSE, distribution).withPrefix("mwbenchrr"),
                message -> System.out.println("  lab: " + message));
        System.out.println("bench: bulk throughput");
        MigrationExperiment.Result bulk = MigrationExperiment.run(MigrationExperiment.Options
                .forScenario(MigrationExperiment.Scenario.BULK, distribution).withPrefix("mwbenchbulk"),
                message -> System.out.println("  lab: " + message));

        publish(report(started, recoveries, warm, rr, bulk), parsed.string("out", null));
    }

    /** Prints a benchmark's report and, when {@code out} is given, writes it there too. */
    static void publish(String report, String out) {
        System.out.println();
        System.out.println(report);
        if (out != null) {
            try {
                Files.writeString(Path.of(out), report);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** @return a report's first line: when the run started, how long it took, on what machine */
    static String runLine(Instant started) {
        return String.format(Locale.ROOT, "Run %s UTC, took %d s; machine: %d CPUs, %s %s, Java %s%n",
                started.toString().substring(0, 19), Duration.between(started, Instant.now()).toSeconds(),
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"), System.getProperty("os.version"),
                System.getProperty("java.version"));
    }

    static String report(Instant started, List<Recovery> recoveries, int warm, MigrationExperiment.Result rr,
            MigrationExperiment.Result bulk) {
        StringBuilder r = new StringBuilder();
        r.append(runLine(started)).append('\n');
        r.append("### Recovery (failover decision → every forged handshake complete)\n\n");
        r.append(String.format(Locale.ROOT, "Replica: the lab's sink server, listen backlog 128; *cold*: as started, its accept"
                + " loop never run; *warm*: after %d connections opened and closed.%n%n", warm));
        r.append("| connections | replica | round | recovery (ms) | survived | goal | thesis |\n"
                + "| ---: | --- | ---: | ---: | ---: | ---: | --- |\n");
        for (Recovery rec : recoveries) {
            String goal = rec.connections() <= 200 ? "≤ 50 ms" : rec.connections() <= 1000 ? "≤ 100 ms" : "≤ 1 s";
            r.append(String.format(Locale.ROOT, "| %d | %s | %d | %d | %d of %d | %s | %s |%n", rec.connections(),
                    rec.warmReplica() ? "warm" : "cold", rec.round(), rec.recoveryMillis(), rec.survived(), rec.connections(), goal,
                    rec.connections() == 200 ? "456–680 ms" : "—"));
        }
        r.append("\n### Round trip through PROXY against the direct path (200 request/response connections, same run)\n\n");
        MigrationExperiment.RttComparison rtt = rr.rtt();
        if (rtt == null) {
            r.append("no round trips measured\n");
        } else {
            r.append("| path | answers | median (µs) | p90 (µs) | p99 (µs) | max (µs) |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
            r.append(row("direct to the primary", rtt.direct()));
            r.append(row("through MigWare (PROXY)", rtt.proxied()));
            r.append(String.format(Locale.ROOT, "%nAdded by PROXY: median %+d µs (goal ≤ 100 µs), p99 %+d µs; the thesis: 612 ms."
                    + " Survived: %d of %d.%n", rtt.addedMedianMicros(), rtt.addedP99Micros(), rr.survived(), rr.connections().size()));
        }
        r.append("\n### Bulk throughput through PROXY (one connection, before and after the pull)\n\n");
        MigrationExperiment.BulkOutcome b = bulk.bulk();
        if (b == null) {
            r.append("no bulk outcome\n");
        } else {
            r.append(String.format(Locale.ROOT, "direct %.1f MB/s, through MigWare %.1f MB/s: ratio %.3f; replica's bytes %s the sent"
                    + " ones (SHA-256)%n", b.bytesPerSecondBefore() / 1e6, b.bytesPerSecondAfter() / 1e6, b.throughputRatio(),
                    b.replicaSha256() != null && b.replicaMismatchAt() < 0 ? "equal" : "NOT equal"));
        }
        return r.toString();
    }

    private static String row(String path, RttLog.Summary s) {
        return String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %d |%n", path, s.count(), s.medianMicros(), s.p90Micros(),
                s.p99Micros(), s.maxMicros());
    }
}
