package org.migware.lab.oracles;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The push workload's record: one line per record,
 *
 * <pre>
 *   c&lt;conn&gt; r&lt;seq&gt; &lt;padding&gt;\n      e.g.  c7 r42 qstuvwxyzabdefghij\n
 * </pre>
 *
 * where {@code conn} is the sending connection's id, {@code seq} counts the connection's records
 * from 1, and the padding fills the record to its configured size. The padding is not constant:
 * byte {@code j} of it is {@code ALPHABET[(seq + j) % 24]}, so a receiver can tell a record whose
 * bytes were shifted, lost or mixed up from an intact one (see {@link RecordChecker}). The
 * alphabet has no {@code 'c'}, so a {@code 'c'} inside a record can only be the start of another
 * record: the mark of a torn record.
 */
public final class RecordFormat {

    /** The padding alphabet: lower-case letters without {@code 'c'} (record start) and {@code 'r'}. */
    public static final String ALPHABET = "abdefghijklmnopqstuvwxyz";

    private static final byte[] ALPHABET_BYTES = ALPHABET.getBytes(StandardCharsets.US_ASCII);

    private RecordFormat() {
    }

    /**
     * @param seq the record's sequence number
     * @param index the position within the padding, from 0
     * @return the padding byte expected at that position
     */
    public static byte paddingByte(long seq, long index) {
        return ALPHABET_BYTES[(int) ((seq + index) % ALPHABET_BYTES.length)];
    }

    /**
     * @param connId the connection id
     * @param seq the record's sequence number
     * @param recordSize the requested size
     * @return the size the encoded record has: {@code recordSize}, or the header plus newline
     *         when that is larger
     */
    public static int encodedLength(long connId, long seq, int recordSize) {
        int header = 1 + digits(connId) + 2 + digits(seq);
        return Math.max(recordSize, header + 1);
    }

    /**
     * Appends one record to {@code dst}.
     *
     * @param dst where to write; needs {@link #encodedLength} bytes remaining
     * @param connId the connection id (non-negative)
     * @param seq the record's sequence number (non-negative)
     * @param recordSize the requested size including the newline
     * @return the number of bytes written
     */
    public static int encode(ByteBuffer dst, long connId, long seq, int recordSize) {
        int start = dst.position();
        dst.put((byte) 'c');
        putDecimal(dst, connId);
        dst.put((byte) ' ');
        dst.put((byte) 'r');
        putDecimal(dst, seq);
        int used = dst.position() - start;
        if (recordSize >= used + 2) {
            dst.put((byte) ' ');
            int padding = recordSize - used - 2;
            for (int j = 0; j < padding; j++) {
                dst.put(paddingByte(seq, j));
            }
        }
        dst.put((byte) '\n');
        return dst.position() - start;
    }

    /**
     * @param connId the connection id
     * @param seq the record's sequence number
     * @param recordSize the requested size including the newline
     * @return the record as a string, for tests and examples
     */
    public static String toString(long connId, long seq, int recordSize) {
        ByteBuffer buffer = ByteBuffer.allocate(encodedLength(connId, seq, recordSize));
        encode(buffer, connId, seq, recordSize);
        return new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII);
    }

    static int digits(long value) {
        int n = 1;
        while (value >= 10) {
            value /= 10;
            n++;
        }
        return n;
    }

    private static void putDecimal(ByteBuffer dst, long value) {
        if (value < 0) {
            throw new IllegalArgumentException("negative: " + value);
        }
        int n = digits(value);
        int end = dst.position() + n;
        for (int i = end - 1; i >= end - n; i--) {
            dst.put(i, (byte) ('0' + value % 10));
            value /= 10;
        }
        dst.position(end);
    }
}
