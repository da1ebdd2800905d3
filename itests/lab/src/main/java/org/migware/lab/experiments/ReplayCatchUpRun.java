package org.migware.lab.experiments;

import static org.migware.lab.experiments.JsonFields.array;
import static org.migware.lab.experiments.JsonFields.number;
import static org.migware.lab.experiments.JsonFields.object;
import static org.migware.lab.experiments.JsonFields.report;
import static org.migware.lab.experiments.JsonFields.string;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import org.migware.lab.Await;
import org.migware.lab.ExecResult;
import org.migware.lab.LabException;
import org.migware.lab.network.Role;
import org.migware.lab.oracles.FirstNewByte;
import org.migware.lab.oracles.Tcpdump;
import org.migware.lab.workloads.CurlDownload;
import org.migware.lab.workloads.NginxServer;
import org.migware.lab.workloads.SeededFile;

/**
 * The catch-up benchmark of replay (issue 9): nginx serves the same 200 MiB file on the primary and
 * the replica; curl downloads it from the primary at a limited rate; when every download is half
 * done, the primary's link is pulled. With {@code delivery = replay} the replica regenerates what
 * the client already holds, MigWare checks it against the primary's digest and drops it, and only
 * then does a new byte reach the client.
 *
 * <p>Measured per connection: how much the client's TCP had received at the pull ({@code ss}
 * bytes_received), when its first new byte arrived (tcpdump on the client's interface, decoded by
 * tshark: {@link FirstNewByte}) after the pull and after MigWare's PROXY instant, MigWare's own
 * catch-up time and verified bytes (self-timed), and that what curl wrote is a prefix of the file.
 * The baseline, in the same lab: the same number of downloads of the file straight from the
 * replica at full speed.
 */
final class ReplayCatchUpRun {

    private static final int PORT = 8080;
    private static final long FILE_BYTES = 200L << 20;
    /** The clients' limited rate: what MigWare's capture keeps up with for four downloads (see ReplayLabTest). */
    private static final long RATE = 4L << 20;
    private static final Pattern SOCKET = Pattern.compile("\\d+\\.\\d+\\.\\d+\\.\\d+:(\\d+)\\s+\\d+\\.\\d+\\.\\d+\\.\\d+:(\\d+)");
    private static final Pattern BYTES_RECEIVED = Pattern.compile("bytes_received:(\\d+)");

    /**
     * One download across the failover.
     *
     * @param round the round
     * @param clientPort its client port
     * @param heldAtPull bytes the client's TCP had received at the pull
     * @param pullToNewMillis pull → first new byte at the client (-1: none)
     * @param proxyToNewMillis MigWare's PROXY instant → first new byte at the client (-1: none)
     * @param verified replica bytes MigWare verified (self-reported)
     * @param catchUpNanos MigWare's catch-up time (self-timed)
     * @param outcome MigWare's replay outcome (CAUGHT_UP, ...)
     * @param prefixOk what curl wrote is a prefix of the file and reaches beyond the pull
     */
    record Download(int round, int clientPort, long heldAtPull, long pullToNewMillis, long proxyToNewMillis, long verified,
            long catchUpNanos, String outcome, boolean prefixOk) {

        /** @return MigWare's self-timed catch-up rate, MB/s, -1 unknown */
        double selfTimedMBps() {
            return catchUpNanos > 0 ? verified * 1e3 / catchUpNanos : -1;
        }

        /** @return the client-side rate: what it held over PROXY → its first new byte, MB/s (a lower bound of catch-up's) */
        double clientSideMBps() {
            return proxyToNewMillis > 0 ? heldAtPull / 1e3 / proxyToNewMillis : -1;
        }
    }

    /**
     * The direct baseline: downloads from the replica at full speed, all at once.
     *
     * @param round the round
     * @param perConnectionMBps each download's rate (curl's size / time_total)
     * @param aggregateMBps all bytes over the longest time
     */
    record Baseline(int round, List<Double> perConnectionMBps, double aggregateMBps) {
    }

    /**
     * @param clients downloads per round
     * @param downloads every download of every round
     * @param baselines one per round
     */
    record Outcome(int clients, List<Download> downloads, List<Baseline> baselines) {
    }

    private ReplayCatchUpRun() {
    }

