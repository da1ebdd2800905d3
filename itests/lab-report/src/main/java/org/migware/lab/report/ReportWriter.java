package org.migware.lab.report;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Writes the job's report into its folder:
 *
 * <ul>
 * <li>{@code results.json}: everything measured, per N and system, per connection, every latency
 * sample and the record timelines; the other files are made from it;</li>
 * <li>{@code summary.csv} (a row per system and N), {@code connections.csv} (a row per connection),
 * {@code latency.csv} (a row per PSH &rarr; ACK sample);</li>
 * <li>{@code summary.md}: our figures beside the thesis's and the baseline's;</li>
 * <li>{@code report.html}: self-contained (inline CSS, SVG drawn by inline JavaScript from the
 * embedded data, nothing fetched), with the charts: recovery time against N, latency
 * distributions, per-connection record timeline.</li>
 * </ul>
 */
public final class ReportWriter {

    /** The report's files, relative to its folder. */
    public static final List<String> FILES = List.of("results.json", "summary.csv", "connections.csv", "latency.csv", "summary.md",
            "report.html");

    /** Per-run keys left out of the HTML's embedded copy: the charts do not draw them and they are in results.json. */
    private static final Set<String> NOT_IN_HTML = Set.of("perConnection", "segments");

    private ReportWriter() {
    }

