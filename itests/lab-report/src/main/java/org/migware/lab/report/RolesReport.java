package org.migware.lab.report;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The Markdown report and the terminal table of {@code --roles} ({@link RolesJob}): one column per
 * failover. MigWare's own log times are labelled as MigWare's; beside them, what the client's wire
 * showed, and what the applications and the client's kernel said of the whole round trip.
 */
final class RolesReport {

    private RolesReport() {
    }

    /** @return the round trip's result in one line, for the progress */
    static String oneLine(Map<String, Object> r) {
        List<Map<String, Object>> f = failovers(r);
        return String.format(Locale.ROOT, "%d of %d connections checked, %d broken, client resets %d; the client's first ACK after"
                + " the pull, median: %s, then %s", whole(r.get("checked")), whole(r.get("connections")), whole(r.get("broken")),
                whole(r.get("resetsAfter")) - whole(r.get("resetsBefore")), LabJob.ms(LabJob.nested(f.get(0), "firstAckAfterPullMillis",
                        "median")), LabJob.ms(LabJob.nested(f.get(1), "firstAckAfterPullMillis", "median")));
    }

    /** @return the failovers side by side (Markdown, also printed at the end of the run) */
    @SuppressWarnings("unchecked")
    static String table(Map<String, Object> root) {
        Map<String, Object> r = (Map<String, Object>) root.get("roles");
        if (r == null || r.containsKey("error")) {
            return "The round trip failed: " + (r == null ? "no result" : r.get("error")) + "\n";
        }
        List<Map<String, Object>> failovers = failovers(r);
        StringBuilder t = new StringBuilder("| | first failover: primary → backup | second failover: backup → rejoined primary |\n");
        t.append("| --- | ---: | ---: |\n");
        for (Row row : rows()) {
            t.append("| ").append(row.name()).append(" |");
            for (Map<String, Object> f : failovers) {
                t.append(' ').append(row.cell().apply(f)).append(" |");
            }
            t.append('\n');
        }
        return t.toString();
    }

    private record Row(String name, Function<Map<String, Object>, String> cell) {
    }

    private static List<Row> rows() {
        return List.of(
                new Row("connections carried at the pull (ss on the client)", f -> Long.toString(whole(f.get("carried")))),
                new Row("established a few seconds after it (ss on the client)", f -> Long.toString(whole(f.get("establishedAfter")))),
                new Row("service address on the host taking over (ip addr)", f -> Boolean.TRUE.equals(f.get("addressTaken")) ? "yes" : "no"),
                new Row("pull → decision (MigWare's own log)", f -> LabJob.ms(f.get("migwarePullToDecisionMillis"))),
                new Row("decision → PROXY (MigWare's own log)", f -> LabJob.ms(f.get("migwareDecisionToProxyMillis"))),
                new Row("pull → first client segment acknowledged by the new host, median / p99 / max (client's wire)",
                        f -> stats(f, "firstAckAfterPullMillis")),
                new Row("… connections with such a segment (client's wire)",
                        f -> whole(f.get("acknowledged")) + " of " + whole(f.get("carried"))),
                new Row("… of which the client's own wait: pull → that segment's first send, median / p99 / max",
                        f -> stats(f, "clientSentAfterPullMillis")),
                new Row("… and its wait on the wire: that segment's first send → its ACK, median / p99 / max",
                        f -> stats(f, "sentToAckMillis")));
    }

    private static String stats(Map<String, Object> f, String key) {
        if (whole(LabJob.nested(f, key, "count")) == 0) {
            return "none";
        }
        return LabJob.ms(LabJob.nested(f, key, "median")) + " / " + LabJob.ms(LabJob.nested(f, key, "p99")) + " / "
                + LabJob.ms(LabJob.nested(f, key, "max"));
    }

