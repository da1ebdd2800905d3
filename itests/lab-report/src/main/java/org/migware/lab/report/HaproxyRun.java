package org.migware.lab.report;

import org.migware.lab.oracles.LatencyStats;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.migware.lab.Await;
import org.migware.lab.LabException;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.Role;
import org.migware.lab.workloads.SinkReport;
import org.migware.lab.workloads.SinkServer;
import org.migware.lab.oracles.Tcpdump;
import org.migware.lab.oracles.WireAnalysis;
import org.migware.lab.workloads.PushClient;
import org.migware.lab.workloads.ReconnectingClientReport;

/**
 * The baseline for one N: what a site does today. HAProxy (Debian's package) in TCP mode runs in
 * the backup's namespace in front of the primary's and the backup's servers, configured as a
 * careful operator would: health checks every 100 ms, DOWN after two failures, UP after two
 * successes; {@code on-marked-down shutdown-sessions}, so clients of a dead server learn it at
 * once instead of after a TCP timeout; the backup server marked {@code backup}; connect retries
 * with redispatch. The same workload ({@link PushClient} in its reconnect mode: the same records, interval
 * and durations as the MigWare run) connects to HAProxy and reconnects on error, as real
 * clients must. The primary's link is pulled exactly as in the MigWare run.
 *
 * <p>Measured: HAProxy's DOWN decision (its log), which connections broke and when each was
 * connected again (the client's report), records lost and duplicated (the client's report against
 * both servers' applications), and the record timeline from a capture on the client's link.
 */
final class HaproxyRun {

    /** HAProxy's frontend port on the backup's address. */
    static final int FRONTEND_PORT = 7100;

    private HaproxyRun() {
    }

    /**
     * @param lab the lab
     * @param n the connections the run makes
     * @return haproxy.cfg
     */
    static String config(LabNetwork lab, int n) {
        // two descriptors per proxied connection; the system limit here is 20000 descriptors
        return config(lab, Math.max(2000, 4 * n + 100), "push", FRONTEND_PORT, MigwareRun.PORT);
    }

    /**
     * @param lab the lab
     * @param maxconn HAProxy's connection limit
     * @param frontend the frontend's name (a word)
     * @param frontendPort where HAProxy listens on the backup's address
     * @param serverPort the servers' port on the primary and the backup
     * @return haproxy.cfg for a TCP service on serverPort
     */
    static String config(LabNetwork lab, int maxconn, String frontend, int frontendPort, int serverPort) {
        return String.join("\n",
                "# The baseline of 'migware lab': a careful operator's TCP failover with HAProxy.",
                "global",
                "    # RFC 5424 lines carry microsecond timestamps: the DOWN decision is read from them",
                "    log stdout format rfc5424 local0 info",
                "    maxconn " + maxconn,
                "",
                "defaults",
                "    mode tcp",
                "    log global",
                "    option tcplog",
                "    timeout connect 1s",
                "    timeout client 1m",
                "    timeout server 1m",
                "    # a connect that fails is retried, on another server if the first is down",
                "    retries 2",
                "    option redispatch",
                "",
                "frontend " + frontend,
                "    bind " + lab.address(Role.BACKUP) + ":" + frontendPort,
                "    default_backend servers",
                "",
                "backend servers",
                "    # a check every 100 ms (which also bounds its timeout), DOWN after 2 failures, UP after 2 successes;",
                "    # sessions on a server marked DOWN are closed at once, so their clients reconnect",
                "    server primary " + lab.address(Role.PRIMARY) + ":" + serverPort
                        + " check inter 100 fall 2 rise 2 on-marked-down shutdown-sessions",
                "    server backup " + lab.address(Role.BACKUP) + ":" + serverPort + " check inter 100 fall 2 rise 2 backup",
                "");
    }