    static Outcome run(Path distribution, int clients, int rounds, Consumer<String> progress) {
        List<Download> downloads = new ArrayList<>();
        List<Baseline> baselines = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            progress.accept("catch-up round " + round + ": " + clients + " downloads of 200 MiB at " + (RATE >> 20) + " MiB/s");
            round(distribution, clients, round, downloads, baselines, progress);
        }
        return new Outcome(clients, downloads, baselines);
    }

    private static void round(Path distribution, int clients, int round, List<Download> downloads, List<Baseline> baselines,
            Consumer<String> progress) {
        try (ReplayExperiment lab = ReplayExperiment.create("mwbcu", PORT)) {
            Path www = lab.folder("www");
            Path big = SeededFile.write(www.resolve("big.bin"), FILE_BYTES, 9);
            NginxServer.start(lab.lab(), Role.PRIMARY, lab.lab().workDir().resolve("nginx-primary"), lab.address(Role.PRIMARY), PORT, www);
            NginxServer.start(lab.lab(), Role.BACKUP, lab.lab().workDir().resolve("nginx-backup"), lab.address(Role.BACKUP), PORT, www);
            Baseline baseline = baseline(lab, clients, round);
            baselines.add(baseline);
            progress.accept(String.format(Locale.ROOT, "  baseline from the replica directly: %s MB/s each, %.0f MB/s together",
                    baseline.perConnectionMBps().stream().map(v -> String.format(Locale.ROOT, "%.0f", v)).toList(),
                    baseline.aggregateMBps()));
            lab.startMigware(distribution, "replay", Map.of());
            String url = "http://" + lab.address(Role.PRIMARY) + ":" + PORT + "/big.bin";
            Path out = lab.folder("downloads");
            List<CurlDownload> curls = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                curls.add(CurlDownload.start(lab.lab(), Role.CLIENT, "curl" + i, out, RATE, url));
            }
            Await.until("every download half done", Duration.ofSeconds(120),
                    () -> curls.stream().allMatch(c -> size(c.outputs().get(0)) >= FILE_BYTES / 2));
            Tcpdump capture = Tcpdump.on(lab.lab(), Role.CLIENT).snaplen(96).filter("tcp port " + PORT)
                    .pcap(lab.lab().workDir().resolve("client.pcap")).start();
            Await.sleep(2000);
            String before = lab.statusJson();
            progress.accept("  before the pull: replayable " + ReplayExperiment.count(before, "replayable") + ", capture gaps "
                    + ReplayExperiment.count(before, "captureGaps"));
            Instant pulled = lab.pull();
            // The primary's last segments may arrive until the link is actually down, when pull() returns;
            // MigWare sends nothing before its monitor has missed several probes after that.
            Instant linkDown = Instant.now();
            Map<Integer, Long> held = bytesReceived(lab);
            Instant proxy = lab.awaitProxy(Duration.ofSeconds(30));
            // Done when every client's application has gone 4 MiB past what its TCP held at the pull, or
            // has ended (a connection that was not replayable, a capture gap say, is reset at failover).
            long need = held.values().stream().mapToLong(Long::longValue).max().orElse(0) + (4L << 20);
            // MigWare's view of each catch-up, read meanwhile: a mapping goes once its connection has ended.
            Map<Integer, JsonObject> replays = new HashMap<>();
            try {
                Await.until("every download past the pull", Duration.ofSeconds(90), () -> {
                    replays.putAll(replays(lab.migware().query(MigwareConnections.COMMAND)));
                    return curls.stream()
                            .allMatch(c -> c.outcome().isPresent() || size(c.outputs().get(0)) >= Math.min(need, FILE_BYTES));
                });
            } catch (LabException e) {
                progress.accept("  " + e.getMessage());
            }
            replays.putAll(replays(lab.migware().query(MigwareConnections.COMMAND)));
            capture.stop();
            for (CurlDownload c : curls) {
                c.await(Duration.ZERO); // ends it: the benchmark needs no more of the download
            }
            Map<Integer, FirstNewByte.Arrival> arrivals = FirstNewByte.in(capture.pcap(), PORT, linkDown);
            List<Boolean> prefixes = new ArrayList<>();
            for (CurlDownload c : curls) {
                Path body = c.outputs().get(0);
                long size = size(body);
                prefixes.add(size > FILE_BYTES / 2 && SeededFile.commonPrefix(body, big) == size);
            }
            boolean allPrefixes = prefixes.stream().allMatch(b -> b);
            for (Map.Entry<Integer, Long> e : held.entrySet()) {
                FirstNewByte.Arrival a = arrivals.get(e.getKey());
                JsonObject r = replays.get(e.getKey());
                Download d = new Download(round, e.getKey(), e.getValue(), a == null ? -1 : a.millisAfter(pulled),
                        a == null ? -1 : a.millisAfter(proxy), r == null ? -1 : number(r, "bytesVerified", -1),
                        r == null ? -1 : number(r, "catchUpNanos", -1), r == null ? "none" : string(r, "outcome", "?"), allPrefixes);
                downloads.add(d);
                progress.accept(String.format(Locale.ROOT, "  port %d: held %d at the pull; first new byte +%d ms after the pull,"
                        + " +%d ms after PROXY; MigWare: %s, verified %d in %.1f ms (%.0f MB/s self-timed)", d.clientPort(),
                        d.heldAtPull(), d.pullToNewMillis(), d.proxyToNewMillis(), d.outcome(), d.verified(), d.catchUpNanos() / 1e6,
                        d.selfTimedMBps()));
            }
            progress.accept("  what each curl wrote is a prefix of the file, past the pull: " + prefixes);
        }
    }

    /** The same downloads straight from the replica, unlimited, all at once. */
    private static Baseline baseline(ReplayExperiment lab, int clients, int round) {
        String url = "http://" + lab.address(Role.BACKUP) + ":" + PORT + "/big.bin";
        String one = "curl -sS -o /dev/null -w '%{size_download} %{time_total}\\n' " + url;
        String script = (one + " & ").repeat(clients) + "wait";
        ExecResult result = lab.lab().exec(Role.CLIENT, Duration.ofSeconds(120), "sh", "-c", script).requireSuccess();
        List<Double> each = new ArrayList<>();
        long bytes = 0;
        double longest = 0;
        for (String line : result.stdout().lines().filter(l -> !l.isBlank()).toList()) {
            String[] f = line.trim().split("\\s+");
            long size = Long.parseLong(f[0]);
            double seconds = Double.parseDouble(f[1]);
            each.add(size / 1e6 / seconds);
            bytes += size;
            longest = Math.max(longest, seconds);
        }
        return new Baseline(round, each, longest > 0 ? bytes / 1e6 / longest : -1);
    }

    /** @return per client port, what its TCP had received from the web server ({@code ss}: bytes_received) */
    private static Map<Integer, Long> bytesReceived(ReplayExperiment lab) {
        String out = lab.lab().exec(Role.CLIENT, "ss", "-Htin", "state", "established", "dport", "=", ":" + PORT).requireSuccess().stdout();
        Map<Integer, Long> held = new HashMap<>();
        int port = -1;
        for (String line : out.split("\n")) {
            Matcher socket = SOCKET.matcher(line);
            if (socket.find()) {
                port = Integer.parseInt(socket.group(1));
            }
            Matcher bytes = BYTES_RECEIVED.matcher(line);
            if (bytes.find() && port >= 0) {
                held.put(port, Long.parseLong(bytes.group(1)));
            }
        }
        return held;
    }

    /** @return per client port, the replay part of its mapping in {@code migware:connections --json} */
    private static Map<Integer, JsonObject> replays(String json) {
        Map<Integer, JsonObject> replays = new HashMap<>();
        for (JsonElement e : array(report(json, "mappings", MigwareConnections.COMMAND), "mappings")) {
            JsonObject m = e.getAsJsonObject();
            JsonObject replay = object(m, "replay");
            if (replay != null) {
                replays.put((int) number(object(m, "client"), "port", -1), replay);
            }
        }
        return replays;
    }

    /** @return the Markdown section */
    static String markdown(Outcome o) {
        StringBuilder r = new StringBuilder();
        List<Download> d = o.downloads();
        r.append(String.format(Locale.ROOT, "### Catch-up: %d downloads of 200 MiB at %d MiB/s each, pulled half done, delivery"
                + " replay (%d rounds)%n%n", o.clients(), RATE >> 20, o.baselines().size()));
        r.append("First new byte: the first segment carrying a byte the client had not received before the pull, on the client's"
                + " interface (tcpdump, tshark). PROXY: MigWare's own instant (its status). What the replica regenerated before"
                + " that: the client's TCP bytes_received at the pull (`ss`).\n\n");
        r.append("| per connection | n | median | p99 | max |\n| --- | ---: | ---: | ---: | ---: |\n");
        r.append(row("pull → first new byte (ms)", d.stream().mapToLong(Download::pullToNewMillis).filter(v -> v >= 0).toArray()));
        r.append(row("PROXY → first new byte (ms)", d.stream().mapToLong(Download::proxyToNewMillis).filter(v -> v >= 0).toArray()));
        r.append(row("held by the client at the pull (MiB)", d.stream().mapToLong(x -> x.heldAtPull() >> 20).toArray()));
        r.append(row("catch-up, MigWare self-timed (ms)", d.stream().mapToLong(x -> x.catchUpNanos() / 1_000_000).filter(v -> v >= 0)
                .toArray()));
        double selfTimed = median(d.stream().map(Download::selfTimedMBps).filter(v -> v > 0).toList());
        double clientSide = median(d.stream().map(Download::clientSideMBps).filter(v -> v > 0).toList());
        double direct = median(o.baselines().stream().flatMap(b -> b.perConnectionMBps().stream()).toList());
        double directTogether = median(o.baselines().stream().map(Baseline::aggregateMBps).toList());
        double together = median(catchUpTogether(o));
        r.append(String.format(Locale.ROOT, "%n| rate (median) | MB/s | ratio to the replica's own |%n| --- | ---: | ---: |%n"));
        r.append(String.format(Locale.ROOT, "| baseline: the replica directly, each of %d downloads at once (unlimited) | %.0f | 1 |%n",
                o.clients(), direct));
        r.append(String.format(Locale.ROOT, "| catch-up per connection, verified and dropped (MigWare self-timed) | %.0f | %.2f |%n",
                selfTimed, selfTimed / direct));
        r.append(String.format(Locale.ROOT, "| catch-up per connection, client-side: held at the pull / (PROXY → first new byte)"
                + " (a lower bound) | %.0f | %.2f |%n", clientSide, clientSide / direct));
        r.append(String.format(Locale.ROOT, "| baseline: the replica directly, the %d downloads together | %.0f | 1 |%n", o.clients(),
                directTogether));
        r.append(String.format(Locale.ROOT, "| catch-up together: all verified bytes / the longest catch-up (self-timed) | %.0f | %.2f |%n",
                together, together / directTogether));
        long outcomes = d.stream().filter(x -> x.outcome().equals("CAUGHT_UP")).count();
        long prefixes = d.stream().filter(Download::prefixOk).count();
        r.append(String.format(Locale.ROOT, "%nMigWare caught up on %d of %d connections; in %d of %d what curl wrote is a prefix of the"
                + " file reaching past the pull point (compared byte for byte with the file).%n", outcomes, d.size(),
                prefixes, d.size()));
        return r.toString();
    }

    /** @return per round, all verified bytes over the longest catch-up of that round, MB/s */
    private static List<Double> catchUpTogether(Outcome o) {
        List<Double> rates = new ArrayList<>();
        for (Baseline b : o.baselines()) {
            List<Download> round = o.downloads().stream().filter(d -> d.round() == b.round() && d.catchUpNanos() > 0).toList();
            long bytes = round.stream().mapToLong(Download::verified).sum();
            long nanos = round.stream().mapToLong(Download::catchUpNanos).max().orElse(0);
            if (nanos > 0) {
                rates.add(bytes * 1e3 / nanos);
            }
        }
        return rates;
    }

    private static String row(String what, long[] values) {
        org.migware.lab.oracles.RttLog.Summary s = org.migware.lab.oracles.RttLog.Summary.of(values);
        return String.format(Locale.ROOT, "| %s | %d | %d | %d | %d |%n", what, s.count(), s.medianMicros(), s.p99Micros(), s.maxMicros());
    }

    private static double median(List<Double> values) {
        if (values.isEmpty()) {
            return -1;
        }
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get((sorted.size() - 1) / 2);
    }

    private static long size(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (java.io.IOException e) {
            return 0;
        }
    }
}
