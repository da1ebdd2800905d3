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
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import com.google.gson.GsonBuilder;
import org.migware.lab.Args;

/**
 * The benchmarks of migration, in one run on the built-in lab (root):
 * <ul>
 * <li>part {@code wire}: the failover timed from the wire ({@link WireTimingBench}), per size and
 * monitor profile (thesis and fast) over {@code --rounds} rounds, MigWare's self-timed recovery
 * beside it;</li>
 * <li>part {@code recovery}, on request: MigWare's self-timed recovery time — the failover decision to the last forged handshake completed, as the proxy
 * measures it — for N connections (default 200, 1,000 and 10,000; a record every 10 s each, the
 * replica's listen backlog 128), against the thesis's 456–680 ms for 200;</li>
 * <li>part {@code rtt}: the round trip added by PROXY ({@link RoundTripBench}), over {@code --rounds}
 * rounds: request/response connections ({@code --rtt-connections}, default 200, carrying
 * {@code --rtt-rate} requests a second in all, default one every 500 ms per connection), timed on
 * the client's wire (PSH → ACK and PSH → the answer's first byte, tcpdump and tshark) and by the
 * clients themselves, direct to the primary before the pull and through MigWare after, in the
 * same round; {@code --rtt-stages} captures on the backup's link and MigWare's TUN too and times
 * each stage of the path through PROXY; {@code --rtt-proxy} sets keys of MigWare's proxy configuration for
 * the rtt rounds (a diagnosis: what a setting costs);</li>
 * <li>bulk throughput through PROXY as a ratio of the direct path, the same connection before and
 * after the pull.</li>
 * </ul>
 * Speed is reported, never asserted: the correctness of the same scenarios is what the lab tests
 * assert. Prints a Markdown report, with the machine (CPU, cores, kernel, Java) and its load
 * average at the start and the end; {@code --out FILE} also writes it, and the same figures as
 * JSON beside it ({@code FILE} with its extension replaced by {@code .json}).
 *
 * <pre>
 * java -cp lib/migware-lab.jar:lib/gson.jar org.migware.lab.experiments.MigrationBenchmark --distribution DIR [--sizes 200,1000,10000] [--warm 2000]
 *      [--rounds 10] [--profiles thesis,fast] [--parts wire,rtt,bulk,recovery] [--out FILE]
 *      [--rtt-connections 200] [--rtt-rate REQUESTS_PER_SECOND] [--rtt-stages] [--rtt-proxy KEY=VALUE,...]
 * </pre>
 */
public final class MigrationBenchmark {

    private MigrationBenchmark() {
    }

    /** One recovery measurement. */
    record Recovery(int connections, boolean warmReplica, int round, long recoveryMillis, long survived) {
    }

    /** What the bench runs unless {@code --parts} says otherwise. */
    static final String DEFAULT_PARTS = "wire,rtt,bulk";

    /** Rounds per size and profile unless {@code --rounds} says otherwise: 10 gives a p90 over rounds. */
    static final int DEFAULT_ROUNDS = 10;

