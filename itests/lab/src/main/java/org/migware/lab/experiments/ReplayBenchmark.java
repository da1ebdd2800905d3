package org.migware.lab.experiments;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import org.migware.lab.Args;

/**
 * The benchmarks of {@code delivery = replay} (issue 9), in one run on the built-in lab (root),
 * each a ratio against a baseline of the same run:
 * <ul>
 * <li>memory ({@link ReplayMemoryRun}): bytes per kept client byte and the overhead per replayable
 * connection, against the same connections with {@code resume};</li>
 * <li>catch-up ({@link ReplayCatchUpRun}): 200 MiB downloads pulled half done; the time from the
 * pull and from PROXY to the first new byte at the client, and the catch-up's rate against the
 * replica's own download speed;</li>
 * <li>scale ({@link ReplayScaleRun}): 1,000 request/response connections, recovery and the
 * clients' wait with replay against resume.</li>
 * </ul>
 * Speed is reported, never asserted. Prints a Markdown report; {@code --out FILE} also writes it.
 *
 * <pre>
 * java -cp lib/migware-lab.jar:lib/gson.jar org.migware.lab.experiments.ReplayBenchmark --distribution DIR [--parts memory,catch-up,scale]
 *      [--rounds 3] [--connections 1000] [--kept-bytes 0,1024,16384,262144] [--downloads 4] [--out FILE]
 * </pre>
 */
public final class ReplayBenchmark {

    private ReplayBenchmark() {
    }

    public static void main(String[] args) {
        Args parsed = Args.parse(args, Set.of("replay"), Set.of("distribution", "parts", "rounds", "connections", "kept-bytes",
                "downloads", "out"));
        Path distribution = Path.of(parsed.string("distribution", System.getProperty("migware.home", ".")));
        List<String> parts = Arrays.stream(parsed.string("parts", "memory,catch-up,scale").split(",")).map(String::trim).toList();
        int rounds = (int) parsed.number("rounds", 3);
        int connections = (int) parsed.number("connections", 1000);
        long[] kept = Arrays.stream(parsed.string("kept-bytes", "0,1024,16384,262144").split(",")).map(String::trim)
                .mapToLong(Long::parseLong).sorted().toArray();
        int downloads = (int) parsed.number("downloads", 4);
        Consumer<String> progress = message -> System.out.println("bench: " + message);
        Instant started = Instant.now();

        StringBuilder report = new StringBuilder();
        if (parts.contains("memory")) {
            report.append('\n').append(ReplayMemoryRun.markdown(ReplayMemoryRun.run(distribution, connections, kept, progress)));
        }
        if (parts.contains("catch-up")) {
            report.append('\n').append(ReplayCatchUpRun.markdown(ReplayCatchUpRun.run(distribution, downloads, rounds, progress)));
        }
        if (parts.contains("scale")) {
            // Every scale round is two labs of 1,000 connections: one round unless asked for more.
            int scaleRounds = parsed.has("rounds") ? rounds : 1;
            report.append('\n').append(ReplayScaleRun.markdown(ReplayScaleRun.run(distribution, connections, scaleRounds, progress)));
        }
        MigrationBenchmark.publish(MigrationBenchmark.runLine(started) + report, parsed.string("out", null));
    }
}
