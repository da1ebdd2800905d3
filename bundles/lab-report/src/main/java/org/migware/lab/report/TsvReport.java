package org.migware.lab.report;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.migware.lab.LabException;

/**
 * The lab's report file format (the one {@code PushClient} and {@code SinkServer} write), for this
 * module's own processes: {@code # <type> key=value ...}, a tab-separated header line, one row per
 * line; replaced atomically, so a reader polling it never sees half a report.
 *
 * @param type the report type of the first line
 * @param header the first line's key=value pairs
 * @param rows one map per row, column name to text; "-" marks an empty value
 */
record TsvReport(String type, Map<String, String> header, List<Map<String, String>> rows) {

    static final String NONE = "-";

    static String clean(String value) {
        if (value == null || value.isEmpty()) {
            return NONE;
        }
        return value.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
    }

    static void write(Path file, String type, Map<String, String> header, List<String> columns, List<List<String>> rows)
            throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (BufferedWriter out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            out.write("# " + type);
            for (Map.Entry<String, String> e : header.entrySet()) {
                out.write(" " + e.getKey() + "=" + clean(e.getValue()).replace(' ', '_'));
            }
            out.write('\n');
            out.write(String.join("\t", columns));
            out.write('\n');
            for (List<String> row : rows) {
                List<String> cleaned = new ArrayList<>(row.size());
                for (String v : row) {
                    cleaned.add(clean(v));
                }
                out.write(String.join("\t", cleaned));
                out.write('\n');
            }
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static Optional<TsvReport> readIfPresent(Path file, String expectedType) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new LabException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (lines.size() < 2 || !lines.get(0).startsWith("# ")) {
            throw new LabException("not a report: " + file);
        }
        String[] head = lines.get(0).substring(2).split(" ");
        if (!head[0].equals(expectedType)) {
            throw new LabException(file + " is a '" + head[0] + "' report, expected '" + expectedType + "'");
        }
        Map<String, String> header = new LinkedHashMap<>();
        for (int i = 1; i < head.length; i++) {
            int eq = head[i].indexOf('=');
            if (eq > 0) {
                header.put(head[i].substring(0, eq), head[i].substring(eq + 1));
            }
        }
        String[] columns = lines.get(1).split("\t");
        List<Map<String, String>> rows = new ArrayList<>();
        for (String line : lines.subList(2, lines.size())) {
            if (line.isEmpty()) {
                continue;
            }
            String[] values = line.split("\t", -1);
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < columns.length && i < values.length; i++) {
                row.put(columns[i], values[i].equals(NONE) ? "" : values[i]);
            }
            rows.add(row);
        }
        return Optional.of(new TsvReport(head[0], header, rows));
    }

    static long longValue(Map<String, String> row, String column) {
        String v = row.get(column);
        return v == null || v.isEmpty() ? -1 : Long.parseLong(v);
    }
}