    public static void main(String[] args) {
        Args parsed = Args.parse(args, Set.of("rtt-stages"), Set.of("distribution", "sizes", "rounds", "out", "warm", "parts", "profiles",
                "rtt-connections", "rtt-rate", "rtt-proxy"));
        Path distribution = Path.of(parsed.string("distribution", System.getProperty("migware.home", ".")));
        int[] sizes = Arrays.stream(parsed.string("sizes", "200,1000,10000").split(",")).map(String::trim)
                .mapToInt(Integer::parseInt).toArray();
        int rounds = (int) parsed.number("rounds", DEFAULT_ROUNDS);
        if (rounds < 1) {
            throw new IllegalArgumentException("--rounds must be at least 1");
        }
        int warm = (int) parsed.number("warm", 2000);
        Set<String> parts = Set.of(parsed.string("parts", DEFAULT_PARTS).split(","));
        for (String part : parts) {
            if (!Set.of("wire", "rtt", "bulk", "recovery").contains(part)) {
                throw new IllegalArgumentException("--parts: unknown part '" + part + "' (wire, rtt, bulk, recovery)");
            }
        }
        List<DetectionExperiment.Profile> profiles = new ArrayList<>();
        for (String name : parsed.string("profiles", "thesis,fast").split(",")) {
            profiles.add(switch (name.trim()) {
                case "thesis" -> DetectionExperiment.Profile.THESIS;
                case "fast" -> DetectionExperiment.Profile.FAST;
                default -> throw new IllegalArgumentException("--profiles: thesis or fast, not '" + name + "'");
            });
        }
        RoundTripBench.Plan rttPlan = RoundTripBench.Plan.of((int) parsed.number("rtt-connections", RoundTripBench.DEFAULT_CONNECTIONS),
                parsed.number("rtt-rate", 0)).withProxySettings(parsed.string("rtt-proxy", null));
        Instant started = Instant.now();
        Machine machine = Machine.now();
        System.out.println("bench: " + machine.describe() + "; load average at the start " + machine.loadAverage());

        List<WireTimingBench.Round> wire = new ArrayList<>();
        if (parts.contains("wire")) {
            for (int size : sizes) {
                for (DetectionExperiment.Profile profile : profiles) {
                    for (int round = 1; round <= rounds; round++) {
                        System.out.println("bench: wire timing, " + size + " connections, monitor " + profile.name() + ", round "
                                + round + " of " + rounds);
                        WireTimingBench.Round r = WireTimingBench.round(distribution, size, profile, round, "mwbw",
                                message -> System.out.println("  lab: " + message));
                        wire.add(r);
                        System.out.printf(Locale.ROOT, "bench: %d of %d connections with both figures; self-timed recovery %d ms;"
                                + " capture drops %d%n", r.complete(), size, r.selfTimedRecoveryMillis(), r.dropped());
                    }
                }
            }
        }

        List<Recovery> recoveries = new ArrayList<>();
        for (int size : parts.contains("recovery") ? sizes : new int[0]) {
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

        List<RoundTripBench.Round> rtt = new ArrayList<>();
        for (int round = 1; parts.contains("rtt") && round <= rounds; round++) {
            System.out.println("bench: round trip added by PROXY, " + rttPlan.describe() + ", round " + round + " of " + rounds);
            RoundTripBench.Round r = RoundTripBench.round(distribution, rttPlan, round, "mwbenchrr", parsed.has("rtt-stages"),
                    message -> System.out.println("  lab: " + message));
            rtt.add(r);
            System.out.printf(Locale.ROOT, "bench: PSH → ACK p99 direct %s µs, through PROXY %s µs (%d and %d samples); capture drops %d%n",
                    RoundTripBench.us(r.direct().pshToAck().p99()), RoundTripBench.us(r.proxied().pshToAck().p99()),
                    r.direct().pshToAck().count(), r.proxied().pshToAck().count(), r.dropped());
        }
        MigrationExperiment.Result bulk = parts.contains("bulk")
                ? runScenario("bulk throughput", MigrationExperiment.Scenario.BULK, "mwbenchbulk", distribution) : null;

        Machine end = Machine.now();
        String out = parsed.string("out", null);
        publish(machineLines(started, machine, end) + report(wire, recoveries, warm, rtt, bulk), out);
        if (out != null) {
            writeJson(jsonPath(Path.of(out)), json(started, machine, end, wire, recoveries, rtt, bulk));
        }
    }

    /** Runs a scenario with its defaults, telling the console. */
    private static MigrationExperiment.Result runScenario(String title, MigrationExperiment.Scenario scenario, String prefix,
            Path distribution) {
        System.out.println("bench: " + title);
        return MigrationExperiment.run(MigrationExperiment.Options.forScenario(scenario, distribution).withPrefix(prefix),
                message -> System.out.println("  lab: " + message));
    }

    /**
     * The machine a bench ran on.
     *
     * @param cpuModel {@code /proc/cpuinfo}'s model name
     * @param cores processors the JVM sees
     * @param kernel {@code /proc/sys/kernel/osrelease}
     * @param java the JVM's version and name
     * @param loadAverage {@code /proc/loadavg}'s 1, 5 and 15 minute averages when read
     */
    record Machine(String cpuModel, int cores, String kernel, String java, String loadAverage) {

        static Machine now() {
            String model = "unknown";
            try {
                model = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                        .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
            } catch (IOException e) {
                model = "unknown (" + e.getMessage() + ")";
            }
            return new Machine(model, Runtime.getRuntime().availableProcessors(), read("/proc/sys/kernel/osrelease",
                    System.getProperty("os.version")), System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")",
                    loadAverageNow());
        }

        static String loadAverageNow() {
            String line = read("/proc/loadavg", "unknown");
            String[] f = line.split("\\s+");
            return f.length >= 3 ? f[0] + " " + f[1] + " " + f[2] : line;
        }

        private static String read(String file, String otherwise) {
            try {
                return Files.readString(Path.of(file)).trim();
            } catch (IOException e) {
                return otherwise;
            }
        }

        String describe() {
            return String.format(Locale.ROOT, "%s, %d cores, Linux %s, Java %s", cpuModel, cores, kernel, java);
        }
    }

    /** @return the report's opening lines: when, how long, the machine, its load at the start and the end */
    static String machineLines(Instant started, Machine start, Machine end) {
        return String.format(Locale.ROOT, "Run %s UTC, took %d s; machine: %s; load average (1, 5, 15 min) at the start %s, at"
                + " the end %s%n%n", started.toString().substring(0, 19), Duration.between(started, Instant.now()).toSeconds(),
                start.describe(), start.loadAverage(), end.loadAverage());
    }

    /** @return {@code report.md} → {@code report.json} (any other name: {@code .json} appended) */
    static Path jsonPath(Path markdown) {
        String name = markdown.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return markdown.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".json");
    }

