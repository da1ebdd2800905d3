package org.migware.lab;

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

/**
 * The report file format shared by {@link PushClient} and {@link SinkServer}: tab-separated,
 *
 * <pre>
 * # &lt;type&gt; key=value key=value ...
 * column1	column2	...
 * value	value	...
 * </pre>
 *
 * Files are replaced atomically (write a sibling, then rename), so a reader polling the file
 * never sees half a report. Readers look columns up by name, so adding a column breaks nobody.
 */
public final class ReportTable {

    /** What an empty value is written as. */
    public static final String NONE = "-";

    final String type;
    final Map<String, String> header;
    final List<String> columns;
    final List<Map<String, String>> rows;

    ReportTable(String type, Map<String, String> header, List<String> columns, List<Map<String, String>> rows) {
        this.type = type;
        this.header = header;
        this.columns = columns;
        this.rows = rows;
    }

    /** @return the header's key=value pairs */
    public Map<String, String> header() {
        return header;
    }

    /** @return the rows, each a map from column name to value */
    public List<Map<String, String>> rows() {
        return rows;
    }

    /** Replaces tabs and line breaks, which would break the format, and marks empty values. */
    public static String clean(Object value) {
        if (value == null) {
            return NONE;
        }
        String text = value.toString().replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
        return text.isEmpty() ? NONE : text;
    }

    public static void write(Path file, String type, Map<String, String> header, List<String> columns, List<List<String>> rows)
            throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (BufferedWriter out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            out.write("# ");
            out.write(type);
            for (Map.Entry<String, String> entry : header.entrySet()) {
                out.write(' ');
                out.write(entry.getKey());
                out.write('=');
                out.write(clean(entry.getValue()).replace(' ', '_'));
            }
            out.write('\n');
            out.write(String.join("\t", columns));
            out.write('\n');
            for (List<String> row : rows) {
                for (int i = 0; i < row.size(); i++) {
                    if (i > 0) {
                        out.write('\t');
                    }
                    out.write(clean(row.get(i)));
                }
                out.write('\n');
            }
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    public static Optional<ReportTable> readIfPresent(Path file, String expectedType) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new LabException("cannot read report " + file + ": " + e.getMessage(), e);
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
        List<String> columns = List.of(lines.get(1).split("\t"));
        List<Map<String, String>> rows = new ArrayList<>();
        for (String line : lines.subList(2, lines.size())) {
            if (line.isEmpty()) {
                continue;
            }
            String[] values = line.split("\t", -1);
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < columns.size() && i < values.length; i++) {
                row.put(columns.get(i), values[i]);
            }
            rows.add(row);
        }
        return Optional.of(new ReportTable(head[0], header, columns, rows));
    }

    public static long longValue(Map<String, String> row, String column) {
        String value = row.get(column);
        if (value == null || value.equals(NONE)) {
            return -1;
        }
        return Long.parseLong(value);
    }

    public static String text(Map<String, String> row, String column) {
        String value = row.get(column);
        return value == null || value.equals(NONE) ? "" : value;
    }
}
