package org.migware.lab.workloads;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.migware.lab.ReportTable;

/**
 * A {@link BulkReceiver} report, as read back from its file: per accepted connection, which part
 * of the {@link BulkStream} the server application received.
 *
 * @param header the report's header (listen, accepted, started_ms, written_ms, final)
 * @param connections one entry per accepted connection, in accept order
 */
public record BulkReceiverReport(Map<String, String> header, List<Connection> connections) implements ReportTable.Report {

    /** The report type in the file's first line. */
    public static final String TYPE = "migware-bulk-receiver";

    static final List<String> COLUMNS = List.of("remote", "state", "first_offset", "bytes", "sha256", "mismatch_at",
            "accepted_at_ms", "first_data_at_ms", "last_data_at_ms", "ended_at_ms", "error");

    /**
     * One accepted connection.
     *
     * @param remote the peer's ip:port (for a replica: MigWare's shadow endpoint)
     * @param state OPEN, EOF (the client closed), RESET (error) or CLOSED (closed by the server at exit)
     * @param firstOffset the stream offset of the first byte received; -1 when no or too few bytes
     *        arrived, or they are not the stream
     * @param bytes bytes received
     * @param sha256 lower-case hex SHA-256 of every byte received
     * @param mismatchAt the stream offset of the first byte that differs from the stream, -1 if none
     * @param acceptedAtMillis when it was accepted (epoch ms)
     * @param firstDataAtMillis when its first bytes arrived (epoch ms), -1 if never
     * @param lastDataAtMillis when its last bytes arrived (epoch ms), -1 if never
     * @param endedAtMillis when it ended (epoch ms), -1 while open
     * @param error the exception text of a reset or failure, empty if none
     */
    public record Connection(String remote, String state, long firstOffset, long bytes, String sha256, long mismatchAt,
                             long acceptedAtMillis, long firstDataAtMillis, long lastDataAtMillis, long endedAtMillis,
                             String error) {

        /** @return the stream offset after the last byte received, -1 when the first offset is unknown */
        public long endOffset() {
            return firstOffset < 0 ? -1 : firstOffset + bytes;
        }
    }

    /**
     * Reads a report file.
     *
     * @param file the report file
     * @return the report
     * @throws LabException when the file is missing or not a bulk-receiver report
     */
    public static BulkReceiverReport read(Path file) {
        return ReportTable.required(readIfPresent(file), "bulk-receiver", file);
    }

    /**
     * @param file the report file
     * @return the report, or empty when the file does not exist (yet)
     */
    public static Optional<BulkReceiverReport> readIfPresent(Path file) {
        return ReportTable.readIfPresent(file, TYPE, COLUMNS, Connection.class, BulkReceiverReport::new);
    }
}