    static void writeJson(Path file, Map<String, Object> tree) {
        try {
            Files.writeString(file, new GsonBuilder().setPrettyPrinting().create().toJson(tree) + "\n");
            System.out.println("bench: JSON written to " + file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, Object> json(Instant started, Machine start, Machine end, List<WireTimingBench.Round> wire,
            List<Recovery> recoveries, List<RoundTripBench.Round> rtt, MigrationExperiment.Result bulk) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("started", started.toString());
        m.put("seconds", Duration.between(started, Instant.now()).toSeconds());
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cpuModel", start.cpuModel());
        machine.put("cores", start.cores());
        machine.put("kernel", start.kernel());
        machine.put("java", start.java());
        machine.put("loadAverageStart", start.loadAverage());
        machine.put("loadAverageEnd", end.loadAverage());
        m.put("machine", machine);
        if (!wire.isEmpty()) {
            m.put("wireTiming", WireTimingBench.json(wire));
        }
        if (!recoveries.isEmpty()) {
            List<Object> recs = new ArrayList<>();
            for (Recovery r : recoveries) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("connections", r.connections());
                o.put("replica", r.warmReplica() ? "warm" : "cold");
                o.put("round", r.round());
                o.put("selfTimedRecoveryMs", r.recoveryMillis());
                o.put("survived", r.survived());
                recs.add(o);
            }
            m.put("selfTimedRecovery", recs);
        }
        if (!rtt.isEmpty()) {
            m.put("roundTrip", RoundTripBench.json(rtt));
        }
        if (bulk != null && bulk.bulk() != null) {
            MigrationExperiment.BulkOutcome b = bulk.bulk();
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("directBytesPerSecond", b.bytesPerSecondBefore());
            o.put("proxiedBytesPerSecond", b.bytesPerSecondAfter());
            o.put("ratio", b.throughputRatio());
            o.put("replicaBytesEqual", b.replicaSha256() != null && b.replicaMismatchAt() < 0);
            m.put("bulk", o);
        }
        return m;
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

    static String report(List<WireTimingBench.Round> wire, List<Recovery> recoveries, int warm, List<RoundTripBench.Round> rtt,
            MigrationExperiment.Result bulk) {
        StringBuilder r = new StringBuilder();
        if (!wire.isEmpty()) {
            r.append(WireTimingBench.markdown(wire)).append('\n');
        }
        if (!recoveries.isEmpty()) {
            r.append(recoveryReport(recoveries, warm));
        }
        if (!rtt.isEmpty()) {
            r.append(RoundTripBench.markdown(rtt));
        }
        if (bulk != null) {
            r.append(bulkReport(bulk));
        }
        return r.toString();
    }

    private static String recoveryReport(List<Recovery> recoveries, int warm) {
        StringBuilder r = new StringBuilder();
        r.append("### Recovery, self-timed by MigWare (failover decision → every forged handshake complete, as the proxy times it)\n\n");
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
        return r.toString();
    }

    private static String bulkReport(MigrationExperiment.Result bulk) {
        StringBuilder r = new StringBuilder();
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
}
