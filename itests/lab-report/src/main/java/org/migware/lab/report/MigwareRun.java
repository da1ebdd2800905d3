package org.migware.lab.report;

import org.migware.lab.oracles.LatencyStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.migware.lab.experiments.DetectionExperiment;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.experiments.MigrationExperiment;
import org.migware.lab.experiments.MigwareInstance;
import org.migware.lab.workloads.PushClientReport;
import org.migware.lab.network.Role;
import org.migware.lab.workloads.SinkReport;
import org.migware.lab.oracles.Tcpdump;
import org.migware.lab.oracles.WireAnalysis;

/**
 * One MigWare run of the job for one N: the lab's {@link MigrationExperiment} (clients push to
 * the primary, its link is pulled, MigWare carries every connection on to the replica) with the
 * job's monitor profile and framing, a capture on the client's link and the faults put in place
 * through the experiment's {@link MigrationExperiment.Observer} hooks, then measured:
 *
 * <ul>
 * <li>from the wire (tshark on the capture): PSH to ACK before the pull (the thesis's "TCP
 * latency"), after the move to PROXY ("total proxy time"), and the longest wait for an ACK across
 * the failover;</li>
 * <li>from MigWare's log: the DOWN verdict and decision after the pull, the proxy's own recovery
 * time, the move to PROXY;</li>
 * <li>from the applications (the client's and both sinks' reports): which connections broke,
 * records lost after the resume point, duplicated, torn.</li>
 * </ul>
 */
final class MigwareRun {

    /** The service port of the lab's sinks. */
    static final int PORT = 7000;

    private MigwareRun() {
    }