    /**
     * Starts HAProxy in the backup's namespace with {@code cfg} and waits until it listens.
     *
     * @param lab the lab
     * @param cfg its configuration file
     * @param frontendPort the port it listens on
     * @return the running HAProxy (its log on stdout)
     */
    static LabProcess start(LabNetwork lab, Path cfg, int frontendPort) {
        LabProcess haproxy = lab.start(Role.BACKUP, "haproxy", Preflight.tool("haproxy"), "-db", "-f", cfg.toString());
        Await.until("HAProxy listening on " + frontendPort, Duration.ofSeconds(20), () -> {
            if (!haproxy.isAlive()) {
                throw new LabException("HAProxy ended at start: " + haproxy.stderr() + haproxy.stdout());
            }
            return lab.exec(Role.BACKUP, "ss", "-Hltn", "sport = :" + frontendPort).stdout().contains(":" + frontendPort);
        });
        return haproxy;
    }

    /**
     * Runs and measures the baseline for N connections.
     *
     * @param o the job's options
     * @param n connections
     * @param raw where this run's raw files are copied
     * @param currentLab set to the lab while it exists, for the job's Ctrl-C handler
     * @param progress told of each step
     * @return the run's results as a JSON object
     */
    static Map<String, Object> run(JobOptions o, int n, Path raw, AtomicReference<LabNetwork> currentLab, Consumer<String> progress) {
        Map<String, Object> faultCounters = new LinkedHashMap<>();
        Path work;
        Instant pullStart;
        Instant pulled;
        String haproxyLog;
        try (LabNetwork lab = LabNetwork.builder().prefix(o.baselinePrefix()).create()) {
            currentLab.set(lab);
            work = lab.workDir();
            LabProcess primarySink = lab.startJava(Role.PRIMARY, "primary-sink", SinkServer.class,
                    new SinkServer.Options().port(MigwareRun.PORT).report(work.resolve("primary.tsv")).toArgs());
            LabProcess backupSink = lab.startJava(Role.BACKUP, "backup-sink", SinkServer.class,
                    new SinkServer.Options().bind(lab.address(Role.BACKUP)).port(MigwareRun.PORT)
                            .report(work.resolve("backup.tsv")).toArgs());
            primarySink.awaitOutput(SinkServer.LISTENING, Duration.ofSeconds(20));
            backupSink.awaitOutput(SinkServer.LISTENING, Duration.ofSeconds(20));
            Path cfg = work.resolve("haproxy.cfg");
            MigwareRun.write(cfg, config(lab, n));
            LabProcess haproxy = start(lab, cfg, FRONTEND_PORT);
            progress.accept("HAProxy in " + lab.namespace(Role.BACKUP) + " on " + lab.address(Role.BACKUP) + ":" + FRONTEND_PORT
                    + " in front of the primary and the backup");
            Faults faults = new Faults(o, JobOptions.FaultLink.CLIENT);
            if (o.faults() && o.faultLink() == JobOptions.FaultLink.CLIENT) {
                faults.apply(lab);
            }
            Tcpdump capture = Tcpdump.on(lab, Role.CLIENT).filter("tcp port " + FRONTEND_PORT).snaplen(2048)
                    .pcap(work.resolve("client.pcap")).name("tcpdump-client").start();
            PushClient.Options client = new PushClient.Options().reconnect(true).host(lab.address(Role.BACKUP))
                    .port(FRONTEND_PORT).connections(n).intervalMillis(o.intervalMillis())
                    .durationMillis(o.beforeMillis() + o.afterMillis()).report(work.resolve("client.tsv"));
            LabProcess clients = lab.startJava(Role.CLIENT, "client", PushClient.class, client.toArgs());
            Await.sleep(o.beforeMillis());
            pullStart = Instant.now();
            lab.pullPrimaryLink();
            pulled = Instant.now();
            progress.accept("primary's link pulled at " + pullStart);
            if (!clients.waitFor(Duration.ofMillis(o.afterMillis() + 60_000))) {
                throw new LabException("the reconnecting client did not finish: " + clients.stderr());
            }
            // the servers' last reads, HAProxy's last log lines
            Await.sleep(1000);
            // both sinks at once: each writes its final report on SIGTERM, and a slow one must not delay the other
            Thread stopPrimary = new Thread(primarySink::destroy, "stop-primary-sink");
            stopPrimary.start();
            backupSink.destroy();
            join(stopPrimary);
            haproxy.destroy();
            capture.stop();
            if (o.faults() && o.faultLink() == JobOptions.FaultLink.CLIENT) {
                faultCounters.putAll(faults.counters(lab));
            }
            haproxyLog = haproxy.stdout() + haproxy.stderr();
        } finally {
            currentLab.set(null);
        }
        MigwareRun.copyRaw(work, raw, List.of("client.tsv", "primary.tsv", "backup.tsv", "client.pcap", "haproxy.cfg",
                "tcpdump-client.err", "client.err"));
        MigwareRun.write(raw.resolve("haproxy.log"), haproxyLog);
        return analyse(n, work, pullStart, pulled, haproxyLog, faultCounters, "raw/" + raw.getFileName());
    }

