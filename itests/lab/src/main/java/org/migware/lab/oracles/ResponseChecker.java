package org.migware.lab.oracles;

import java.nio.ByteBuffer;

/**
 * Checks the responses one connection of the request/response workload receives, incrementally,
 * however the stream is split into reads. The server ({@code SinkServer} with {@code --respond})
 * answers each record {@code c<conn> r<seq>} with the line {@code ok c<conn> r<seq>\n}; a
 * correct stream of answers is therefore {@code r1, r2, r3, ...}, all for this connection's id.
 * With a body ({@code --response-bytes N}, bulk responses) each answer is
 * {@code ok c<conn> r<seq> <body>\n}, the body N bytes that depend on the connection, the record
 * and the position ({@link #bodyByte}), checked byte for byte as they arrive: an answer cut short,
 * shifted or with any wrong byte is a wrong line.
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
    /** The largest body an answer may carry. */
    public static final int MAX_BODY = 1 << 20;

    private final long connId;
    private final int bodyBytes;
    /** In an answer's body: the record it answers; -1 while in its header. */
    private long bodySeq = -1;
    private int bodyPosition;
    private boolean bodyWrong;
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

    /** @param connId the id of the connection whose answers these are: plain answer lines */
    public ResponseChecker(long connId) {
        this(connId, 0);
    }

    /**
     * @param connId the id of the connection whose answers these are
     * @param bodyBytes the body each answer carries after its header, 0 for none
     */
    public ResponseChecker(long connId, int bodyBytes) {
        if (bodyBytes < 0 || bodyBytes > MAX_BODY) {
            throw new IllegalArgumentException("a body must be 0.." + MAX_BODY + " bytes: " + bodyBytes);
        }
        this.connId = connId;
        this.bodyBytes = bodyBytes;
    }

    /**
     * The body's byte at a position: a lower-case letter from a hash of the connection, the record
     * and the position, so that no shift of a body, nor another answer's body, matches it.
     *
     * @param connId the connection's id
     * @param seq the answered record's number
     * @param position the byte's position in the body, from 0
     * @return the byte the server writes there
     */
    public static byte bodyByte(long connId, long seq, int position) {
        long h = connId * 0x9E3779B97F4A7C15L + seq * 0xC2B2AE3D27D4EB4FL + position * 0x165667B19E3779F9L;
        h ^= h >>> 31;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 29;
        return (byte) ('a' + Math.floorMod(h, 26));
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
        if (bodySeq >= 0) {
            if (b != '\n') {
                bodyWrong |= bodyPosition >= bodyBytes || b != bodyByte(connId, bodySeq, bodyPosition);
                bodyPosition++;
                return;
            }
            endLine(bodyWrong || bodyPosition != bodyBytes ? -1 : bodySeq, highestSent, listener);
            return;
        }
        if (b != '\n') {
            if (bodyBytes > 0 && b == ' ' && !overlong) {
                long seq = parse();
                if (seq >= 0) {
                    // the header is whole: the body follows
                    bodySeq = seq;
                    return;
                }
            }
            if (lineLength < MAX_LINE) {
                line[lineLength++] = b;
            } else {
                overlong = true;
            }
            return;
        }
        // a line without a body where one is due is wrong
        endLine(overlong || bodyBytes > 0 ? -1 : parse(), highestSent, listener);
    }

    private void endLine(long seq, long highestSent, Listener listener) {
        lineLength = 0;
        lineBytes = 0;
        overlong = false;
        bodySeq = -1;
        bodyPosition = 0;
        bodyWrong = false;
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
