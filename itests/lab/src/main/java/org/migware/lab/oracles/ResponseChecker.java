package org.migware.lab.oracles;

import java.nio.ByteBuffer;

/**
 * Checks the responses one connection of the request/response workload receives, incrementally,
 * however the stream is split into reads. The server ({@code SinkServer} with {@code --respond})
 * answers each record {@code c<conn> r<seq>} with the line {@code ok c<conn> r<seq>\n}; a
 * correct stream of answers is therefore {@code r1, r2, r3, ...}, all for this connection's id.
 *
 * <p>What it counts, and why each matters for migration:
 * <ul>
 *   <li><b>responses</b>: well-formed answers for this connection, each for a record after the
 *       previous answer's;</li>
 *   <li><b>gaps / missing</b>: jumps forward in the answered record numbers. Under the
 *       {@code resume} semantics one gap at the failover is expected: answers the primary produced
 *       (for records it had acknowledged) but never delivered before its link went; the replica
 *       never saw those records, so it cannot answer them. {@link #lastGapEnd()} tells where the
 *       last gap ended, so a caller can check that it lies before the replica's first record;</li>
 *   <li><b>wrong</b>: a line that is not a well-formed answer, an answer for another connection,
 *       an answer for a record at or below one already answered (a duplicate or reordering), or
 *       an answer for a record the client has not sent yet.</li>
 * </ul>
 * Not thread-safe; one instance per connection.
 */
public final class ResponseChecker {

    /** Told of every correct answer, e.g. to time the round trip of its record. */
    @FunctionalInterface
    public interface Listener {
        /** @param seq the answered record's sequence number */
        void onResponse(long seq);
    }

    /** Longer lines cannot be an answer ({@code ok c} + two 19-digit numbers); they are skipped as wrong. */
    private static final int MAX_LINE = 64;
    private static final byte[] PREFIX = {'o', 'k', ' ', 'c'};

    private final long connId;
    private final byte[] line = new byte[MAX_LINE];
    private int lineLength;
    private long lineBytes;
    private boolean overlong;

    private long bytes;
    private long responses;
    private long firstSeq = -1;
    private long lastSeq;
    private long gaps;
    private long missing;
    private long lastGapEnd = -1;
    private long wrong;

    /** @param connId the id of the connection whose answers these are */
    public ResponseChecker(long connId) {
        this.connId = connId;
    }

    /**
     * Feeds the bytes between {@code src}'s position and limit; the position moves to the limit.
     *
     * @param src received bytes
     * @param highestSent the highest record number the client has sent so far (an answer for a
     *        later one is wrong)
     * @param listener told of each correct answer, or null
     */
    public void feed(ByteBuffer src, long highestSent, Listener listener) {
        while (src.hasRemaining()) {
            accept(src.get(), highestSent, listener);
        }
    }

    /**
     * Feeds bytes from an array.
     *
     * @param data received bytes
     * @param offset where they start
     * @param length how many
     * @param highestSent the highest record number the client has sent so far
     * @param listener told of each correct answer, or null
     */
    public void feed(byte[] data, int offset, int length, long highestSent, Listener listener) {
        for (int i = offset; i < offset + length; i++) {
            accept(data[i], highestSent, listener);
        }
    }

    private void accept(byte b, long highestSent, Listener listener) {
        bytes++;
        lineBytes++;
        if (b != '\n') {
            if (lineLength < MAX_LINE) {
                line[lineLength++] = b;
            } else {
                overlong = true;
            }
            return;
        }
        long seq = overlong ? -1 : parse();
        lineLength = 0;
        lineBytes = 0;
        overlong = false;
        if (seq < 0 || seq > highestSent || seq <= lastSeq) {
            wrong++;
            return;
        }
        if (seq > lastSeq + 1) {
            gaps++;
            missing += seq - lastSeq - 1;
            lastGapEnd = seq - 1;
        }
        if (firstSeq < 0) {
            firstSeq = seq;
        }
        lastSeq = seq;
        responses++;
        if (listener != null) {
            listener.onResponse(seq);
        }
    }

    /** @return the record number of a well-formed answer for this connection, or -1 */
    private long parse() {
        if (lineLength < PREFIX.length + 3) {
            return -1;
        }
        for (int i = 0; i < PREFIX.length; i++) {
            if (line[i] != PREFIX[i]) {
                return -1;
            }
        }
        int i = PREFIX.length;
        long conn = 0;
        int digits = 0;
        while (i < lineLength && isDigit(line[i]) && digits < 18) {
            conn = conn * 10 + (line[i++] - '0');
            digits++;
        }
        if (digits == 0 || i + 2 >= lineLength || line[i] != ' ' || line[i + 1] != 'r' || conn != connId) {
            return -1;
        }
        i += 2;
        long seq = 0;
        digits = 0;
        while (i < lineLength && isDigit(line[i]) && digits < 18) {
            seq = seq * 10 + (line[i++] - '0');
            digits++;
        }
        return digits == 0 || i != lineLength ? -1 : seq;
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    /** @return all bytes fed */
    public long bytes() {
        return bytes;
    }

    /** @return correct answers */
    public long responses() {
        return responses;
    }

    /** @return the record number of the first correct answer, -1 before it */
    public long firstSeq() {
        return firstSeq;
    }

    /** @return the record number of the last correct answer, 0 before the first */
    public long lastSeq() {
        return lastSeq;
    }

    /** @return how many times the answered record number jumped forward */
    public long gaps() {
        return gaps;
    }

    /** @return record numbers the gaps skipped, in total */
    public long missing() {
        return missing;
    }

    /** @return the last record number skipped by the last gap, -1 without a gap */
    public long lastGapEnd() {
        return lastGapEnd;
    }

    /** @return lines that were not a correct answer */
    public long wrong() {
        return wrong;
    }

    /** @return bytes of an unfinished line at the end */
    public long trailingBytes() {
        return lineBytes;
    }
}
