package org.migware.lab.workloads;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.migware.lab.ReportTable;

/**
 * A {@link PushClient} report, as read back from its report file: one row per connection with
 * what the client application knows it did.
 *
 * @param header the report's header fields (target, started_ms, written_ms, final, ...)
 * @param connections one entry per connection, in connection-id order
 */
public record PushClientReport(Map<String, String> header, List<Connection> connections) implements ReportTable.Report {

    /** The report type in the file's first line. */
    public static final String TYPE = "migware-push-client";

    static final List<String> COLUMNS = List.of("id", "local_ip", "local_port", "state", "records_sent", "bytes_sent",
            "connect_us", "connected_at_ms", "stalls", "responses", "bytes_received", "error", "wrong_responses",
            "response_gaps", "responses_missing", "last_gap_end", "first_response_seq", "last_response_seq", "closed_at_ms",
            "close_kind");

    /**
     * One connection of the client.
     *
     * @param id the connection id carried in its records ({@code c<id>})
     * @param localIp the client's address, empty before the connect started
     * @param localPort the client's port, -1 before the connect started
     * @param state CONNECTING, OPEN, DONE (closed by the client after its run), FAILED, PEER_CLOSED or
     *        CLOSED (closed on purpose during the run, see {@code closeKind})
     * @param recordsSent records completely written to the socket
     * @param bytesSent bytes the socket accepted (including a partly written record)
     * @param connectMicros time from connect() to the end of the handshake, -1 if never connected
     * @param connectedAtMillis when the handshake completed (epoch ms), -1 if never
     * @param stalls send ticks skipped because the previous record was still not fully written
     * @param responses correct answers received (with --read-responses; see {@link ResponseChecker})
     * @param bytesReceived bytes received from the server
     * @param error the exception text of a reset or failure, empty if none
     * @param wrongResponses answer lines that were not a correct answer, -1 without --read-responses
     * @param responseGaps forward jumps of the answered record number, -1 without --read-responses
     * @param responsesMissing record numbers the gaps skipped, -1 without --read-responses
     * @param lastGapEnd the last record number the last gap skipped, -1 without a gap
     * @param firstResponseSeq the record number of the first correct answer, -1 if none
     * @param lastResponseSeq the record number of the last correct answer (0 if none; -1 without --read-responses)
     * @param closedAtMillis when it was closed on purpose (epoch ms), -1 if not
     * @param closeKind {@code fin} or {@code rst} when closed on purpose, else empty
     */
    public record Connection(int id, String localIp, int localPort, String state, long recordsSent, long bytesSent,
                             long connectMicros, long connectedAtMillis, long stalls, long responses, long bytesReceived,
                             String error, long wrongResponses, long responseGaps, long responsesMissing, long lastGapEnd,
                             long firstResponseSeq, long lastResponseSeq, long closedAtMillis, String closeKind) {

        /** The columns of the first version, for callers that build one by hand; the rest unknown (-1, empty). */
        public Connection(int id, String localIp, int localPort, String state, long recordsSent, long bytesSent,
                          long connectMicros, long connectedAtMillis, long stalls, long responses, long bytesReceived,
                          String error) {
            this(id, localIp, localPort, state, recordsSent, bytesSent, connectMicros, connectedAtMillis, stalls, responses,
                    bytesReceived, error, -1, -1, -1, -1, -1, -1, -1, "");
        }

        /** @return true when the connection broke or never came up */
        public boolean failed() {
            return state.equals("FAILED") || state.equals("PEER_CLOSED") || !error.isEmpty();
        }
    }

    /**
     * Reads a report file.
     *
     * @param file the report file
     * @return the report
     * @throws LabException when the file is missing or not a push-client report
     */
    public static PushClientReport read(Path file) {
        return ReportTable.required(readIfPresent(file), "push-client", file);
    }

    /**
     * Reads a report file if it exists yet; for polling while the client starts.
     *
     * @param file the report file
     * @return the report, or empty when the file does not exist (yet)
     */
    public static Optional<PushClientReport> readIfPresent(Path file) {
        return ReportTable.readIfPresent(file, TYPE, COLUMNS, Connection.class, PushClientReport::new);
    }

    /** @return the sum of {@link Connection#bytesSent()} */
    public long totalBytesSent() {
        return connections.stream().mapToLong(Connection::bytesSent).sum();
    }

    /** @return the sum of {@link Connection#recordsSent()} */
    public long totalRecordsSent() {
        return connections.stream().mapToLong(Connection::recordsSent).sum();
    }

    /** @return the connections that broke or never came up */
    public List<Connection> failed() {
        return connections.stream().filter(Connection::failed).toList();
    }

    /**
     * @param id a connection id
     * @return that connection
     */
    public Optional<Connection> byId(int id) {
        return connections.stream().filter(c -> c.id() == id).findFirst();
    }

    /**
     * @param localPort a client port
     * @return the connection that used it
     */
    public Optional<Connection> byLocalPort(int localPort) {
        return connections.stream().filter(c -> c.localPort() == localPort).findFirst();
    }
}