    /**
     * @param dir the report's folder
     * @param root the job's results
     * @throws IOException when a file cannot be written
     */
    @SuppressWarnings("unchecked")
    public static void write(Path dir, Map<String, Object> root) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("results.json"), Json.write(root) + "\n");
        Files.writeString(dir.resolve("summary.csv"), summaryCsv(root));
        Files.writeString(dir.resolve("connections.csv"), connectionsCsv(root));
        Files.writeString(dir.resolve("latency.csv"), latencyCsv(root));
        Files.writeString(dir.resolve("summary.md"), markdown(root));
        Files.writeString(dir.resolve("report.html"), html(root));
    }

    // ------------------------------------------------------------------ CSV

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Map<String, Object> root, String key) {
        Object v = root.get(key);
        return v instanceof List<?> l ? (List<Map<String, Object>>) l : List.of();
    }

    static boolean ok(Map<String, Object> run) {
        return run != null && !run.containsKey("error");
    }

    static String summaryCsv(Map<String, Object> root) {
        StringBuilder out = new StringBuilder("system,n,connections_survived,connections_broken,records_sent,records_lost,"
                + "records_lost_after_resume,records_duplicated,records_torn,detect_ms,recovery_ms,pull_to_proxy_ms,"
                + "all_reconnected_ms,tcp_latency_mean_ms,tcp_latency_median_ms,tcp_latency_p99_ms,proxy_total_mean_ms,"
                + "proxy_total_median_ms,proxy_total_p99_ms,added_latency_mean_ms,added_latency_median_ms,error\n");
        for (Map<String, Object> r : list(root, "migware")) {
            out.append(csv("migware", r.get("connections"), r.get("survived"), r.get("broken"), r.get("recordsSent"), r.get("lost"),
                    r.get("lostAfterResume"), r.get("duplicated"), r.get("torn"), r.get("detectMillis"), r.get("recoveryMillis"),
                    r.get("pullToProxyMillis"), null, LabJob.nested(r, "tcpLatencyMillis", "mean"),
                    LabJob.nested(r, "tcpLatencyMillis", "median"), LabJob.nested(r, "tcpLatencyMillis", "p99"),
                    LabJob.nested(r, "proxyTotalMillis", "mean"), LabJob.nested(r, "proxyTotalMillis", "median"),
                    LabJob.nested(r, "proxyTotalMillis", "p99"), LabJob.nested(r, "addedLatencyMillis", "mean"),
                    LabJob.nested(r, "addedLatencyMillis", "median"), r.get("error")));
        }
        for (Map<String, Object> r : list(root, "baseline")) {
            out.append(csv("haproxy", r.get("connections"), r.get("survived"), r.get("broken"), r.get("recordsSent"), r.get("lost"),
                    null, r.get("duplicated"), null, r.get("detectMillis"), null, null, r.get("allReconnectedMillis"), null, null, null,
                    null, null, null, null, null, r.get("error")));
        }
        return out.toString();
    }

    @SuppressWarnings("unchecked")
    static String connectionsCsv(Map<String, Object> root) {
        StringBuilder out = new StringBuilder("system,n,conn_id,client_port,survived,records_sent,primary_last,replica_first,"
                + "replica_last,records_lost,records_duplicated,records_torn,breaks,reconnected_after_pull_ms,error\n");
        for (Map<String, Object> r : list(root, "migware")) {
            for (Map<String, Object> c : (List<Map<String, Object>>) r.getOrDefault("perConnection", List.of())) {
                out.append(csv("migware", r.get("connections"), c.get("id"), c.get("clientPort"), c.get("survived"), c.get("recordsSent"),
                        c.get("primaryLast"), c.get("replicaFirst"), c.get("replicaLast"), c.get("lostAfterResume"), c.get("duplicated"),
                        c.get("torn"), null, null, c.get("clientError")));
            }
        }
        for (Map<String, Object> r : list(root, "baseline")) {
            for (Map<String, Object> c : (List<Map<String, Object>>) r.getOrDefault("perConnection", List.of())) {
                out.append(csv("haproxy", r.get("connections"), c.get("id"), null, !Boolean.TRUE.equals(c.get("broken")),
                        c.get("recordsSent"), null, null, null, c.get("lost"), c.get("duplicated"), null, c.get("breaks"),
                        c.get("reconnectedAfterPullMillis"), c.get("firstError")));
            }
        }
        return out.toString();
    }

    @SuppressWarnings("unchecked")
    static String latencyCsv(Map<String, Object> root) {
        StringBuilder out = new StringBuilder("system,n,client_port,sent_epoch_s,path,psh_to_ack_ms\n");
        for (Map<String, Object> r : list(root, "migware")) {
            for (Object s : (List<Object>) r.getOrDefault("segments", List.of())) {
                List<Object> row = (List<Object>) s;
                out.append(csv("migware", r.get("connections"), row.get(0), row.get(1), row.get(2), row.get(3)));
            }
        }
        return out.toString();
    }

    private static String csv(Object... values) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                line.append(',');
            }
            Object v = values[i];
            if (v == null) {
                continue;
            }
            if (v instanceof Double d) {
                if (Double.isFinite(d)) {
                    line.append(d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString(d.longValue())
                            : String.format(Locale.ROOT, "%.3f", d));
                }
                continue;
            }
            String s = v.toString();
            if (s.contains(",") || s.contains("\"") || s.contains("\n")) {
                s = "\"" + s.replace("\"", "\"\"").replace('\n', ' ') + "\"";
            }
            line.append(s);
        }
        return line.append('\n').toString();
    }

    // ------------------------------------------------------------------ text

    private static double number(Object v) {
        return v instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private static long whole(Object v) {
        return v instanceof Number n ? n.longValue() : 0;
    }

    private static String ms(Object v) {
        return LabJob.ms(v);
    }

    private static double mean(List<Map<String, Object>> runs, java.util.function.Function<Map<String, Object>, Object> f) {
        double sum = 0;
        int count = 0;
        for (Map<String, Object> r : runs) {
            double v = number(f.apply(r));
            if (Double.isFinite(v)) {
                sum += v;
                count++;
            }
        }
        return count == 0 ? Double.NaN : sum / count;
    }

    private static List<Map<String, Object>> good(List<Map<String, Object>> runs) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> r : runs) {
            if (ok(r)) {
                out.add(r);
            }
        }
        return out;
    }

    /**
     * @param root the job's results
     * @return the short result table the command prints
     */
    /**
     * @return the job's monitor profile in words: the job measures the thesis's detector (or the fast
     *         one), never the shipped default, and says so
     */
    static String profileNamed(Object profile) {
        if ("thesis".equals(profile)) {
            return "thesis (ICMP every 500 ms, DOWN after one miss; the shipped default is the safe profile, 100 ms x 8)";
        }
        if ("fast".equals(profile)) {
            return "fast (ICMP every 10 ms, DOWN after 5 misses; the shipped default is the safe profile, 100 ms x 8)";
        }
        return String.valueOf(profile);
    }

    @SuppressWarnings("unchecked")
    public static String table(Map<String, Object> root) {
        Map<String, Object> o = (Map<String, Object>) root.get("options");
        StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "MigWare (monitor profile %s, framing %s, faults: %s)%n", profileNamed(o.get("monitorProfile")),
                o.get("framing"), root.get("faults")));
        t.append(String.format(Locale.ROOT, "%6s %9s %6s %5s %5s %9s %9s %12s %12s %12s %10s%n", "N", "survived", "lost", "dup",
                "torn", "detect", "recover", "pull->PROXY", "TCP lat.*", "proxy tot.*", "added*"));
        for (Map<String, Object> r : list(root, "migware")) {
            if (!ok(r)) {
                t.append(String.format(Locale.ROOT, "%6s  FAILED: %s%n", r.get("connections"), r.get("error")));
                continue;
            }
            t.append(String.format(Locale.ROOT, "%6d %9s %6d %5d %5d %9s %9s %12s %12s %12s %10s%n", whole(r.get("connections")),
                    whole(r.get("survived")) + "/" + whole(r.get("clients")), whole(r.get("lostAfterResume")), whole(r.get("duplicated")),
                    whole(r.get("torn")), ms(r.get("detectMillis")), ms(r.get("recoveryMillis")), ms(r.get("pullToProxyMillis")),
                    ms(LabJob.nested(r, "tcpLatencyMillis", "median")), ms(LabJob.nested(r, "proxyTotalMillis", "median")),
                    ms(LabJob.nested(r, "addedLatencyMillis", "median"))));
        }
        t.append("  * PSH -> ACK on the wire, median; lost = records after the resume point the replica did not get\n");
        if (root.get("baseline") != null) {
            t.append(String.format(Locale.ROOT, "%nHAProxy baseline (TCP mode, checks every 100 ms, fall 2, shutdown-sessions;"
                    + " clients reconnect)%n"));
            t.append(String.format(Locale.ROOT, "%6s %9s %6s %5s %14s %18s%n", "N", "broken", "lost", "dup", "HAProxy DOWN",
                    "all reconnected"));
            for (Map<String, Object> r : list(root, "baseline")) {
                if (!ok(r)) {
                    t.append(String.format(Locale.ROOT, "%6s  FAILED: %s%n", r.get("connections"), r.get("error")));
                    continue;
                }
                t.append(String.format(Locale.ROOT, "%6d %9s %6d %5d %14s %18s%n", whole(r.get("connections")),
                        whole(r.get("broken")) + "/" + whole(r.get("connections")), whole(r.get("lost")), whole(r.get("duplicated")),
                        ms(r.get("detectMillis")), whole(r.get("neverReconnected")) > 0
                                ? whole(r.get("neverReconnected")) + " never" : ms(r.get("allReconnectedMillis"))));
            }
        }
        t.append(String.format(Locale.ROOT, "%nThe thesis (2004): 200 of 200 survived; recovery 456 ms on average (680 ms at 200);"
                + " TCP latency 175 ms; total proxy time 787 ms; added latency 612 ms.%n"));
        return t.toString();
    }

    /**
     * @param root the job's results
     * @return summary.md
     */
    @SuppressWarnings("unchecked")
    static String markdown(Map<String, Object> root) {
        Map<String, Object> o = (Map<String, Object>) root.get("options");
        Map<String, Object> machine = (Map<String, Object>) root.getOrDefault("machine", Map.of());
        List<Map<String, Object>> mw = good(list(root, "migware"));
        List<Map<String, Object>> ha = good(list(root, "baseline"));
        boolean baseline = root.get("baseline") != null;
        StringBuilder md = new StringBuilder();
        md.append("# MigWare lab: the thesis's experiment beside HAProxy\n\n");
        md.append(String.format(Locale.ROOT, "Run %s, %.0f s on %s cores (Linux %s, %s). N = %s; a 64-byte record every %s ms per"
                + " connection; the primary's link pulled %.1f s after the clients started, which went on %.1f s after it."
                + " Monitor profile %s, record framing %s, faults: %s.%n%n", root.get("startedAt"), number(root.get("durationSeconds")),
                machine.get("cores"), machine.get("kernel"), machine.get("java"), o.get("connections"), o.get("intervalMillis"),
                number(o.get("beforeMillis")) / 1000, number(o.get("afterMillis")) / 1000, profileNamed(o.get("monitorProfile")), o.get("framing"),
                root.get("faults")));
        long clients = 0;
        long survived = 0;
        for (Map<String, Object> r : mw) {
            clients += whole(r.get("clients"));
            survived += whole(r.get("survived"));
        }
        long haN = 0;
        long haBroken = 0;
        long haLost = 0;
        long haDup = 0;
        for (Map<String, Object> r : ha) {
            haN += whole(r.get("connections"));
            haBroken += whole(r.get("broken"));
            haLost += whole(r.get("lost"));
            haDup += whole(r.get("duplicated"));
        }
        long mwLost = 0;
        long mwDup = 0;
        for (Map<String, Object> r : mw) {
            mwLost += whole(r.get("lostAfterResume"));
            mwDup += whole(r.get("duplicated"));
        }
        Map<String, Object> largest = mw.isEmpty() ? null : mw.get(mw.size() - 1);
        Map<String, Object> largestHa = ha.isEmpty() ? null : ha.get(ha.size() - 1);
        String none = "—";
        md.append("## The thesis's figures beside ours\n\n");
        md.append("| | thesis (2004) | MigWare (this run) | HAProxy baseline (this run) |\n| --- | --- | --- | --- |\n");
        md.append(row("connections that lived through the primary's death", "200 of 200", survived + " of " + clients,
                baseline ? (haN - haBroken) + " of " + haN : none));
        md.append(row("time to detect (pull → decision), mean over N", "500–1000 ms (a ping every 500 ms)",
                ms(mean(mw, r -> r.get("detectMillis"))), baseline ? ms(mean(ha, r -> r.get("detectMillis"))) + " (HAProxy marks the primary DOWN)" : none));
        md.append(row("time to recover N connections (decision → every connection re-established), mean over N", "456 ms",
                ms(mean(mw, r -> r.get("recoveryMillis"))) + " (forged handshakes with the replica)",
                baseline ? ms(mean(ha, r -> r.get("recoverMillis"))) + " (HAProxy's DOWN → every client connected again)" : none));
        md.append(row("time to recover at the largest N", "680 ms at 200", largest == null ? "n/a" : ms(largest.get("recoveryMillis"))
                + " at " + largest.get("connections"), largestHa == null ? none : ms(largestHa.get("recoverMillis")) + " at "
                + largestHa.get("connections")));
        md.append(row("pull of the link → every connection carried on, mean over N", "—", ms(mean(mw, r -> r.get("pullToProxyMillis")))
                + " (PROXY; the clients' TCP never noticed)", baseline ? ms(mean(ha, r -> r.get("allReconnectedMillis")))
                + " (every client connected again, after an error)" : none));
        md.append(row("TCP latency (PSH → ACK, direct), mean", "175 ms", ms(mean(mw, r -> LabJob.nested(r, "tcpLatencyMillis", "mean"))), none));
        md.append(row("total proxy time (PSH → ACK through MigWare), mean", "787 ms",
                ms(mean(mw, r -> LabJob.nested(r, "proxyTotalMillis", "mean"))), none));
        md.append(row("added latency (total proxy time − TCP latency), mean", "612 ms",
                ms(mean(mw, r -> LabJob.nested(r, "addedLatencyMillis", "mean"))), none));
        md.append(row("records lost", "none reported", mwLost + " after the resume point", baseline ? Long.toString(haLost) : none));
        md.append(row("records duplicated", "none reported", Long.toString(mwDup), baseline ? Long.toString(haDup) : none));
        md.append("\n## MigWare per N\n\n");
        md.append("| N | survived | lost after resume | duplicated | re-delivered | torn | detect | recovery (proxy) | pull → PROXY"
                + " | TCP latency mean / median | total proxy time mean / median | added mean / median | longest wait across the failover |\n");
        md.append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (Map<String, Object> r : list(root, "migware")) {
            if (!ok(r)) {
                md.append("| ").append(r.get("connections")).append(" | failed: ").append(r.get("error")).append(" |||||||||||\n");
                continue;
            }
            md.append(String.format(Locale.ROOT, "| %d | %d of %d | %d | %d | %d | %d | %s | %s | %s | %s / %s | %s / %s | %s / %s | %s |%n",
                    whole(r.get("connections")), whole(r.get("survived")), whole(r.get("clients")), whole(r.get("lostAfterResume")),
                    whole(r.get("duplicated")), whole(r.get("redelivered")), whole(r.get("torn")), ms(r.get("detectMillis")),
                    ms(r.get("recoveryMillis")), ms(r.get("pullToProxyMillis")), ms(LabJob.nested(r, "tcpLatencyMillis", "mean")),
                    ms(LabJob.nested(r, "tcpLatencyMillis", "median")), ms(LabJob.nested(r, "proxyTotalMillis", "mean")),
                    ms(LabJob.nested(r, "proxyTotalMillis", "median")), ms(LabJob.nested(r, "addedLatencyMillis", "mean")),
                    ms(LabJob.nested(r, "addedLatencyMillis", "median")), ms(LabJob.nested(r, "failoverWaitMillis", "max"))));
        }
        if (baseline) {
            md.append("\n## HAProxy baseline per N\n\n");
            md.append("| N | connections broken | never reconnected | records lost | duplicated | HAProxy DOWN | every client connected again"
                    + " | median client back |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
            for (Map<String, Object> r : list(root, "baseline")) {
                if (!ok(r)) {
                    md.append("| ").append(r.get("connections")).append(" | failed: ").append(r.get("error")).append(" ||||||\n");
                    continue;
                }
                md.append(String.format(Locale.ROOT, "| %d | %d of %d | %d | %d | %d | %s | %s | %s |%n", whole(r.get("connections")),
                        whole(r.get("broken")), whole(r.get("connections")), whole(r.get("neverReconnected")), whole(r.get("lost")),
                        whole(r.get("duplicated")), ms(r.get("detectMillis")), ms(r.get("allReconnectedMillis")),
                        ms(LabJob.nested(r, "reconnectMillis", "median"))));
            }
        }
        md.append("\n## How it was measured\n\n");
        md.append("- **Latency, the thesis's way** (chapter 6.2.5): a capture on the client's link (the lab's bridge floods every frame"
                + " like the thesis's hub), decoded by tshark; for each client data segment sent once, the time to the first ACK that"
                + " covers it. *TCP latency*: segments sent and answered before the pull, by the primary. *Total proxy time*: segments"
                + " first sent after MigWare moved to PROXY, answered by the replica through MigWare. *Added latency* = total proxy time"
                + " − TCP latency (the thesis's formula). The Linux servers here acknowledge these small pushes at once (quick"
                + " ACKs: tens of microseconds); the thesis's 175 ms on Windows Server 2003 was most likely its 200 ms"
                + " delayed-ACK timer, so its figures and ours compare as orders of magnitude, not as like for like.\n");
        md.append("- **Detection and recovery**: MigWare's log: the monitor's DOWN verdict, the core's NORMAL → RECOVERY (the"
                + " decision), the proxy's \"recovery finished … in X ms\" (time to re-create N connections: the thesis's *time to"
                + " recover*) and RECOVERY → PROXY; each timed from the moment the command that pulled the link returned."
                + " HAProxy's DOWN comes from its own log; *every client connected again* from the clients' report.\n");
        md.append("- **Robustness, by the applications**: the clients' reports against both servers' applications. MigWare: a"
                + " connection survived when its client saw no error and the replica got every record after the primary's last, in"
                + " order; *re-delivered* records reached the primary but its ACK died with the link, so the client sent them again"
                + " and the replica has them too (the thesis's resume semantics). HAProxy: a connection broke when its client had to"
                + " reconnect; a record is lost when neither server's application got it.\n");
        md.append(String.format(Locale.ROOT, "- **Shorter than the thesis**: the thesis pushed 40 records (20 s) before the failure;"
                + " this run pulls the link after %.1f s so that every N, with the baseline, runs in a few minutes.%n",
                number(o.get("beforeMillis")) / 1000));
        for (Object note : (List<Object>) root.getOrDefault("notes", List.of())) {
            md.append("- ").append(note).append('\n');
        }
        md.append("\nFiles: `results.json` (everything), `summary.csv`, `connections.csv`, `latency.csv`, `report.html` (charts),"
                + " `raw/` (per run: captures, the applications' reports, MigWare's and HAProxy's logs).\n");
        return md.toString();
    }

    private static String row(String... cells) {
        return "| " + String.join(" | ", cells) + " |\n";
    }

    // ------------------------------------------------------------------ HTML

    /**
     * @param root the job's results
     * @return report.html: the template with the data embedded
     */
    @SuppressWarnings("unchecked")
    static String html(Map<String, Object> root) throws IOException {
        Map<String, Object> slim = new LinkedHashMap<>(root);
        for (String system : List.of("migware", "baseline")) {
            if (root.get(system) instanceof List<?> runs) {
                List<Object> copy = new ArrayList<>();
                for (Object run : runs) {
                    Map<String, Object> r = new LinkedHashMap<>((Map<String, Object>) run);
                    r.keySet().removeAll(NOT_IN_HTML);
                    copy.add(r);
                }
                slim.put(system, copy);
            }
        }
        // '<' only occurs inside JSON strings, where \u003c means the same: nothing can end the script block
        String data = Json.write(slim).replace("<", "\\u003c");
        String template;
        try (InputStream in = ReportWriter.class.getResourceAsStream("report.html")) {
            if (in == null) {
                throw new IOException("report.html template missing from the jar");
            }
            template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        return template.replace("/*DATA*/", data);
    }
}
