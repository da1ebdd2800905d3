package org.migware.lab.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Markdown report and the terminal table of a scenario ({@link ScenarioJob}): one column per
 * {@link FailoverSystem}, one row per measure, every figure from the clients' own results.
 */
final class ScenarioReport {

    private ScenarioReport() {
    }

    /** @return a run's result in one line, for the progress */
    static String oneLine(Map<String, Object> r) {
        if (r.containsKey("clients")) {
            return String.format(Locale.ROOT, "%d of %d finished with the right SHA-256, %d errors (%s after the pull), %d hung",
                    whole(r.get("finishedRightSha256")), whole(r.get("clients")), whole(r.get("errors")),
                    range(r.get("errorAfterPullMillis")), whole(r.get("hung")));
        }
        Map<String, Object> sub = map(r, "subscriber");
        return String.format(Locale.ROOT, "%d of %d publishers carried on (errors %d, reconnects %d); subscriber got %d of %d messages"
                + " published after the pull", whole(r.get("publishersCarriedOn")), whole(r.get("publishers")),
                whole(r.get("publisherErrors")), whole(r.get("publisherReconnects")), whole(sub.get("receivedAfterPull")),
                whole(sub.get("publishedAfterPull")));
    }

    /** @return the side-by-side table (Markdown, also printed at the end of the run) */
    @SuppressWarnings("unchecked")
    static String table(Map<String, Object> root) {
        List<Map<String, Object>> runs = (List<Map<String, Object>>) root.get("runs");
        StringBuilder t = new StringBuilder();
        t.append("| |");
        runs.forEach(r -> t.append(' ').append(r.get("label")).append(" |"));
        t.append("\n| --- |");
        runs.forEach(r -> t.append(" ---: |"));
        t.append('\n');
        boolean download = "download".equals(root.get("scenario"));
        for (Row row : download ? downloadRows() : sessionRows()) {
            t.append("| ").append(row.name).append(" |");
            for (Map<String, Object> r : runs) {
                t.append(' ').append(r.containsKey("error") ? "failed" : row.cell.apply(r)).append(" |");
            }
            t.append('\n');
        }
        return t.toString();
    }

    private record Row(String name, java.util.function.Function<Map<String, Object>, String> cell) {
    }

