package org.migware.tracker.internal;

/**
 * TCP sequence-space arithmetic (RFC 793 / RFC 1982): 32-bit values compared modulo 2^32.
 * {@code a} is "after" {@code b} when the signed 32-bit difference is positive, which is right
 * as long as the two lie less than 2^31 apart — always true for one connection's live window.
 */
final class Seq {

    private Seq() {
    }

    /** @return whether {@code a} comes strictly after {@code b} */
    static boolean after(int a, int b) {
        return a - b > 0;
    }

    /** @return whether {@code a} comes at or after {@code b} */
    static boolean atOrAfter(int a, int b) {
        return a - b >= 0;
    }

    /** @return the forward distance from {@code from} to {@code to}, as a signed int */
    static int distance(int from, int to) {
        return to - from;
    }

    /** @return whether {@code value} lies in {@code [low, low + size)} in sequence space */
    static boolean inWindow(int value, int low, long size) {
        return (value - low & 0xffff_ffffL) < size;
    }

    /** @return the unsigned value of a 32-bit sequence number */
    static long unsigned(int value) {
        return value & 0xffff_ffffL;
    }
}
