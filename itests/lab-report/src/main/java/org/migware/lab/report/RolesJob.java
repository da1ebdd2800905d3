package org.migware.lab.report;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import org.migware.lab.network.LabNetwork;
import org.migware.lab.oracles.WireAnalysis;
import org.migware.lab.roles.RoundTrip;
import org.migware.lab.workloads.SinkReport;

/**
 * {@code bin/migware lab --roles}: issue 13's round trip ({@link RoundTrip}: failover, rejoin,
 * failover back) on a fresh lab whose work folder is the report's {@code raw/}. Writes
 * {@code results.json}, {@code summary.md} ({@link RolesReport}) and {@code report.html}, whose
 * record timeline draws both failovers.
 */
public final class RolesJob {

    /** A run's time besides its clients' phases: the lab, keepalived, two MigWares, the reboot, tshark. */
    private static final long OVERHEAD_MILLIS = 35_000;
    /** Records first sent this long before a pull start its timeline. */
    private static final double TIMELINE_BEFORE_MILLIS = 3000;
    /** And this long after it end it: the round trip waits at least 4 s after each pull before it moves on. */
    private static final double TIMELINE_AFTER_MILLIS = 4000;

    private RolesJob() {
    }

    /** @return the round trip's estimated length */
    static long estimateMillis(JobOptions o) {
        // many connections cost a little more to start, sync, capture and decode
        return OVERHEAD_MILLIS + o.connections().get(0) * 40L;
    }

    /** @return the exit status: 0 when every connection survived both failovers with every record, 1 otherwise */
    static int run(JobOptions o, Path dir, AtomicReference<LabNetwork> current, PrintStream out, boolean terminal) throws IOException {
        Instant started = Instant.now();
        Map<String, Object> root = root(o, started);
        int later = o.rolesLaterConnections();
        RoundTrip.Options sizes = new RoundTrip.Options(o.connections().get(0), later, later, o.intervalMillis());
        long plan = estimateMillis(o);
        // Absolute: the round trip hands paths under it to processes that do not share this one's folder
        // (keepalived changes to /, MigWare runs from its own home: the track file and the sync key).
        Path raw = dir.resolve("raw").resolve("roles").toAbsolutePath();
        boolean survived = false;
        try (Progress progress = new Progress(out, terminal, plan)) {
            progress.line(String.format(Locale.ROOT, "migware lab --roles: %d connections, %d more after the first failover and %d"
                    + " after the rejoin, about %s; report in %s", sizes.first(), sizes.between(), sizes.afterRejoin(),
                    Progress.clock(plan), dir));
            progress.startRun("round trip", plan);
            Map<String, Object> r;
            try {
                RoundTrip.Result result;
                try (LabNetwork lab = LabNetwork.builder().prefix(o.prefix()).replaceLeftovers(o.removeLeftovers()).workDir(raw).create()) {
                    current.set(lab);
                    result = RoundTrip.run(lab, o.distribution(), sizes, progress::step);
                } finally {
                    current.set(null);
                }
                r = analyse(result, "raw/roles");
                pruneMigwareHomes(raw);
                survived = result.survived();
                progress.step(RolesReport.oneLine(r));
            } catch (RuntimeException | InterruptedException e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                r = new LinkedHashMap<>();
                r.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
                r.put("raw", "raw/roles");
                progress.step("FAILED: " + e.getMessage());
            }
            root.put("roles", r);
            progress.endRun();
        }
        LabJob.stampFinished(root, started);
        write(dir, root);
        out.println();
        out.print(RolesReport.table(root));
        out.println();
        out.println("Report: " + dir.resolve("report.html") + " (summary.md, results.json, raw/roles/)");
        return survived ? 0 : 1;
    }

    /**
     * Writes the report of a round trip run by someone else ({@code RejoinLabTest}), as the job writes its own.
     *
     * @param dir where the report goes
     * @param result the round trip's result; its work folder must still hold its files
     * @param started when it started
     * @return the results written
     * @throws IOException when a file cannot be written
     */
    public static Map<String, Object> report(Path dir, RoundTrip.Result result, Instant started) throws IOException {
        JobOptions o = new JobOptions().roles(true).connections(List.of(result.options().first()))
                .intervalMillis(result.options().intervalMillis());
        Map<String, Object> root = root(o, started);
        root.put("roles", analyse(result, result.workDir().toString()));
        LabJob.stampFinished(root, started);
        Files.createDirectories(dir);
        write(dir, root);
        return root;
    }

