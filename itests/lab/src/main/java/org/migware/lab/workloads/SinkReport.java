package org.migware.lab.workloads;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.migware.lab.ReportTable;

/**
 * A {@link SinkServer} report, as read back from its report file: one row per accepted
 * connection with what the server application actually received and how the records checked
 * out (see {@link RecordChecker} for the meaning of each count).
 *
 * @param header the report's header fields (listen, started_ms, written_ms, final, ...)
 * @param connections one entry per accepted connection, in accept order
 */
public record SinkReport(Map<String, String> header, List<Connection> connections) implements ReportTable.Report {

    /** The report type in the file's first line. */
    public static final String TYPE = "migware-sink-server";

    static final List<String> COLUMNS = List.of("remote_ip", "remote_port", "conn_id", "state", "bytes", "records",
            "first_seq", "last_seq", "gaps", "missing", "duplicates", "torn", "corrupt", "foreign", "trailing_bytes",
            "responses", "accepted_at_ms", "last_data_at_ms", "max_silence_ms", "error", "ended_at_ms");

    /**
     * One accepted connection.
     *
     * @param remoteIp the client's address
     * @param remotePort the client's port
     * @param connId the connection id of its first record, -1 before one arrived
     * @param state OPEN, EOF (client closed), RESET (error) or CLOSED (closed by the server at exit)
     * @param bytes bytes received
     * @param records records with a valid header
     * @param firstSeq the first record's seq, -1 if none
     * @param lastSeq the highest seq, -1 if none
     * @param gaps forward jumps of seq
     * @param missing seq numbers skipped by the gaps
     * @param duplicates records at or below the highest seq
     * @param torn records whose start was not where one was expected
     * @param corrupt records with wrong padding bytes
     * @param foreign records with another connection's id
     * @param trailingBytes bytes of an unfinished record at the end
     * @param responses response lines sent (with --respond)
     * @param acceptedAtMillis when it was accepted (epoch ms)
     * @param lastDataAtMillis when data last arrived (epoch ms), -1 if never
     * @param maxSilenceMillis the longest time between two arrivals of data
     * @param error the exception text of a reset or failure, empty if none
     * @param endedAtMillis when the connection ended: EOF or reset seen, or closed by the server (epoch ms); -1 while open
     */
    public record Connection(String remoteIp, int remotePort, long connId, String state, long bytes, long records,
                             long firstSeq, long lastSeq, long gaps, long missing, long duplicates, long torn,
                             long corrupt, long foreign, long trailingBytes, long responses, long acceptedAtMillis,
                             long lastDataAtMillis, long maxSilenceMillis, String error, long endedAtMillis) {

        /** The columns of the first version, for callers that build one by hand; the end time unknown (-1). */
        public Connection(String remoteIp, int remotePort, long connId, String state, long bytes, long records,
                          long firstSeq, long lastSeq, long gaps, long missing, long duplicates, long torn,
                          long corrupt, long foreign, long trailingBytes, long responses, long acceptedAtMillis,
                          long lastDataAtMillis, long maxSilenceMillis, String error) {
            this(remoteIp, remotePort, connId, state, bytes, records, firstSeq, lastSeq, gaps, missing, duplicates, torn,
                    corrupt, foreign, trailingBytes, responses, acceptedAtMillis, lastDataAtMillis, maxSilenceMillis, error, -1);
        }

        /**
         * @return true when every record arrived exactly once, in order, intact, from seq 1 on,
         *         with nothing unfinished at the end
         */
        public boolean clean() {
            return (records == 0 || firstSeq == 1) && lastSeq == (records == 0 ? -1 : records) && gaps == 0
                    && duplicates == 0 && torn == 0 && corrupt == 0 && foreign == 0 && trailingBytes == 0;
        }
    }

    /**
     * Reads a report file.
     *
     * @param file the report file
     * @return the report
     * @throws LabException when the file is missing or not a sink report
     */
    public static SinkReport read(Path file) {
        return ReportTable.required(readIfPresent(file), "sink", file);
    }

    /**
     * Reads a report file if it exists yet; for polling while the server starts.
     *
     * @param file the report file
     * @return the report, or empty when the file does not exist (yet)
     */
    public static Optional<SinkReport> readIfPresent(Path file) {
        return ReportTable.readIfPresent(file, TYPE, COLUMNS, Connection.class, SinkReport::new);
    }

    /** @return the sum of {@link Connection#bytes()} */
    public long totalBytes() {
        return connections.stream().mapToLong(Connection::bytes).sum();
    }

    /** @return the sum of {@link Connection#records()} */
    public long totalRecords() {
        return connections.stream().mapToLong(Connection::records).sum();
    }

    /**
     * Finds a connection by the id its records carry; the way to join a replica's report, whose
     * peers are MigWare's shadow endpoints rather than the clients' own addresses.
     *
     * @param connId the connection id ({@code c<id>} in the records)
     * @return the most recent connection whose records carry that id
     */
    public Optional<Connection> byConnId(long connId) {
        Connection found = null;
        for (Connection c : connections) {
            if (c.connId() == connId) {
                found = c;
            }
        }
        return Optional.ofNullable(found);
    }

    /**
     * @param remoteIp the client's address
     * @param remotePort the client's port
     * @return the most recent connection from that address and port
     */
    public Optional<Connection> byRemote(String remoteIp, int remotePort) {
        Connection found = null;
        for (Connection c : connections) {
            if (c.remotePort() == remotePort && c.remoteIp().equals(remoteIp)) {
                found = c;
            }
        }
        return Optional.ofNullable(found);
    }
}
