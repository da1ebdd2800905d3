package org.migware.sync.internal;

/**
 * What a received sequence number says, conntrackd FT-FW's way: the next one is in order, a
 * later one means messages were lost (the serving host's queue overflowed) and a full transfer
 * is owed, an earlier or repeated one is a replay and is refused.
 */
final class SequenceCheck {

    enum Verdict {
        IN_ORDER,
        GAP,
        REPLAY
    }

    private long expected;
    private long lost;

    SequenceCheck(long first) {
        this.expected = first;
    }

    /** Judges {@code sequence}; in order or after a gap, the next expected one moves past it. */
    Verdict accept(long sequence) {
        if (sequence == expected) {
            expected++;
            return Verdict.IN_ORDER;
        }
        if (sequence > expected) {
            lost = sequence - expected;
            expected = sequence + 1;
            return Verdict.GAP;
        }
        return Verdict.REPLAY;
    }

    /** @return the number of messages the last {@link Verdict#GAP} skipped */
    long lastGap() {
        return lost;
    }

    long expected() {
        return expected;
    }
}