    private static Map<String, Object> root(JobOptions o, Instant started) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("tool", "migware lab");
        root.put("formatVersion", 1);
        root.put("run", "roles");
        root.put("startedAt", started.toString());
        root.put("options", o.toJson());
        root.put("machine", LabJob.machine(o));
        return root;
    }

    private static void write(Path dir, Map<String, Object> root) throws IOException {
        Files.writeString(dir.resolve("results.json"), Json.write(root) + "\n");
        Files.writeString(dir.resolve("summary.md"), RolesReport.markdown(root));
        Files.writeString(dir.resolve("report.html"), ReportWriter.html(root));
    }

    /**
     * @param result what the round trip saw
     * @param rawRef its work folder, relative to the report
     * @return the round trip's results as a JSON object: the applications' and kernels' verdicts,
     *         each failover from MigWare's log and from the client's wire, and its record timeline
     */
    static Map<String, Object> analyse(RoundTrip.Result result, String rawRef) {
        Path work = result.workDir();
        SinkReport firstPrimary = SinkReport.read(work.resolve(RoundTrip.FIRST_PRIMARY_REPORT));
        SinkReport replica = SinkReport.read(work.resolve(RoundTrip.REPLICA_REPORT));
        SinkReport rejoinedPrimary = SinkReport.read(work.resolve(RoundTrip.REJOINED_PRIMARY_REPORT));
        WireAnalysis wire = WireAnalysis.decode(work.resolve(RoundTrip.CAPTURE), RoundTrip.SERVICE_PORT, Duration.ofMinutes(3));

        RoundTrip.Options sizes = result.options();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("first", sizes.first());
        m.put("between", sizes.between());
        m.put("afterRejoin", sizes.afterRejoin());
        m.put("connections", sizes.connections());
        m.put("intervalMillis", sizes.intervalMillis());
        m.put("survived", result.survived());
        m.put("checked", result.checked());
        m.put("records", result.records());
        m.put("broken", result.broken().size());
        m.put("brokenExamples", result.broken().subList(0, Math.min(5, result.broken().size())));
        m.put("resetsBefore", result.resetsBefore());
        m.put("resetsAfter", result.resetsAfter());
        m.put("rejoinMillis", result.rejoinMillis());
        m.put("learntThroughSync", result.learntThroughSync());
        m.put("rejoinedHeldBack", result.rejoinedHeldBack());
        m.put("captureDroppedByKernel", result.capture().droppedByKernel());
        m.put("failovers", List.of(
                failover(result.firstFailover(), "first failover: the backup takes over from the primary", wire, firstPrimary, replica,
                        "the primary's application", "the backup's application (the replica)"),
                failover(result.secondFailover(), "second failover: the rejoined primary takes over from the backup", wire, replica,
                        rejoinedPrimary, "the backup's application", "the rejoined primary's restarted application")));
        m.put("raw", rawRef);
        return m;
    }

    private static Map<String, Object> failover(RoundTrip.Failover f, String title, WireAnalysis wire, SinkReport before,
            SinkReport after, String beforeName, String afterName) {
        double proxy = f.pullToDecisionMillis() < 0 || f.decisionToProxyMillis() < 0 ? Double.NaN
                : f.pullToDecisionMillis() + f.decisionToProxyMillis();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("title", title);
        m.put("pulledAt", f.pulled().toString());
        m.put("pullReturnedMillis", MigwareRun.millisBetween(f.pulled(), f.linkDown()));
        m.put("carried", f.carried().size());
        m.put("establishedAfter", f.establishedAfter());
        m.put("addressTaken", f.addressTaken());
        // MigWare's own account, from its log
        m.put("migwarePullToDecisionMillis", f.pullToDecisionMillis() < 0 ? Double.NaN : (double) f.pullToDecisionMillis());
        m.put("migwareDecisionToProxyMillis", f.decisionToProxyMillis() < 0 ? Double.NaN : (double) f.decisionToProxyMillis());
        m.put("migwarePullToProxyMillis", proxy);
        // the client's, from its wire
        m.put("acknowledged", f.wire().size());
        m.put("unacknowledged", List.copyOf(f.unacknowledged()));
        m.put("firstAckAfterPullMillis", f.firstAckMillis().toJson());
        m.put("clientSentAfterPullMillis", f.clientSentMillis().toJson());
        m.put("sentToAckMillis", f.sentToAckMillis().toJson());
        Map<String, Object> timeline = Timeline.build(wire, MigwareRun.epochSeconds(f.pulled()), -TIMELINE_BEFORE_MILLIS,
                TIMELINE_AFTER_MILLIS, (conn, seq) -> {
                    boolean inBefore = holds(before, conn, seq);
                    boolean inAfter = holds(after, conn, seq);
                    return inBefore && inAfter ? Timeline.BOTH : inBefore ? Timeline.PRIMARY : inAfter ? Timeline.BACKUP : Timeline.LOST;
                });
        Map<String, Object> marks = new LinkedHashMap<>();
        marks.put("pull", 0.0);
        marks.put("decision", f.pullToDecisionMillis() < 0 ? Double.NaN : (double) f.pullToDecisionMillis());
        marks.put("proxy", proxy);
        marks.put("firstAckMedian", f.firstAckMillis().median());
        timeline.put("marks", marks);
        timeline.put("fates", List.of(beforeName, afterName));
        m.put("timeline", timeline);
        return m;
    }

    /**
     * Removes from each MigWare home the lab made in the work folder what is a copy of the
     * distribution or Felix's bundle cache (some 30 MB each); its etc/, var/log/ and var/state/ stay.
     */
    static void pruneMigwareHomes(Path work) throws IOException {
        try (Stream<Path> homes = Files.list(work)) {
            for (Path home : homes.filter(d -> Files.isRegularFile(d.resolve("bin/felix.jar"))).toList()) {
                for (String copy : List.of("bin", "bundle", "lib", "examples", "monitors", "var/felix-cache")) {
                    Path dir = home.resolve(copy);
                    if (Files.isDirectory(dir)) {
                        try (Stream<Path> files = Files.walk(dir)) {
                            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                                Files.delete(p);
                            }
                        }
                    }
                }
            }
        }
    }

    /** @return whether the application's report holds record {@code seq} of connection {@code conn} */
    private static boolean holds(SinkReport application, long conn, long seq) {
        return application.byConnId(conn).filter(c -> c.records() > 0 && seq >= c.firstSeq() && seq <= c.lastSeq()).isPresent();
    }
}
