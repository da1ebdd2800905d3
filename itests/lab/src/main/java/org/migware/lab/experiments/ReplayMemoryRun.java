package org.migware.lab.experiments;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import org.migware.lab.Await;
import org.migware.lab.LabException;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.Role;
import org.migware.lab.workloads.HoldingClient;
import org.migware.lab.workloads.SinkReport;
import org.migware.lab.workloads.SinkServer;

/**
 * The memory benchmark of replay (issue 9): N connections that each sent exactly K client bytes,
 * for growing K, with MigWare's {@code delivery} {@code resume} and then {@code replay}, each in a
 * lab of its own. At each K the JVM of MigWare is measured by {@link JvmMemoryProbe} (its direct
 * buffer pool, its heap after a full collection, its resident set), and replay's cost is the
 * difference against resume at the same K: what keeping the client streams costs, bytes per kept
 * client byte and per connection. The server only receives, so the server's stream (whose digest
 * replay also keeps) is empty: the figures are the client streams'.
 */
final class ReplayMemoryRun {

    private static final int PORT = 7000;
    /** The client's total write rate: what MigWare's capture keeps up with on a busy 2-core machine. */
    private static final long RATE = 16L << 20;

    /**
     * One K: MigWare's JVM under resume and under replay.
     *
     * @param bytesPerConnection K
     * @param resume the measurement with delivery resume
     * @param replay with delivery replay
     * @param replayable connections MigWare counted replayable (its own count)
     * @param keptBytes bytes MigWare says it keeps off-heap (its own count)
     */
    record Stage(long bytesPerConnection, JvmMemoryProbe.Memory resume, JvmMemoryProbe.Memory replay, long replayable,
            long keptBytes) {
    }

    /**
     * @param connections N
     * @param stages one per K, ascending
     */
    record Outcome(int connections, List<Stage> stages) {
    }

    private ReplayMemoryRun() {
    }

    /** One delivery's measurements, one per K. */
    private record Series(List<JvmMemoryProbe.Memory> memory, List<Long> replayable, List<Long> keptBytes) {
    }

    static Outcome run(Path distribution, int connections, long[] bytesPerConnection, Consumer<String> progress) {
        Series resume = measure(distribution, "resume", connections, bytesPerConnection, progress);
        Series replay = measure(distribution, "replay", connections, bytesPerConnection, progress);
        List<Stage> stages = new ArrayList<>();
        for (int i = 0; i < bytesPerConnection.length; i++) {
            stages.add(new Stage(bytesPerConnection[i], resume.memory().get(i), replay.memory().get(i), replay.replayable().get(i),
                    replay.keptBytes().get(i)));
        }
        return new Outcome(connections, stages);
    }