    /**
     * Whether the distribution's proxy has record framing: its bundle's metatype (generated from
     * the configuration's annotations) declares a {@code framing} attribute. A proxy without it
     * would ignore the key silently.
     *
     * @param distribution a MigWare distribution
     * @return true when {@code org.migware.proxy} takes {@code framing}
     */
    static boolean framingSupported(Path distribution) {
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(distribution.resolve("bundle"), "org.migware.proxy-*.jar")) {
            for (Path jar : jars) {
                try (ZipFile zip = new ZipFile(jar.toFile())) {
                    for (ZipEntry entry : Collections.list(zip.entries())) {
                        if (entry.getName().startsWith("OSGI-INF/metatype/") && entry.getName().endsWith(".xml")) {
                            String xml = new String(zip.getInputStream(entry).readAllBytes(), StandardCharsets.UTF_8);
                            if (xml.contains("id=\"framing\"")) {
                                return true;
                            }
                        }
                    }
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /**
     * Runs and measures MigWare for N connections.
     *
     * @param o the job's options
     * @param n connections
     * @param raw where this run's raw files are copied
     * @param currentLab set to the lab while it exists, for the job's Ctrl-C handler
     * @param progress told of each step
     * @return the run's results as a JSON object
     */
    static Map<String, Object> run(JobOptions o, int n, Path raw, AtomicReference<LabNetwork> currentLab, Consumer<String> progress) {
        // The main job measures the thesis's detector (ICMP every 500 ms, DOWN after one miss), written into
        // etc/ explicitly: the shipped default is the safe profile (100 ms, 8 misses in a row).
        MigrationExperiment.Options options = new MigrationExperiment.Options(o.distribution(), n, o.intervalMillis(),
                o.beforeMillis(), o.afterMillis(), PORT, o.prefix())
                .withMonitor(o.monitorProfile().equals("fast") ? DetectionExperiment.Profile.FAST : DetectionExperiment.Profile.THESIS)
                .withFraming(o.framing());
        Faults faults = new Faults(o, o.faultLink());
        AtomicReference<Tcpdump> capture = new AtomicReference<>();
        AtomicReference<Instant> pullDone = new AtomicReference<>();
        Map<String, Object> faultCounters = new LinkedHashMap<>();
        MigrationExperiment.Observer observer = new MigrationExperiment.Observer() {
            @Override
            public void ready(LabNetwork lab, MigwareInstance migware) {
                currentLab.set(lab);
                if (o.faults()) {
                    faults.apply(lab);
                    progress.accept("faults: " + Faults.describe(o));
                }
                // the client's own link: on the hub it sees what the thesis's capture saw, before and after the pull
                capture.set(Tcpdump.on(lab, Role.CLIENT).filter("tcp port " + PORT).snaplen(2048)
                        .pcap(lab.workDir().resolve("client.pcap")).name("tcpdump-client").start());
            }

            @Override
            public void pulled(LabNetwork lab, MigwareInstance migware, Instant pulled) {
                pullDone.set(Instant.now());
            }

            @Override
            public void finished(LabNetwork lab, MigwareInstance migware) {
                Tcpdump t = capture.get();
                if (t != null) {
                    t.stop();
                }
                faultCounters.putAll(faults.counters(lab));
            }
        };
        MigrationExperiment.Result result;
        try {
            result = MigrationExperiment.run(options, progress, observer);
        } finally {
            Tcpdump t = capture.get();
            if (t != null) {
                t.stop();
            }
            currentLab.set(null);
        }
        Path work = result.workDir();
        copyRaw(work, raw, List.of("client.tsv", "primary.tsv", "replica.tsv", "client.pcap", "tcpdump-client.err"));
        write(raw.resolve("migware.log"), result.log());
        write(raw.resolve("status-after.txt"), result.statusAfter());
        Instant pulled = pullDone.get() != null ? pullDone.get() : result.linkPulled();
        return analyse(n, result, pulled, work, faultCounters, "raw/" + raw.getFileName());
    }

    /**
     * Turns one run's raw material into its measurements.
     *
     * @param n connections asked for
     * @param result the experiment's outcome
     * @param pulled when the primary's link was down (the pull command had returned)
     * @param work the run's work folder (reports, capture)
     * @param faultCounters what the loss rules counted
     * @param rawRef the raw folder, relative to the report
     * @return the measurements as a JSON object
     */
    static Map<String, Object> analyse(int n, MigrationExperiment.Result result, Instant pulled, Path work,
            Map<String, Object> faultCounters, String rawRef) {
        LogEvents.Migware events = LogEvents.migware(result.log(), result.linkPulled());
        PushClientReport client = PushClientReport.read(work.resolve("client.tsv"));
        SinkReport primary = SinkReport.read(work.resolve("primary.tsv"));
        SinkReport replica = SinkReport.read(work.resolve("replica.tsv"));
        double pullSec = epochSeconds(pulled);
        double pullStartSec = epochSeconds(result.linkPulled());
        double proxySec = events.proxy() == null ? Double.NaN : epochSeconds(events.proxy());

        // ---- the applications: per connection, what the client sent and both servers got
        List<Map<String, Object>> perConnection = new ArrayList<>();
        Map<Long, long[]> primaryRange = new HashMap<>();
        Map<Long, long[]> replicaRange = new HashMap<>();
        int survived = 0;
        long sentTotal = 0;
        long lostAfterResume = 0;
        long lostTotal = 0;
        long duplicated = 0;
        long redelivered = 0;
        long torn = 0;
        List<String> brokenExamples = new ArrayList<>();
        for (MigrationExperiment.ConnectionOutcome c : result.connections()) {
            PushClientReport.Connection sent = client.byLocalPort(c.clientPort()).orElse(null);
            long id = sent == null ? -1 : sent.id();
            SinkReport.Connection p = id < 0 ? null : primary.byConnId(id).orElse(null);
            SinkReport.Connection r = id < 0 ? null : replica.byConnId(id).orElse(null);
            long pLast = p == null || p.lastSeq() < 0 ? 0 : p.lastSeq();
            long pFirst = p == null || p.firstSeq() < 0 ? 1 : p.firstSeq();
            long rFirst = r == null ? -1 : r.firstSeq();
            long rLast = r == null ? -1 : r.lastSeq();
            long rMissing = r == null ? 0 : Math.max(0, r.missing());
            long s = c.recordsSent();
            // the resume point is the primary's last record + 1: everything after it must reach the replica
            long afterResume = Math.max(0, s - pLast);
            long gotAfterResume = rFirst < 0 ? 0 : Math.max(0, Math.min(rLast, s) - Math.max(rFirst, pLast + 1) + 1) - rMissing;
            long lost = Math.max(0, afterResume - Math.max(0, gotAfterResume));
            long dup = (r == null ? 0 : Math.max(0, r.duplicates())) + (p == null ? 0 : Math.max(0, p.duplicates()));
            long again = rFirst < 0 ? 0 : Math.max(0, Math.min(pLast, rLast) - rFirst + 1);
            long tornHere = (r == null ? 0 : Math.max(0, r.torn())) + (p == null ? 0 : Math.max(0, p.torn()));
            boolean ok = c.survived();
            survived += ok ? 1 : 0;
            sentTotal += s;
            lostAfterResume += lost;
            lostTotal += lost + (p == null ? 0 : Math.max(0, p.missing())) + (pFirst > 1 ? pFirst - 1 : 0);
            duplicated += dup;
            redelivered += again;
            torn += tornHere;
            if (!ok && brokenExamples.size() < 5) {
                brokenExamples.add("client port " + c.clientPort() + ": sent 1.." + s + ", primary got .." + pLast + ", replica "
                        + rFirst + ".." + rLast + (c.clientError().isEmpty() ? "" : ", client error: " + c.clientError()));
            }
            if (id >= 0) {
                primaryRange.put(id, new long[] {p == null ? -1 : pFirst, p == null ? -1 : pLast});
                replicaRange.put(id, new long[] {rFirst, rLast});
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", id);
            row.put("clientPort", c.clientPort());
            row.put("survived", ok);
            row.put("recordsSent", s);
            row.put("primaryLast", pLast);
            row.put("replicaFirst", rFirst);
            row.put("replicaLast", rLast);
            row.put("lostAfterResume", lost);
            row.put("duplicated", dup);
            row.put("redelivered", again);
            row.put("torn", tornHere);
            row.put("clientError", c.clientError());
            perConnection.add(row);
        }

        // ---- the wire: PSH -> ACK, per phase
        WireAnalysis wire = WireAnalysis.decode(work.resolve("client.pcap"), PORT, Duration.ofMinutes(2));
        List<Double> direct = new ArrayList<>();
        List<Double> proxied = new ArrayList<>();
        Map<Integer, Double> stallByFlow = new HashMap<>();
        List<Object> samples = new ArrayList<>();
        for (WireAnalysis.Segment s : wire.segments()) {
            double lat = s.latencyMillis();
            boolean ackedBeforePull = !Double.isNaN(s.ackEpochSeconds()) && s.ackEpochSeconds() < pullStartSec;
            if (s.sentEpochSeconds() < pullStartSec && ackedBeforePull) {
                if (!Double.isNaN(lat)) {
                    direct.add(lat);
                    samples.add(List.of(s.clientPort(), round3(s.sentEpochSeconds()), "direct", round3(lat)));
                }
            } else if (!Double.isNaN(proxySec) && s.sentEpochSeconds() >= proxySec) {
                if (!Double.isNaN(lat)) {
                    proxied.add(lat);
                    samples.add(List.of(s.clientPort(), round3(s.sentEpochSeconds()), "proxy", round3(lat)));
                }
            } else {
                // sent before PROXY and not answered before the pull: the client's wait across the failover
                double wait = Double.isNaN(s.ackEpochSeconds()) ? Double.NaN : (s.ackEpochSeconds() - s.sentEpochSeconds()) * 1000;
                if (!Double.isNaN(wait)) {
                    stallByFlow.merge(s.clientPort(), wait, Math::max);
                }
            }
        }
        LatencyStats tcp = LatencyStats.of(direct);
        LatencyStats proxyTotal = LatencyStats.of(proxied);
        LatencyStats stall = LatencyStats.of(new ArrayList<>(stallByFlow.values()));

        // ---- the timeline: every record's first transmission, by what the applications got
        Map<String, Object> timeline = Timeline.build(wire, pullSec, (conn, seq) -> {
            long[] pr = primaryRange.get(conn);
            long[] rr = replicaRange.get(conn);
            boolean inP = pr != null && pr[0] >= 0 && seq >= pr[0] && seq <= pr[1];
            boolean inR = rr != null && rr[0] >= 0 && seq >= rr[0] && seq <= rr[1];
            return inP && inR ? Timeline.BOTH : inP ? Timeline.PRIMARY : inR ? Timeline.BACKUP : Timeline.LOST;
        });
        Map<String, Object> marks = new LinkedHashMap<>();
        marks.put("pull", 0.0);
        marks.put("downVerdict", millisBetween(pulled, events.downVerdict()));
        marks.put("decision", millisBetween(pulled, events.decision()));
        marks.put("proxy", millisBetween(pulled, events.proxy()));
        timeline.put("marks", marks);

        Map<String, Object> m = new LinkedHashMap<>();
        m.put("connections", n);
        m.put("clients", result.connections().size());
        m.put("survived", survived);
        m.put("broken", result.connections().size() - survived);
        m.put("recordsSent", sentTotal);
        m.put("lostAfterResume", lostAfterResume);
        m.put("lost", lostTotal);
        m.put("duplicated", duplicated);
        m.put("redelivered", redelivered);
        m.put("torn", torn);
        m.put("detectMillis", millisBetween(pulled, events.decision()));
        m.put("downVerdictMillis", millisBetween(pulled, events.downVerdict()));
        m.put("recoveryMillis", events.recoveryMillis());
        m.put("decisionToProxyMillis", millisBetween(events.decision(), events.proxy()));
        m.put("pullToProxyMillis", millisBetween(pulled, events.proxy()));
        m.put("recovered", events.recovered());
        m.put("recoveryFailed", events.failed());
        m.put("notRecoverable", events.notRecoverable());
        m.put("recoveryLine", events.recoveryLine());
        m.put("tcpLatencyMillis", tcp.toJson());
        m.put("proxyTotalMillis", proxyTotal.toJson());
        m.put("addedLatencyMillis", Map.of("mean", proxyTotal.mean() - tcp.mean(), "median", proxyTotal.median() - tcp.median()));
        m.put("failoverWaitMillis", stall.toJson());
        m.put("linkPulledAt", pulled.toString());
        m.put("faults", faultCounters);
        m.put("brokenExamples", brokenExamples);
        m.put("perConnection", perConnection);
        m.put("latencySamples", Map.of("direct", toArray(direct), "proxy", toArray(proxied)));
        m.put("segments", samples);
        m.put("timeline", timeline);
        m.put("raw", rawRef);
        return m;
    }

    static double round3(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }

    static double[] toArray(List<Double> values) {
        double[] out = new double[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = round3(values.get(i));
        }
        return out;
    }

    static double epochSeconds(Instant t) {
        return t.getEpochSecond() + t.getNano() / 1e9;
    }

    static double millisBetween(Instant from, Instant to) {
        if (from == null || to == null) {
            return Double.NaN;
        }
        return Duration.between(from, to).toNanos() / 1e6;
    }

    static void copyRaw(Path from, Path to, List<String> names) {
        try {
            Files.createDirectories(to);
            for (String name : names) {
                Path source = from.resolve(name);
                if (Files.exists(source)) {
                    Files.copy(source, to.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the raw data to " + to, e);
        }
    }

    static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

}
