package org.migware.lab;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The report file format shared by {@code PushClient} and {@code SinkServer}: tab-separated,
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

    /**
     * Adds the fields every tool's report header carries, in the order the tools write them:
     * {@code started_ms}, {@code written_ms} (now) and {@code final}.
     *
     * @param header the header being built; the three fields are appended to it
     * @param startedMillis when the tool started (epoch ms)
     * @param last true for the report written when the tool ended
     */
    public static void putTimes(Map<String, String> header, long startedMillis, boolean last) {
        header.put("started_ms", Long.toString(startedMillis));
        header.put("written_ms", Long.toString(System.currentTimeMillis()));
        header.put("final", Boolean.toString(last));
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

    /**
     * Reads a report file into a tool's report record: each row through {@code row}, then the
     * header and the rows (both unmodifiable copies) through {@code report}. The one reading
     * path of every report type, so that they all treat a missing file and a wrong type alike.
     *
     * @param file the report file
     * @param expectedType the report type its first line must name
     * @param row turns one row (column name to value) into the report's entry
     * @param report builds the report from the header and the entries, in file order
     * @return the report, or empty when the file does not exist (yet)
     * @throws LabException when the file cannot be read, is not a report, or is of another type
     */
    public static <E, R> Optional<R> readIfPresent(Path file, String expectedType, Function<Map<String, String>, E> row,
            BiFunction<Map<String, String>, List<E>, R> report) {
        return readIfPresent(file, expectedType).map(table -> {
            List<E> entries = new ArrayList<>(table.rows.size());
            for (Map<String, String> values : table.rows) {
                entries.add(row.apply(values));
            }
            return report.apply(Map.copyOf(table.header), List.copyOf(entries));
        });
    }

    /**
     * @param report what {@link #readIfPresent(Path, String, Function, BiFunction)} gave
     * @param kind the report's kind in words ("sink", "push-client")
     * @param file the report file
     * @return the report
     * @throws LabException "no &lt;kind&gt; report at &lt;file&gt;" when there was none
     */
    public static <R> R required(Optional<R> report, String kind, Path file) {
        return report.orElseThrow(() -> new LabException("no " + kind + " report at " + file));
    }

    /**
     * Reads a report whose entries are records with one component per column, in the columns'
     * order: {@code long} and {@code int} components read as numbers ({@link #longValue}),
     * {@code String} components as text ({@link #text}). The tools' reports are all of this kind
     * but the reconnect mode's (its ports column is a list).
     *
     * @param file the report file
     * @param expectedType the report type its first line must name
     * @param columns the columns, in the order of the entry's components
     * @param entry the entry's record type
     * @param report builds the report from the header and the entries, in file order
     * @return the report, or empty when the file does not exist (yet)
     * @throws LabException when the file cannot be read, is not a report, or is of another type
     */
    public static <E extends Record, R> Optional<R> readIfPresent(Path file, String expectedType, List<String> columns,
            Class<E> entry, BiFunction<Map<String, String>, List<E>, R> report) {
        RecordComponent[] components = entry.getRecordComponents();
        if (components.length != columns.size()) {
            throw new IllegalArgumentException(entry.getName() + " has " + components.length + " components for "
                    + columns.size() + " columns");
        }
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
        }
        Constructor<E> constructor;
        try {
            constructor = entry.getDeclaredConstructor(types);
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException("a record without its canonical constructor: " + entry.getName(), e);
        }
        return readIfPresent(file, expectedType, row -> {
            Object[] values = new Object[types.length];
            for (int i = 0; i < types.length; i++) {
                String column = columns.get(i);
                values[i] = types[i] == long.class ? (Object) longValue(row, column)
                        : types[i] == int.class ? (Object) (int) longValue(row, column) : text(row, column);
            }
            try {
                return constructor.newInstance(values);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot make a " + entry.getName() + " of " + row, e);
            }
        }, report);
    }

    /** What every tool's report read back has: its header, whether it is the final one, when it was written. */
    public interface Report {

        /** @return the header's fields (started_ms, written_ms, final, and the tool's own) */
        Map<String, String> header();

        /** @return true for the report written when the tool ended */
        default boolean isFinal() {
            return ReportTable.isFinal(header());
        }

        /** @return when this report was written (epoch ms) */
        default long writtenAtMillis() {
            return headerLong(header(), "written_ms");
        }
    }

    /** @return the header's {@code final} field: true for the report written when the tool ended */
    public static boolean isFinal(Map<String, String> header) {
        return Boolean.parseBoolean(header.getOrDefault("final", "false"));
    }

    /** @return the header field as a whole number, -1 when absent */
    public static long headerLong(Map<String, String> header, String key) {
        return Long.parseLong(header.getOrDefault(key, "-1"));
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
