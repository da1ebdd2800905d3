package org.migware.lab.workloads;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The bulk workload's byte stream: consecutive 8-byte big-endian counters, so byte {@code o} of
 * the stream is byte {@code o % 8} of the number {@code o / 8}. The stream describes itself: a
 * receiver that got any 24 consecutive bytes of it can tell at which stream offset they start
 * ({@link #locate}), which is how the replica's receiver, which never saw the stream's beginning,
 * reports where its part starts. And anyone can regenerate any range ({@link #fill},
 * {@link #sha256}) to check what a receiver got against what was sent.
 */
public final class BulkStream {

    /** Bytes a receiver keeps from its start to {@link #locate} it: enough for several counters at any alignment. */
    public static final int LOCATE_BYTES = 64;

    private static final int CHUNK = 64 * 1024;

    private BulkStream() {
    }

    /**
     * Writes the stream's bytes {@code [offset, offset + dst.remaining())} into {@code dst}.
     *
     * @param dst where to put them; filled up to its limit
     * @param offset the stream offset of the first byte
     */
    public static void fill(ByteBuffer dst, long offset) {
        long o = offset;
        // Up to the next counter boundary byte by byte, then whole counters, then the tail.
        while (dst.hasRemaining() && (o & 7) != 0) {
            dst.put(byteAt(o++));
        }
        while (dst.remaining() >= 8) {
            dst.putLong(o >>> 3);
            o += 8;
        }
        while (dst.hasRemaining()) {
            dst.put(byteAt(o++));
        }
    }

    /**
     * @param offset a stream offset
     * @return the stream's byte there
     */
    public static byte byteAt(long offset) {
        long counter = offset >>> 3;
        int shift = (7 - (int) (offset & 7)) * 8;
        return (byte) (counter >>> shift);
    }

    /**
     * Finds the stream offset at which some received bytes start.
     *
     * @param head the first bytes received, at least 24 (use {@link #LOCATE_BYTES})
     * @param length how many of them are valid
     * @return the offset, or -1 when they fit no offset or more than one (too short, or not the stream)
     */
    public static long locate(byte[] head, int length) {
        if (length < 24) {
            return -1;
        }
        long found = -1;
        // Each alignment's whole counter proposes an offset; all the bytes must agree with it.
        for (int align = 0; align < 8 && align + 8 <= length; align++) {
            long counter = ByteBuffer.wrap(head, align, 8).getLong();
            long candidate = counter * 8 - align;
            if (counter < 0 || candidate < 0 || !matches(head, length, candidate)) {
                continue;
            }
            if (found >= 0 && found != candidate) {
                return -1;
            }
            found = candidate;
        }
        return found;
    }

    private static boolean matches(byte[] head, int length, long offset) {
        for (int i = 0; i < length; i++) {
            if (head[i] != byteAt(offset + i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * @param offset the stream offset of the first byte
     * @param count how many bytes
     * @return the lower-case hex SHA-256 of the stream's bytes {@code [offset, offset + count)}
     */
    public static String sha256(long offset, long count) {
        MessageDigest digest = newDigest();
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK);
        long o = offset;
        long left = count;
        while (left > 0) {
            chunk.clear();
            chunk.limit((int) Math.min(CHUNK, left));
            fill(chunk, o);
            chunk.flip();
            digest.update(chunk);
            o += chunk.limit();
            left -= chunk.limit();
        }
        return hex(digest.digest());
    }

    static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
