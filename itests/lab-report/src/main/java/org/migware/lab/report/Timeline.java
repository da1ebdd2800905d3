package org.migware.lab.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.migware.lab.oracles.WireAnalysis;

/**
 * The per-connection record timeline across the failover, for the report's chart: every record's
 * first transmission on the wire (time relative to the pull, in ms), coloured by what the
 * applications got — the primary, the replica (or HAProxy's backup server), both, or neither.
 */
final class Timeline {

    /** The primary's application got the record. */
    static final int PRIMARY = 0;
    /** The replica's (or the backup server's) application got it. */
    static final int BACKUP = 1;
    /** Both got it: the primary took it but its ACK died with its link, so it was sent again. */
    static final int BOTH = 2;
    /** Neither got it. */
    static final int LOST = 3;

    /** Where a record ended up. */
    @FunctionalInterface
    interface Fate {
        /**
         * @param connId the record's connection id
         * @param seq its number
         * @return {@link #PRIMARY}, {@link #BACKUP}, {@link #BOTH} or {@link #LOST}
         */
        int of(long connId, long seq);
    }

    private Timeline() {
    }

    /**
     * @param wire the client capture's analysis
     * @param pullEpochSeconds time zero
     * @param fate where each record ended up
     * @return {conns: [ids], points: [[row, ms, fate], ...], counts: {...}}
     */
    static Map<String, Object> build(WireAnalysis wire, double pullEpochSeconds, Fate fate) {
        return build(wire, pullEpochSeconds, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, fate);
    }

    /**
     * The timeline of the records first sent from {@code fromMillis} to {@code toMillis} around the
     * pull: one failover of a run that has more than one ({@code --roles}).
     *
     * @param wire the client capture's analysis
     * @param pullEpochSeconds time zero
     * @param fromMillis the first record's earliest time from the pull
     * @param toMillis the last record's latest time from the pull
     * @param fate where each record ended up
     * @return as {@link #build(WireAnalysis, double, Fate)}, the connections with a record in the window
     */
    static Map<String, Object> build(WireAnalysis wire, double pullEpochSeconds, double fromMillis, double toMillis, Fate fate) {
        List<WireAnalysis.RecordSend> records = new ArrayList<>();
        TreeSet<Long> ids = new TreeSet<>();
        for (WireAnalysis.RecordSend r : wire.records().values()) {
            double ms = (r.sentEpochSeconds() - pullEpochSeconds) * 1000.0;
            if (ms >= fromMillis && ms <= toMillis) {
                records.add(r);
                ids.add(r.connId());
            }
        }
        List<Long> conns = new ArrayList<>(ids);
        Map<Long, Integer> row = new LinkedHashMap<>();
        for (int i = 0; i < conns.size(); i++) {
            row.put(conns.get(i), i);
        }
        List<Object> points = new ArrayList<>(records.size());
        int[] counts = new int[4];
        for (WireAnalysis.RecordSend r : records) {
            int f = fate.of(r.connId(), r.seq());
            counts[f]++;
            double ms = Math.round((r.sentEpochSeconds() - pullEpochSeconds) * 10_000.0) / 10.0;
            points.add(new double[] {row.get(r.connId()), ms, f});
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("conns", conns);
        m.put("points", points);
        m.put("counts", Map.of("primary", counts[PRIMARY], "backup", counts[BACKUP], "both", counts[BOTH], "lost", counts[LOST]));
        return m;
    }
}