    /** @return summary.md */
    @SuppressWarnings("unchecked")
    static String markdown(Map<String, Object> root) {
        Map<String, Object> r = (Map<String, Object>) root.get("roles");
        Map<String, Object> machine = (Map<String, Object>) root.getOrDefault("machine", Map.of());
        StringBuilder md = new StringBuilder("# MigWare lab: the round trip (failover, rejoin, failover back)\n\n");
        if (r == null || r.containsKey("error")) {
            md.append("The round trip failed: ").append(r == null ? "no result" : r.get("error")).append("\n");
            return md.toString();
        }
        md.append(String.format(Locale.ROOT, "Run %s, %.0f s on %s cores (Linux %s, %s). keepalived on primary and backup owns the"
                + " service address; MigWare watches with the ICMP monitor's fast profile (10 ms x 5) and takes over with the"
                + " direct path. %d push clients (a 64-byte record every %d ms each) on the primary; its link pulled: the backup"
                + " takes over. %d more connections opened, on the backup's kernel. The old primary rebooted (a new namespace,"
                + " no socket of before), its application restarted as the replica, its MigWare learning the table through"
                + " state sync. %d more opened; the backup's link pulled: the rejoined primary takes every connection over.%n%n",
                root.get("startedAt"), number(root.get("durationSeconds")), machine.get("cores"), machine.get("kernel"), machine.get("java"),
                whole(r.get("first")), whole(r.get("intervalMillis")), whole(r.get("between")), whole(r.get("afterRejoin"))));
        md.append(String.format(Locale.ROOT, "**%s**: %d of %d connections checked across the three applications (%d records), %d"
                + " broken; client EstabResets %d → %d.%n%n", Boolean.TRUE.equals(r.get("survived")) ? "Every connection survived both failovers"
                : "Not every connection survived", whole(r.get("checked")), whole(r.get("connections")), whole(r.get("records")),
                whole(r.get("broken")), whole(r.get("resetsBefore")), whole(r.get("resetsAfter"))));
        for (Object example : (List<Object>) r.getOrDefault("brokenExamples", List.of())) {
            md.append("- ").append(example).append('\n');
        }
        md.append(table(root));
        md.append(String.format(Locale.ROOT, "%nRejoin: reboot of the old primary → both hosts' tables equal ss on the client in %s;"
                + " %d handshakes learnt through state sync; the rejoined host %s the address while the backup served.%n",
                LabJob.ms(r.get("rejoinMillis")), whole(r.get("learntThroughSync")),
                Boolean.TRUE.equals(r.get("rejoinedHeldBack")) ? "did not take" : "TOOK"));
        md.append("\nThe record timelines of both failovers are drawn in `report.html`.\n");
        md.append("\n## How it was measured\n\n");
        md.append("- **Survival**: the records the three applications (the primary's, the backup's, the rejoined primary's) received"
                + " must join up for every connection: the first holds record 1, each next starts at most one past the last of the one"
                + " before, the last ends at the client's last record, none lost, torn or duplicated. The client's kernel: `ss` and"
                + " the EstabResets counter.\n");
        md.append("- **MigWare's own log**: its move to RECOVERY (the decision) and to PROXY, from when the lab began to pull the"
                + " link. They are MigWare's account of itself, shown as such.\n");
        md.append(String.format(Locale.ROOT, "- **The client's wire**: tcpdump on the client's link, decoded by tshark (kernel drops: %d)."
                + " For every connection carried at the pull, the first client segment first sent after the pull had returned and"
                + " its first covering ACK: with the serving host's cable out, only the host taking over can send it. Measured from"
                + " the start of the pull, so it includes the client's own wait until its next record (the rows below it split the"
                + " two), and any retransmission timeout of a segment sent while no host answered.%n", whole(r.get("captureDroppedByKernel"))));
        md.append("\nFiles: `results.json` (everything), `report.html` (the timelines), `").append(r.get("raw"))
                .append("/` (the client's capture, the applications' and clients' reports, both MigWares' logs).\n");
        return md.toString();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> failovers(Map<String, Object> r) {
        return (List<Map<String, Object>>) r.get("failovers");
    }

    private static long whole(Object v) {
        return v instanceof Number n ? n.longValue() : 0;
    }

    private static double number(Object v) {
        return v instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