    /**
     * Turns one baseline run's raw material into its measurements.
     *
     * @param n connections asked for
     * @param work the run's work folder (reports, capture)
     * @param pullStart when the pull command started
     * @param pulled when it had returned: the link was down
     * @param haproxyLog HAProxy's log
     * @param faultCounters what the loss rules counted
     * @param rawRef the raw folder, relative to the report
     * @return the baseline's measurements as a JSON object
     */
    static Map<String, Object> analyse(int n, Path work, Instant pullStart, Instant pulled, String haproxyLog,
            Map<String, Object> faultCounters, String rawRef) {
        ReconnectingClientReport client = ReconnectingClientReport.read(work.resolve("client.tsv"));
        SinkReport primary = SinkReport.read(work.resolve("primary.tsv"));
        SinkReport backup = SinkReport.read(work.resolve("backup.tsv"));
        Map<Long, List<SinkReport.Connection>> primaryRows = byId(primary);
        Map<Long, List<SinkReport.Connection>> backupRows = byId(backup);
        long pulledMillis = pulled.toEpochMilli();

        List<Map<String, Object>> perConnection = new ArrayList<>();
        int broken = 0;
        int neverBack = 0;
        long sentTotal = 0;
        long lostTotal = 0;
        long dupTotal = 0;
        List<Double> reconnect = new ArrayList<>();
        for (ReconnectingClientReport.Connection c : client.connections()) {
            List<long[]> ranges = new ArrayList<>();
            long dup = 0;
            long missing = 0;
            for (List<SinkReport.Connection> rows : List.of(primaryRows.getOrDefault((long) c.id(), List.of()),
                    backupRows.getOrDefault((long) c.id(), List.of()))) {
                for (SinkReport.Connection r : rows) {
                    if (r.firstSeq() >= 1 && r.lastSeq() >= r.firstSeq()) {
                        ranges.add(new long[] {r.firstSeq(), r.lastSeq()});
                        missing += Math.max(0, r.missing());
                    }
                    dup += Math.max(0, r.duplicates());
                }
            }
            long covered = union(ranges);
            long overlap = sumLengths(ranges) - covered;
            long received = Math.max(0, covered - missing);
            long lost = Math.max(0, c.recordsSent() - received);
            boolean wasBroken = c.breaks() > 0;
            broken += wasBroken ? 1 : 0;
            if (wasBroken && c.reconnectedAtMillis() < 0) {
                neverBack++;
            }
            double back = wasBroken && c.reconnectedAtMillis() >= 0 ? c.reconnectedAtMillis() - pulledMillis : Double.NaN;
            if (!Double.isNaN(back)) {
                reconnect.add(back);
            }
            sentTotal += c.recordsSent();
            lostTotal += lost;
            dupTotal += dup + overlap;
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", c.id());
            row.put("broken", wasBroken);
            row.put("breaks", c.breaks());
            row.put("connects", c.connects());
            row.put("connectFailures", c.connectFailures());
            row.put("recordsSent", c.recordsSent());
            row.put("received", received);
            row.put("lost", lost);
            row.put("duplicated", dup + overlap);
            row.put("brokeAfterPullMillis", c.firstBreakAtMillis() < 0 ? Double.NaN : (double) (c.firstBreakAtMillis() - pulledMillis));
            row.put("reconnectedAfterPullMillis", back);
            row.put("ports", c.ports());
            row.put("firstError", c.firstError());
            perConnection.add(row);
        }
        LatencyStats back = LatencyStats.of(reconnect);
        double detect = LogEvents.haproxyDown(haproxyLog, "primary").map(t -> MigwareRun.millisBetween(pulled, t)).orElse(Double.NaN);

        WireAnalysis wire = WireAnalysis.decode(work.resolve("client.pcap"), FRONTEND_PORT, Duration.ofMinutes(2));
        Map<String, Object> timeline = Timeline.build(wire, MigwareRun.epochSeconds(pulled), (conn, seq) -> {
            boolean inP = contains(primaryRows.get(conn), seq);
            boolean inB = contains(backupRows.get(conn), seq);
            return inP && inB ? Timeline.BOTH : inP ? Timeline.PRIMARY : inB ? Timeline.BACKUP : Timeline.LOST;
        });
        Map<String, Object> marks = new LinkedHashMap<>();
        marks.put("pull", 0.0);
        marks.put("decision", detect);
        marks.put("allReconnected", neverBack == 0 && broken > 0 ? back.max() : Double.NaN);
        timeline.put("marks", marks);

        Map<String, Object> m = new LinkedHashMap<>();
        m.put("connections", n);
        m.put("broken", broken);
        m.put("survived", n - broken);
        m.put("neverReconnected", neverBack);
        m.put("recordsSent", sentTotal);
        m.put("lost", lostTotal);
        m.put("duplicated", dupTotal);
        m.put("detectMillis", detect);
        m.put("allReconnectedMillis", neverBack == 0 && broken > 0 ? back.max() : Double.NaN);
        // the thesis's "time to recover": from the decision to every connection re-established
        m.put("recoverMillis", neverBack == 0 && broken > 0 ? back.max() - detect : Double.NaN);
        m.put("reconnectMillis", back.toJson());
        m.put("linkPulledAt", pulled.toString());
        m.put("pullCommandMillis", MigwareRun.millisBetween(pullStart, pulled));
        m.put("faults", faultCounters);
        m.put("perConnection", perConnection);
        m.put("timeline", timeline);
        m.put("raw", rawRef);
        return m;
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted", e);
        }
    }

    private static Map<Long, List<SinkReport.Connection>> byId(SinkReport report) {
        Map<Long, List<SinkReport.Connection>> m = new HashMap<>();
        for (SinkReport.Connection c : report.connections()) {
            if (c.connId() >= 0) {
                m.computeIfAbsent(c.connId(), k -> new ArrayList<>()).add(c);
            }
        }
        return m;
    }

    private static boolean contains(List<SinkReport.Connection> rows, long seq) {
        if (rows == null) {
            return false;
        }
        for (SinkReport.Connection r : rows) {
            if (r.firstSeq() >= 1 && seq >= r.firstSeq() && seq <= r.lastSeq()) {
                return true;
            }
        }
        return false;
    }

    /** @return how many integers the closed ranges cover together */
    static long union(List<long[]> ranges) {
        List<long[]> sorted = new ArrayList<>(ranges);
        sorted.sort((a, b) -> Long.compare(a[0], b[0]));
        long covered = 0;
        long end = Long.MIN_VALUE;
        for (long[] r : sorted) {
            long from = Math.max(r[0], end + 1);
            if (r[1] >= from) {
                covered += r[1] - from + 1;
            }
            end = Math.max(end, r[1]);
        }
        return covered;
    }

    private static long sumLengths(List<long[]> ranges) {
        long sum = 0;
        for (long[] r : ranges) {
            sum += r[1] - r[0] + 1;
        }
        return sum;
    }
}
