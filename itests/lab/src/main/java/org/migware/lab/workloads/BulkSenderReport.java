package org.migware.lab.workloads;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.migware.lab.ReportTable;

/**
 * A {@link BulkSender} report, as read back from its file: what the client application wrote and
 * how fast.
 *
 * @param header the report's header (target, local, state, bytes_written, started_ms, final, error)
 * @param timeline the bytes the socket had accepted, sampled over the run, in time order
 */
public record BulkSenderReport(Map<String, String> header, List<Sample> timeline) implements ReportTable.Report {

    /** The report type in the file's first line. */
    public static final String TYPE = "migware-bulk-sender";

    static final List<String> COLUMNS = List.of("t_ms", "bytes_written");

    /**
     * One sample of the timeline.
     *
     * @param atMillis ms since the sender started
     * @param bytesWritten bytes the socket had accepted by then
     */
    public record Sample(long atMillis, long bytesWritten) {
    }

    /**
     * Reads a report file.
     *
     * @param file the report file
     * @return the report
     * @throws LabException when the file is missing or not a bulk-sender report
     */
    public static BulkSenderReport read(Path file) {
        return ReportTable.required(readIfPresent(file), "bulk-sender", file);
    }

    /**
     * @param file the report file
     * @return the report, or empty when the file does not exist (yet)
     */
    public static Optional<BulkSenderReport> readIfPresent(Path file) {
        return ReportTable.readIfPresent(file, TYPE, COLUMNS, Sample.class, BulkSenderReport::new);
    }

    /** @return bytes the socket accepted in total */
    public long bytesWritten() {
        return ReportTable.headerLong(header, "bytes_written");
    }

    /** @return OPEN, DONE (ran its duration) or FAILED */
    public String state() {
        return header.getOrDefault("state", "");
    }

    /** @return the exception text of a failure, empty if none */
    public String error() {
        String error = header.getOrDefault("error", ReportTable.NONE);
        return error.equals(ReportTable.NONE) ? "" : error.replace('_', ' ');
    }

    /** @return when the sender started (epoch ms) */
    public long startedAtMillis() {
        return ReportTable.headerLong(header, "started_ms");
    }

    /**
     * The average rate of the bytes written between two instants, from the timeline's samples
     * nearest inside the window.
     *
     * @param fromEpochMillis the window's start (epoch ms)
     * @param toEpochMillis the window's end (epoch ms)
     * @return bytes per second, or -1 when fewer than two samples fall into the window
     */
    public double bytesPerSecond(long fromEpochMillis, long toEpochMillis) {
        long from = fromEpochMillis - startedAtMillis();
        long to = toEpochMillis - startedAtMillis();
        Sample first = null;
        Sample last = null;
        for (Sample s : timeline) {
            if (s.atMillis() >= from && s.atMillis() <= to) {
                if (first == null) {
                    first = s;
                }
                last = s;
            }
        }
        if (first == null || last == first || last.atMillis() == first.atMillis()) {
            return -1;
        }
        return (last.bytesWritten() - first.bytesWritten()) * 1000.0 / (last.atMillis() - first.atMillis());
    }
}
