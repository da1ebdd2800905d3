package org.migware.lab.oracles;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.LongPredicate;
import org.migware.lab.LabException;

/**
 * The application round trips of the request/response workload: for every correct answer a
 * {@code PushClient} received, when its record was sent (epoch ms), how long the answer took (µs,
 * measured with the client's monotonic clock) and the connection id. Kept in memory while the
 * client runs (three primitive arrays: 10,000 answers cost 200 kB) and written as a file of
 * tab-separated lines when it ends.
 *
 * <p>The split into the direct path and the path through MigWare is the reader's: the client does
 * not know when the primary died. {@link #summary(LongPredicate)} sums up the round trips of the
 * records sent in a window of time.
 */
public final class RttLog {

    /** The file's first line. */
    static final String HEADER = "# migware-rtt sent_ms rtt_us conn_id";

    private long[] sentMillis = new long[1024];
    private long[] rttMicros = new long[1024];
    private int[] connIds = new int[1024];
    private int size;

    /**
     * Percentiles of a set of round trips (nearest rank), in microseconds; all -1 for an empty set.
     *
     * @param count how many round trips
     * @param medianMicros the 50th percentile
     * @param p90Micros the 90th percentile
     * @param p99Micros the 99th percentile
     * @param maxMicros the longest
     */
    public record Summary(long count, long medianMicros, long p90Micros, long p99Micros, long maxMicros) {

        /** An empty set's summary. */
        public static final Summary EMPTY = new Summary(0, -1, -1, -1, -1);

        /**
         * @param micros round trips, any order; sorted in place
         * @return their summary
         */
        public static Summary of(long[] micros) {
            if (micros.length == 0) {
                return EMPTY;
            }
            Arrays.sort(micros);
            return new Summary(micros.length, rank(micros, 50), rank(micros, 90), rank(micros, 99), micros[micros.length - 1]);
        }

        private static long rank(long[] sorted, int percent) {
            int index = (int) Math.ceil(percent / 100.0 * sorted.length) - 1;
            return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
        }

        /** @return e.g. {@code n=4000 median=180us p90=240us p99=950us max=2100us} */
        public String describe() {
            return String.format(Locale.ROOT, "n=%d median=%dus p90=%dus p99=%dus max=%dus", count, medianMicros, p90Micros,
                    p99Micros, maxMicros);
        }
    }

    /**
     * @param sentAtMillis when the record was sent (epoch ms)
     * @param micros its round trip
     * @param connId its connection id
     */
    public void add(long sentAtMillis, long micros, int connId) {
        if (size == sentMillis.length) {
            sentMillis = Arrays.copyOf(sentMillis, size * 2);
            rttMicros = Arrays.copyOf(rttMicros, size * 2);
            connIds = Arrays.copyOf(connIds, size * 2);
        }
        sentMillis[size] = sentAtMillis;
        rttMicros[size] = micros;
        connIds[size] = connId;
        size++;
    }

    /** @return how many round trips */
    public int size() {
        return size;
    }

    /** One correct answer: its record's send time (epoch ms), its round trip (µs) and its connection id. */
    @FunctionalInterface
    public interface Answer {
        void accept(long sentAtMillis, long micros, int connId);
    }

    /** Hands every round trip to {@code answer}, in the order they were added. */
    public void forEach(Answer answer) {
        for (int i = 0; i < size; i++) {
            answer.accept(sentMillis[i], rttMicros[i], connIds[i]);
        }
    }

    /**
     * @param sentAt which records count, by their send time (epoch ms)
     * @return the summary of their round trips
     */
    public Summary summary(LongPredicate sentAt) {
        long[] selected = new long[size];
        int n = 0;
        for (int i = 0; i < size; i++) {
            if (sentAt.test(sentMillis[i])) {
                selected[n++] = rttMicros[i];
            }
        }
        return Summary.of(Arrays.copyOf(selected, n));
    }

    /**
     * @param file where to write the log
     * @throws IOException when it cannot be written
     */
    public void write(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.US_ASCII)) {
            out.write(HEADER);
            out.write('\n');
            for (int i = 0; i < size; i++) {
                out.write(Long.toString(sentMillis[i]));
                out.write('\t');
                out.write(Long.toString(rttMicros[i]));
                out.write('\t');
                out.write(Integer.toString(connIds[i]));
                out.write('\n');
            }
        }
    }

    /**
     * @param file a log written by {@link #write}
     * @return its round trips
     * @throws LabException when the file is missing or not such a log
     */
    public static RttLog read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new LabException("cannot read the round-trip log " + file + ": " + e.getMessage(), e);
        }
        if (lines.isEmpty() || !lines.get(0).equals(HEADER)) {
            throw new LabException("not a round-trip log: " + file);
        }
        RttLog log = new RttLog();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\t");
            log.add(Long.parseLong(f[0]), Long.parseLong(f[1]), Integer.parseInt(f[2]));
        }
        return log;
    }
}