    private static List<Row> downloadRows() {
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("downloads finished with the right SHA-256",
                r -> whole(r.get("finishedRightSha256")) + " of " + whole(r.get("clients"))));
        rows.add(new Row("ended with an error (reset)", r -> Long.toString(whole(r.get("errors")))));
        rows.add(new Row("… the error, after the pull (min–max)", r -> range(r.get("errorAfterPullMillis"))));
        rows.add(new Row("… the connection closed in the client's kernel, after the pull (min–max)",
                r -> range(r.get("closedAtClientAfterPullMillis"))));
        rows.add(new Row("hung (still running at the deadline, then ended)", r -> Long.toString(whole(r.get("hung")))));
        rows.add(new Row("pull → failover (MigWare PROXY / HAProxy DOWN)", r -> LabJob.ms(r.get("failoverMillis"))));
        rows.add(new Row("pull → first new byte at a client (median; connections)", r -> firstBytes(r)));
        rows.add(new Row("MigWare before the pull: replayable / resumable only / not migratable", ScenarioReport::readiness));
        return rows;
    }

    private static List<Row> sessionRows() {
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("publishers that carried on (no error, no reconnect)",
                r -> whole(r.get("publishersCarriedOn")) + " of " + whole(r.get("publishers"))));
        rows.add(new Row("publisher errors / reconnects",
                r -> whole(r.get("publisherErrors")) + " / " + whole(r.get("publisherReconnects"))));
        rows.add(new Row("messages handed to publishers after the pull / acknowledged after it",
                r -> whole(r.get("handedOverAfterPull")) + " / " + whole(r.get("acknowledgedAfterPull"))));
        rows.add(new Row("subscriber: received / published after the pull",
                r -> whole(map(r, "subscriber").get("receivedAfterPull")) + " / " + whole(map(r, "subscriber").get("publishedAfterPull"))));
        rows.add(new Row("subscriber reconnects", r -> Long.toString(whole(map(r, "subscriber").get("reconnects")))));
        rows.add(new Row("connections closed in the client's kernel, after the pull (min–max)",
                r -> range(r.get("closedAtClientAfterPullMillis"))));
        rows.add(new Row("pull → failover (MigWare PROXY / HAProxy DOWN)", r -> LabJob.ms(r.get("failoverMillis"))));
        rows.add(new Row("pull → first message after it at the subscriber",
                r -> LabJob.ms(map(r, "subscriber").get("firstMessageAfterPullMillis"))));
        rows.add(new Row("pull → first new byte at a client (median; connections)", r -> firstBytes(r)));
        rows.add(new Row("MigWare before the pull: replayable / resumable only / not migratable", ScenarioReport::readiness));
        return rows;
    }

    /** @return summary.md */
    @SuppressWarnings("unchecked")
    static String markdown(Map<String, Object> root) {
        Map<String, Object> o = (Map<String, Object>) root.get("options");
        boolean download = "download".equals(root.get("scenario"));
        StringBuilder md = new StringBuilder();
        if (download) {
            md.append("# MigWare lab: downloads through a failover (resume, replay, HAProxy)\n\n");
            md.append(String.format(Locale.ROOT, "Run %s, %.0f s. nginx on primary and backup serving the same %d MiB file; %d curls"
                    + " at %d KiB/s each; the primary's link pulled %.1f s in; a curl still running %.0f s after the pull counts as"
                    + " hung. Each system in a lab of its own, one after the other.%n%n", root.get("startedAt"),
                    number(root.get("durationSeconds")), whole(o.get("fileMib")), whole(o.get("clients")), whole(o.get("rateKib")),
                    number(o.get("beforeMillis")) / 1000, number(o.get("afterMillis")) / 1000));
        } else {
            md.append("# MigWare lab: MQTT sessions through a failover (resume, replay, HAProxy)\n\n");
            md.append(String.format(Locale.ROOT, "Run %s, %.0f s. mosquitto on primary and backup; %d QoS 1 publishers (mosquitto_pub"
                    + " -l, 10 messages a second each) and a subscriber (mosquitto_sub, QoS 1), all connected and subscribed"
                    + " before the pull, %.1f s in; watched %.0f s after it. Each system in a lab of its own.%n%n",
                    root.get("startedAt"), number(root.get("durationSeconds")), whole(o.get("clients")),
                    number(o.get("beforeMillis")) / 1000, number(o.get("afterMillis")) / 1000));
        }
        md.append(table(root));
        List<Map<String, Object>> runs = (List<Map<String, Object>>) root.get("runs");
        for (Map<String, Object> r : runs) {
            md.append("\n## ").append(r.get("label")).append("\n\n");
            if (r.containsKey("error")) {
                md.append("The run failed: ").append(r.get("error")).append("\n");
                continue;
            }
            if (download) {
                md.append("| client | outcome | curl exit | exited after the pull | bytes | SHA-256 right |\n");
                md.append("| --- | --- | ---: | ---: | ---: | --- |\n");
                for (Map<String, Object> c : (List<Map<String, Object>>) r.get("perClient")) {
                    md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %d | %s |%n", c.get("client"), c.get("outcome"),
                            c.containsKey("exitCode") ? c.get("exitCode") : "—", LabJob.ms(c.get("exitedAfterPullMillis")),
                            whole(c.get("bytes")), Boolean.TRUE.equals(c.get("sha256Right")) ? "yes" : "no"));
                }
            } else {
                md.append("| publisher | handed over after the pull | acknowledged after the pull | errors | reconnects | first error |\n");
                md.append("| --- | ---: | ---: | ---: | ---: | --- |\n");
                for (Map<String, Object> p : (List<Map<String, Object>>) r.get("perPublisher")) {
                    md.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %s |%n", p.get("publisher"),
                            whole(p.get("handedOverAfterPull")), whole(p.get("acknowledgedAfterPull")), whole(p.get("errors")),
                            whole(p.get("reconnects")), String.valueOf(p.get("firstError")).replace("|", "\\|")));
                }
            }
            md.append("\nRaw: `").append(r.get("raw")).append("/`\n");
        }
        md.append("\n## How it was measured\n\n");
        if (download) {
            md.append("- **By the clients**: curl's exit code and the instant it exited (a shell around it writes both), and the"
                    + " SHA-256 of the file it wrote against the served file's. A curl still running at the deadline is ended and"
                    + " counted as hung.\n");
        } else {
            md.append("- **By the clients**: mosquitto_pub's and mosquitto_sub's debug output (-d): PUBACKs received (messages"
                    + " acknowledged), CONNECTs sent (reconnects), their error lines; what each publisher was handed (tee). The"
                    + " subscriber's messages carry their arrival time (-F %U); a message counts once per topic and counter.\n");
        }
        md.append("- **First new byte**: the client's kernel (`ss -tni` in its namespace every " + ReceivedBytesWatch.POLL_MILLIS
                + " ms from the pull): when a connection's bytes_received first grew after the pull; a connection that appeared"
                + " later (a reconnect) counts from zero. Through HAProxy only reconnects count: it still forwards what the"
                + " primary had sent before the pull. The same poll notes when a connection left ESTABLISHED: a reset"
                + " or close reached the client's kernel (a rate-limited curl reports it only after draining its buffer).\n");
        md.append("- **Failover**: MigWare's PROXY state from its status; HAProxy's DOWN verdict on the primary from its log.\n");
        md.append("- **MigWare's readiness** (replayable and so on) is what MigWare's status said before the pull; it is shown,"
                + " never used as a result.\n");
        md.append("\nFiles: `results.json` (everything), `raw/` (the clients' output, MigWare's or HAProxy's log, the servers' logs).\n");
        return md.toString();
    }

    private static String readiness(Map<String, Object> r) {
        Map<String, Object> m = map(r, "readiness");
        if (m.isEmpty()) {
            return "—";
        }
        if ("resume".equals(r.get("system"))) {
            // only replay keeps client streams: with resume MigWare's status counts none of these
            return "— (resume keeps no streams)";
        }
        return whole(m.get("replayable")) + " / " + whole(m.get("resumableOnly")) + " / " + whole(m.get("notMigratable"));
    }

    private static String firstBytes(Map<String, Object> r) {
        long n = whole(r.get("connectionsWithNewBytes"));
        return n == 0 ? "none" : LabJob.ms(LabJob.nested(r, "firstByteAfterPullMillis", "median")) + "; " + n;
    }

    private static String range(Object stats) {
        if (!(stats instanceof Map<?, ?> m) || whole(m.get("count")) == 0) {
            return "—";
        }
        return LabJob.ms(m.get("min")) + " – " + LabJob.ms(m.get("max"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> r, String key) {
        Object v = r.get(key);
        return v instanceof Map<?, ?> ? (Map<String, Object>) v : Map.of();
    }

    private static long whole(Object v) {
        return v instanceof Number n ? n.longValue() : 0;
    }

    private static double number(Object v) {
        return v instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
