package org.migware.api.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** Sequence arithmetic over the whole 32-bit space. */
class SequencePropertiesTest {

    @Property
    void afterIsTrueForEveryForwardDistanceBelowHalfTheSpace(@ForAll int a, @ForAll @IntRange(min = 1, max = Integer.MAX_VALUE) int distance) {
        int b = a + distance;
        assertTrue(SequenceNumbers.after(b, a));
        assertFalse(SequenceNumbers.after(a, b));
        assertTrue(SequenceNumbers.atOrAfter(b, a));
        assertEquals(distance, SequenceNumbers.distance(a, b));
    }

    @Property
    void inWindowMatchesTheDistance(@ForAll int low, @ForAll @LongRange(min = 1, max = 1L << 30) long size,
            @ForAll @LongRange(min = 0, max = (1L << 31)) long offset) {
        int value = (int) (low + offset);
        assertEquals(offset < size, SequenceNumbers.inWindow(value, low, size));
    }

    /** The one meaning of distance: forward, unsigned, so going back a little is almost all the way round. */
    @Property
    void distanceIsForwardAndUnsigned(@ForAll int from, @ForAll @LongRange(min = 0, max = SequenceNumbers.SPACE - 1) long forward) {
        int to = (int) (from + forward);
        assertEquals(forward, SequenceNumbers.distance(from, to));
        assertEquals(forward == 0 ? 0 : SequenceNumbers.SPACE - forward, SequenceNumbers.distance(to, from));
        assertEquals(SequenceNumbers.unsigned(to), (SequenceNumbers.unsigned(from) + forward) % SequenceNumbers.SPACE);
    }
}
