package org.migware.lab.network;

import java.time.Duration;
import java.util.Objects;

/**
 * Delay, reordering and duplication of one direction of a link, with netem's meaning: every frame
 * is held back for {@code delay}, except {@code reorderPercent} of them, drawn at random, which go
 * at once and so overtake the frames still held back ({@code tc qdisc ... netem delay D reorder P%});
 * {@code duplicatePercent} of the frames, drawn at random, leave twice, the copy right after the
 * frame ({@code netem duplicate P%}). As in netem, reordering needs a delay: without one there is
 * nothing to overtake; duplication does not.
 *
 * @param delay added to each frame of the direction; zero for none
 * @param reorderPercent the share of frames, 0 to 100, that go at once instead of being delayed
 * @param duplicatePercent the share of frames, 0 to 100, sent twice
 */
public record Impairment(Duration delay, double reorderPercent, double duplicatePercent) {

    /** The longest delay accepted; the box holds frames in memory for that long. */
    public static final Duration MAX_DELAY = Duration.ofSeconds(60);

    /** Nothing held back: frames pass as they come (declared after MAX_DELAY, which it checks against). */
    public static final Impairment NONE = new Impairment(Duration.ZERO, 0, 0);

    /**
     * @throws IllegalArgumentException on a negative or too long delay, a share outside 0..100, or
     *         reordering without a delay
     */
    public Impairment {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative() || delay.compareTo(MAX_DELAY) > 0) {
            throw new IllegalArgumentException("the delay must be 0.." + MAX_DELAY.toSeconds() + " s: " + delay);
        }
        if (!(reorderPercent >= 0 && reorderPercent <= 100)) {
            throw new IllegalArgumentException("the reordered share must be 0..100 %: " + reorderPercent);
        }
        if (!(duplicatePercent >= 0 && duplicatePercent <= 100)) {
            throw new IllegalArgumentException("the duplicated share must be 0..100 %: " + duplicatePercent);
        }
        if (reorderPercent > 0 && delay.isZero()) {
            throw new IllegalArgumentException("reordering needs a delay (the frames that go at once overtake the delayed"
                    + " ones, as in netem)");
        }
    }

    /**
     * Delay and reordering without duplication (what the box had before duplication; older callers use it).
     *
     * @param delay added to each frame
     * @param reorderPercent the share of frames that go at once
     */
    public Impairment(Duration delay, double reorderPercent) {
        this(delay, reorderPercent, 0);
    }

    /**
     * @param delay added to every frame
     * @return that delay, no reordering
     */
    public static Impairment delay(Duration delay) {
        return new Impairment(delay, 0, 0);
    }

    /**
     * @param percent the share of frames sent twice
     * @return no delay, that duplication
     */
    public static Impairment duplicate(double percent) {
        return new Impairment(Duration.ZERO, 0, percent);
    }

    /**
     * @param percent the share of frames that go at once
     * @return this delay with that reordering
     */
    public Impairment withReorder(double percent) {
        return new Impairment(delay, percent, duplicatePercent);
    }

    /**
     * @param percent the share of frames sent twice
     * @return this impairment with that duplication
     */
    public Impairment withDuplicate(double percent) {
        return new Impairment(delay, reorderPercent, percent);
    }

    /** @return true when frames pass untouched */
    public boolean isNone() {
        return delay.isZero() && duplicatePercent == 0;
    }

    /** @return true when frames are held back: the direction needs a queue */
    public boolean delays() {
        return !delay.isZero();
    }

    /** @return true when some frames are sent twice */
    public boolean duplicates() {
        return duplicatePercent > 0;
    }

    /**
     * netem's draw for one frame: it goes at once when there is no delay, or when the draw falls
     * into the reordered share.
     *
     * @param uniform a random number in [0, 1), one per frame
     * @return true when the frame goes at once, false when it is held back for the delay
     */
    public boolean sendsAtOnce(double uniform) {
        return delay.isZero() || uniform * 100 < reorderPercent;
    }

    /**
     * netem's duplication draw for one frame.
     *
     * @param uniform a random number in [0, 1), one per frame sent
     * @return true when the frame leaves a second time
     */
    public boolean sendsTwice(double uniform) {
        return uniform * 100 < duplicatePercent;
    }

    @Override
    public String toString() {
        if (isNone()) {
            return "none";
        }
        String duplicated = duplicates() ? duplicatePercent + " % duplicated" : "";
        if (!delays()) {
            return duplicated;
        }
        String d = delay.toNanos() % 1_000_000 == 0 ? delay.toMillis() + " ms" : delay.toNanos() / 1000 + " us";
        String delayed = reorderPercent > 0 ? "delay " + d + ", " + reorderPercent + " % reordered" : "delay " + d;
        return duplicates() ? delayed + ", " + duplicated : delayed;
    }
}
