package org.migware.lab.oracles;

import java.nio.ByteBuffer;

/**
 * Checks one connection's received byte stream against the {@link RecordFormat}, incrementally,
 * however the stream is split into reads.
 *
 * <p>What it counts, and why each matters for migration:
 * <ul>
 *   <li><b>records</b>: lines with a valid {@code c<conn> r<seq>} header;</li>
 *   <li><b>gaps / missing</b>: jumps forward in seq (records lost between primary and replica);</li>
 *   <li><b>duplicates</b>: a seq at or below the last one (a stream delivered twice);</li>
 *   <li><b>torn</b>: a record whose start is not where one is expected: a line that does not begin
 *       with a header (the stream resumed mid-record), or a header that begins inside another
 *       record (the rest of that record was lost). After a torn record the checker resynchronises
 *       on the next record start;</li>
 *   <li><b>corrupt</b>: a record with an intact header whose padding bytes are wrong (bytes shifted
 *       or altered);</li>
 *   <li><b>foreign</b>: a record of another connection id (streams crossed);</li>
 *   <li><b>trailing</b>: bytes of an unfinished record, as seen at the end of the stream.</li>
 * </ul>
 * Not thread-safe; one instance per connection.
 */
public final class RecordChecker {

    /** Told of every record with a valid header, e.g. to answer it. */
    @FunctionalInterface
    public interface Listener {
        /**
         * @param connId the record's connection id
         * @param seq the record's sequence number
         */
        void onRecord(long connId, long seq);
    }

    private static final int MAX_DIGITS = 18;

    private enum State { START, CONN, EXPECT_R, SEQ, PADDING, SKIP }

    private State state = State.START;
    private long number;
    private int numberDigits;
    private long recordConn;
    private long paddingIndex;
    private boolean recordCorrupt;
    private long lineBytes;

    private long bytes;
    private long records;
    private long connId = -1;
    private long firstSeq = -1;
    private long lastSeq = -1;
    private long gaps;
    private long missing;
    private long duplicates;
    private long torn;
    private long corrupt;
    private long foreign;

    /**
     * Feeds the bytes between {@code src}'s position and limit; the position moves to the limit.
     *
     * @param src received bytes
     * @param listener told of each complete record, or null
     */
    public void feed(ByteBuffer src, Listener listener) {
        while (src.hasRemaining()) {
            accept(src.get(), listener);
        }
    }

    /**
     * Feeds bytes from an array.
     *
     * @param data received bytes
     * @param offset where they start
     * @param length how many
     * @param listener told of each complete record, or null
     */
    public void feed(byte[] data, int offset, int length, Listener listener) {
        for (int i = offset; i < offset + length; i++) {
            accept(data[i], listener);
        }
    }

    private void accept(byte b, Listener listener) {
        bytes++;
        lineBytes++;
        switch (state) {
            case START:
                if (b == 'c') {
                    beginNumber(State.CONN);
                } else {
                    torn++;
                    endOrSkip(b);
                }
                break;
            case CONN:
                if (isDigit(b)) {
                    digit(b);
                } else if (b == ' ' && numberDigits > 0) {
                    recordConn = number;
                    state = State.EXPECT_R;
                } else {
                    tornHere(b);
                }
                break;
            case EXPECT_R:
                if (b == 'r') {
                    beginNumber(State.SEQ);
                } else {
                    tornHere(b);
                }
                break;
            case SEQ:
                if (isDigit(b)) {
                    digit(b);
                } else if (b == '\n' && numberDigits > 0) {
                    complete(listener);
                } else if (b == ' ' && numberDigits > 0) {
                    paddingIndex = 0;
                    recordCorrupt = false;
                    state = State.PADDING;
                } else {
                    tornHere(b);
                }
                break;
            case PADDING:
                if (b == '\n') {
                    complete(listener);
                } else if (b == 'c') {
                    // A record starts inside this one: this one lost its end.
                    torn++;
                    lineBytes = 1;
                    beginNumber(State.CONN);
                } else {
                    if (b != RecordFormat.paddingByte(number, paddingIndex)) {
                        recordCorrupt = true;
                    }
                    paddingIndex++;
                }
                break;
            case SKIP:
                if (b == '\n') {
                    state = State.START;
                    lineBytes = 0;
                } else if (b == 'c') {
                    lineBytes = 1;
                    beginNumber(State.CONN);
                }
                break;
            default:
                throw new IllegalStateException(state.name());
        }
    }

    private void tornHere(byte b) {
        torn++;
        if (b == 'c') {
            lineBytes = 1;
            beginNumber(State.CONN);
        } else {
            endOrSkip(b);
        }
    }

    private void endOrSkip(byte b) {
        if (b == '\n') {
            state = State.START;
            lineBytes = 0;
        } else {
            state = State.SKIP;
        }
    }

    private void beginNumber(State next) {
        number = 0;
        numberDigits = 0;
        state = next;
    }

    private void digit(byte b) {
        if (++numberDigits > MAX_DIGITS) {
            torn++;
            state = State.SKIP;
            return;
        }
        number = number * 10 + (b - '0');
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    private void complete(Listener listener) {
        long seq = number;
        records++;
        if (connId < 0) {
            connId = recordConn;
        } else if (recordConn != connId) {
            foreign++;
        }
        if (lastSeq < 0) {
            firstSeq = seq;
            lastSeq = seq;
        } else if (seq == lastSeq + 1) {
            lastSeq = seq;
        } else if (seq > lastSeq + 1) {
            gaps++;
            missing += seq - lastSeq - 1;
            lastSeq = seq;
        } else {
            duplicates++;
        }
        if (state == State.PADDING && recordCorrupt) {
            corrupt++;
        }
        state = State.START;
        lineBytes = 0;
        if (listener != null) {
            listener.onRecord(recordConn, seq);
        }
    }

    /** @return all bytes fed */
    public long bytes() {
        return bytes;
    }

    /** @return records with a valid header */
    public long records() {
        return records;
    }

    /** @return the connection id of the first record, -1 before it */
    public long connId() {
        return connId;
    }

    /** @return the first record's seq, -1 before it */
    public long firstSeq() {
        return firstSeq;
    }

    /** @return the highest seq seen, -1 before the first record */
    public long lastSeq() {
        return lastSeq;
    }

    /** @return how many times seq jumped forward */
    public long gaps() {
        return gaps;
    }

    /** @return how many seq numbers the gaps skipped in total */
    public long missing() {
        return missing;
    }

    /** @return records whose seq was not above the highest one seen */
    public long duplicates() {
        return duplicates;
    }

    /** @return records whose start was not where one was expected */
    public long torn() {
        return torn;
    }

    /** @return records with a valid header but wrong padding */
    public long corrupt() {
        return corrupt;
    }

    /** @return records carrying another connection's id */
    public long foreign() {
        return foreign;
    }

    /** @return bytes after the last complete record (an unfinished record, if the stream ends here) */
    public long trailingBytes() {
        return state == State.START ? 0 : lineBytes;
    }
}