    private static Series measure(Path distribution, String delivery, int connections, long[] bytesPerConnection,
            Consumer<String> progress) {
        List<JvmMemoryProbe.Memory> memory = new ArrayList<>();
        List<Long> replayable = new ArrayList<>();
        List<Long> kept = new ArrayList<>();
        try (ReplayExperiment lab = ReplayExperiment.create("mwbmem", PORT)) {
            Path work = lab.lab().workDir();
            Path sinkReport = work.resolve("primary.tsv");
            LabProcess sink = lab.lab().startJava(Role.PRIMARY, "primary-sink", SinkServer.class,
                    new SinkServer.Options().port(PORT).report(sinkReport).toArgs());
            sink.awaitOutput(SinkServer.LISTENING, Duration.ofSeconds(20));
            MigwareInstance migware = lab.startMigware(distribution, delivery, Map.of());
            Await.until("MigWare tracking", Duration.ofSeconds(30), () -> migware.status().tracking());
            Path go = lab.folder("go");
            String stages = Arrays.stream(bytesPerConnection).filter(k -> k > 0).mapToObj(Long::toString)
                    .collect(Collectors.joining(","));
            LabProcess client = lab.lab().startJava(Role.CLIENT, "holding-client", HoldingClient.class, "--host",
                    lab.address(Role.PRIMARY), "--port", Integer.toString(PORT), "--connections", Integer.toString(connections),
                    "--stages", stages, "--rate", Long.toString(RATE), "--go", go.toString());
            int stage = 0;
            for (long k : bytesPerConnection) {
                if (k > 0) {
                    stage++;
                    touch(HoldingClient.trigger(go, stage));
                }
                client.awaitOutput(HoldingClient.STAGE + stage + " sent " + k, Duration.ofSeconds(180));
                // The primary's application is the oracle that every byte crossed the wire (so MigWare saw it).
                long total = k * connections;
                Await.until(connections + " connections with " + k + " bytes each at the primary", Duration.ofSeconds(60),
                        () -> SinkReport.readIfPresent(sinkReport).map(r -> r.connections().size() == connections
                                && r.connections().stream().mapToLong(SinkReport.Connection::bytes).sum() == total).orElse(false));
                Await.sleep(1500);
                JvmMemoryProbe.Memory m = JvmMemoryProbe.measure(lab.lab(), Role.BACKUP, migware.process().pid());
                String status = lab.statusJson();
                memory.add(m);
                replayable.add(ReplayExperiment.count(status, "replayable"));
                kept.add(ReplayExperiment.count(status, "keptBytes"));
                progress.accept(String.format(Locale.ROOT, "%s, %d connections x %d bytes: direct %d buffers %d bytes, heap %d,"
                        + " RSS %d; MigWare: replayable %d, kept %d, capture gaps %d, frames dropped by the kernel %d", delivery,
                        connections, k, m.directBuffers(), m.directBytes(), m.heapBytes(), m.rssBytes(),
                        replayable.get(replayable.size() - 1), kept.get(kept.size() - 1), ReplayExperiment.count(status, "captureGaps"),
                        ReplayExperiment.count(status, "droppedByKernel")));
            }
            client.destroy(Duration.ofSeconds(2));
            sink.destroy();
        }
        return new Series(memory, replayable, kept);
    }

    private static void touch(Path file) {
        try {
            Files.createFile(file);
        } catch (java.io.IOException e) {
            throw new LabException("cannot create " + file + ": " + e.getMessage(), e);
        }
    }

    /** @return the Markdown section */
    static String markdown(Outcome o) {
        StringBuilder r = new StringBuilder();
        r.append(String.format(Locale.ROOT, "### Memory: %d connections, each having sent K client bytes (server silent)%n%n",
                o.connections()));
        r.append("MigWare's JVM measured from outside (JMX of its own JVM: the `direct` buffer pool, the heap after a full GC,"
                + " the kernel's RSS), with `delivery = replay` against `resume` at the same K, in the same run; R: the connections"
                + " MigWare counted replayable (a connection that is not gives its chunks back). Per kept byte: Δ direct / (R·K)."
                + " Per connection: Δ / R. Overhead per connection: (Δ direct + Δ heap) / R − K. The heap after a full GC also"
                + " holds MigWare's capture buffers, which grow with the traffic differently from run to run: at large K its Δ is"
                + " noise.\n\n");
        r.append("| K (bytes) | R | direct, resume | direct, replay | Δ direct per kept byte | Δ direct per connection"
                + " | Δ heap per connection | Δ RSS per connection | overhead per connection |\n"
                + "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (Stage s : o.stages()) {
            long n = Math.max(1, s.replayable());
            long direct = s.replay().directBytes() - s.resume().directBytes();
            long heap = s.replay().heapBytes() - s.resume().heapBytes();
            long rss = s.replay().rssBytes() - s.resume().rssBytes();
            long k = s.bytesPerConnection();
            r.append(String.format(Locale.ROOT, "| %d | %d of %d | %s | %s | %s | %d B | %d B | %d B | %d B |%n", k, s.replayable(),
                    o.connections(), mib(s.resume().directBytes()), mib(s.replay().directBytes()),
                    k == 0 ? "—" : String.format(Locale.ROOT, "%.3f", (double) direct / (n * k)), direct / n, heap / n, rss / n,
                    (direct + heap) / n - k));
        }
        return r.toString();
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}
