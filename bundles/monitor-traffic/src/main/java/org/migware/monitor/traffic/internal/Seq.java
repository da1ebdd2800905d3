package org.migware.monitor.traffic.internal;

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

    /** @return the unsigned forward distance from {@code from} to {@code to} */
    static long distance(int from, int to) {
        return to - from & 0xffff_ffffL;
    }
}
