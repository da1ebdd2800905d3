package org.migware.lab.workloads;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.migware.lab.LabException;
import org.migware.lab.ReportTable;

/**
 * A report of the push client's reconnect mode ({@link PushClient.Options#reconnect}), read back: one row per connection id, across all the
 * TCP connections that id used.
 *
 * @param header the first line's fields (target, started_ms, written_ms, final, ...)
 * @param connections one entry per connection id
 */
public record ReconnectingClientReport(Map<String, String> header, List<Connection> connections) implements ReportTable.Report {

    /** The report type of the file's first line. */
    public static final String TYPE = "migware-reconnecting-client";

    static final List<String> COLUMNS = List.of("id", "state", "records_sent", "records_written", "abandoned", "bytes_sent",
            "connects", "connect_failures", "breaks", "first_connected_ms", "first_break_ms", "reconnected_ms",
            "last_break_ms", "ports", "first_error");

    /**
     * One connection id of the client.
     *
     * @param id the id its records carry ({@code c<id>})
     * @param state WAITING, CONNECTING, OPEN or DONE
     * @param recordsSent the highest record number completely written
     * @param recordsWritten records completely written
     * @param abandoned records given up half-written when the connection broke
     * @param bytesSent bytes the sockets accepted
     * @param connects successful connects (1 = never reconnected)
     * @param connectFailures connects that failed
     * @param breaks times the connection broke
     * @param firstConnectedAtMillis the first handshake's end (epoch ms), -1 if never
     * @param firstBreakAtMillis the first break (epoch ms), -1 if never
     * @param reconnectedAtMillis the first successful connect after the first break (epoch ms), -1 if none
     * @param lastBreakAtMillis the last break (epoch ms), -1 if never
     * @param ports the local ports used, in order
     * @param firstError the first error, empty if none
     */
    public record Connection(int id, String state, long recordsSent, long recordsWritten, long abandoned, long bytesSent,
            int connects, int connectFailures, int breaks, long firstConnectedAtMillis, long firstBreakAtMillis,
            long reconnectedAtMillis, long lastBreakAtMillis, List<Integer> ports, String firstError) {
    }

    /**
     * @param file the report file
     * @return the report
     * @throws LabException when missing or of another type
     */
    public static ReconnectingClientReport read(Path file) {
        return ReportTable.required(ReportTable.readIfPresent(file, TYPE, ReconnectingClientReport::connection,
                ReconnectingClientReport::new), "client", file);
    }

    private static Connection connection(Map<String, String> row) {
        List<Integer> ports = new ArrayList<>();
        for (String p : row.getOrDefault("ports", "").split("\\+")) {
            if (!p.isBlank()) {
                ports.add(Integer.parseInt(p.trim()));
            }
        }
        return new Connection((int) ReportTable.longValue(row, "id"), row.getOrDefault("state", ""),
                ReportTable.longValue(row, "records_sent"), ReportTable.longValue(row, "records_written"),
                ReportTable.longValue(row, "abandoned"), ReportTable.longValue(row, "bytes_sent"),
                (int) ReportTable.longValue(row, "connects"), (int) ReportTable.longValue(row, "connect_failures"),
                (int) ReportTable.longValue(row, "breaks"), ReportTable.longValue(row, "first_connected_ms"),
                ReportTable.longValue(row, "first_break_ms"), ReportTable.longValue(row, "reconnected_ms"),
                ReportTable.longValue(row, "last_break_ms"), List.copyOf(ports), row.getOrDefault("first_error", ""));
    }
}
