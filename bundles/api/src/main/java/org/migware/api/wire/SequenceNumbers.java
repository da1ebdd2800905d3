package org.migware.api.wire;

/**
 * TCP sequence-space arithmetic (RFC 9293 §3.4, RFC 1982): 32-bit values compared modulo 2^32.
 * Sequence numbers, acknowledgement numbers and timestamps are all held as Java {@code int}s
 * carrying the unsigned wire value.
 *
 * <p>Order: {@code a} is "after" {@code b} when the signed 32-bit difference is positive, which is
 * right as long as the two lie less than 2^31 apart — always true for one connection's live
 * window.
 *
 * <p>Distance has one meaning here: {@link #distance(int, int)} is how far one counts
 * <em>forward</em> from {@code from} to reach {@code to}, an unsigned value in
 * [0, 2^32 - 1] held in a {@code long}. A value just behind {@code from} is therefore almost
 * 2^32 away, never negative; ask {@link #after} first when the order is not known.
 */
public final class SequenceNumbers {

    /** The size of the sequence space, 2^32. */
    public static final long SPACE = 1L << 32;

    private static final long UNSIGNED_MASK = 0xffff_ffffL;

    private SequenceNumbers() {
    }

    /** @return whether {@code a} comes strictly after {@code b} */
    public static boolean after(int a, int b) {
        return a - b > 0;
    }

    /** @return whether {@code a} comes at or after {@code b} */
    public static boolean atOrAfter(int a, int b) {
        return a - b >= 0;
    }

    /** @return the forward distance from {@code from} to {@code to}: 0 to 2^32 - 1 */
    public static long distance(int from, int to) {
        return to - from & UNSIGNED_MASK;
    }

    /** @return whether {@code value} lies in {@code [low, low + size)} in sequence space */
    public static boolean inWindow(int value, int low, long size) {
        return distance(low, value) < size;
    }

    /** @return the unsigned value of a 32-bit sequence number */
    public static long unsigned(int value) {
        return value & UNSIGNED_MASK;
    }
}
