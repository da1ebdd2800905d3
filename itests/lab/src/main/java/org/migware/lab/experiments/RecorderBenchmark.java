package org.migware.lab.experiments;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.migware.lab.Args;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.oracles.RttLog;

/**
 * What the frame recorder behind {@code migware:pcap} costs on the packet path: the same
 * request/response and bulk runs with the recorder off and on (64 MiB ring), alternated round by
 * round in one run, each compared with its own direct path. Times are the clients' own, from their
 * sockets (the round trip of every answered record); throughput is the bulk client's bytes per
 * second through PROXY as a fraction of the same run's direct path.
 *
 * <pre>
 * bin/migware bench --recorder [--rounds 3] [--out FILE]
 * </pre>
 */
public final class RecorderBenchmark {

    private RecorderBenchmark() {
    }

    /** One round's figures. */
    record Round(boolean recorder, int round, RttLog.Summary proxied, long addedMedianMicros, long addedP99Micros, double bulkRatio) {
    }

    public static void main(String[] args) {
        Args parsed = Args.parse(args, Set.of("recorder"), Set.of("distribution", "rounds", "out"));
        Path distribution = Path.of(parsed.string("distribution", System.getProperty("migware.home", ".")));
        int rounds = (int) parsed.number("rounds", 3);
        Instant started = Instant.now();
        List<Round> results = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            for (boolean recorder : new boolean[] {false, true}) {
                MigrationExperiment.Observer observer = recorder ? new MigrationExperiment.Observer() {
                    @Override
                    public void ready(LabNetwork lab, MigwareInstance migware) {
                        migware.configure("org.migware.recorder", Map.of("ringBytes", Integer.toString(64 << 20)));
                        org.migware.lab.Await.until("the recorder", java.time.Duration.ofSeconds(15),
                                () -> migware.tryQuery("help migware:pcap").map(text -> text.contains("pcap")).orElse(false));
                    }
                } : new MigrationExperiment.Observer() { };
                String label = recorder ? "on" : "off";
                System.out.println("bench: recorder " + label + ", round " + round + ": 200 request/response connections");
                MigrationExperiment.Result rr = MigrationExperiment.run(MigrationExperiment.Options
                        .forScenario(MigrationExperiment.Scenario.REQUEST_RESPONSE, distribution).withPrefix("mwbenchrec"),
                        message -> System.out.println("  lab: " + message), observer);
                System.out.println("bench: recorder " + label + ", round " + round + ": bulk");
                MigrationExperiment.Result bulk = MigrationExperiment.run(MigrationExperiment.Options
                        .forScenario(MigrationExperiment.Scenario.BULK, distribution).withPrefix("mwbenchrecb"),
                        message -> System.out.println("  lab: " + message), observer);
                MigrationExperiment.RttComparison rtt = rr.rtt();
                results.add(new Round(recorder, round, rtt.proxied(), rtt.addedMedianMicros(), rtt.addedP99Micros(),
                        bulk.bulk() == null ? -1 : bulk.bulk().throughputRatio()));
            }
        }
        MigrationBenchmark.publish(report(started, results), parsed.string("out", null));
    }

    static String report(Instant started, List<Round> rounds) {
        StringBuilder r = new StringBuilder(MigrationBenchmark.runLine(started)).append('\n');
        r.append("### The frame recorder's cost (request/response: 200 connections, round trip through PROXY; bulk: one"
                + " connection, throughput through PROXY / direct)\n\n");
        r.append("| recorder | round | answers | median (µs) | p99 (µs) | added median (µs) | added p99 (µs) | bulk ratio |\n"
                + "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (Round round : rounds) {
            r.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %+d | %+d | %.3f |%n", round.recorder() ? "on" : "off",
                    round.round(), round.proxied().count(), round.proxied().medianMicros(), round.proxied().p99Micros(),
                    round.addedMedianMicros(), round.addedP99Micros(), round.bulkRatio()));
        }
        double offMedian = rounds.stream().filter(x -> !x.recorder()).mapToLong(x -> x.proxied().medianMicros()).average().orElse(0);
        double onMedian = rounds.stream().filter(Round::recorder).mapToLong(x -> x.proxied().medianMicros()).average().orElse(0);
        double offBulk = rounds.stream().filter(x -> !x.recorder()).mapToDouble(Round::bulkRatio).average().orElse(0);
        double onBulk = rounds.stream().filter(Round::recorder).mapToDouble(Round::bulkRatio).average().orElse(0);
        r.append(String.format(Locale.ROOT, "%nMean over the rounds, on / off: median round trip through PROXY %.3f;"
                + " bulk ratio %.3f.%n", offMedian > 0 ? onMedian / offMedian : -1, offBulk > 0 ? onBulk / offBulk : -1));
        return r.toString();
    }
}
