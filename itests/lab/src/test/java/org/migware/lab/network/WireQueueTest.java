package org.migware.lab.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** The books of the box's delay queue, against a byte arena that the test fills and checks. */
class WireQueueTest {

    private static final int MAX = 100;

    @Test
    void anEmptyQueueAlwaysHasRoomAtTheStartAndFramesLeaveInOrder() {
        WireQueue q = new WireQueue(350, MAX, 10);
        assertEquals(0, q.reserve());
        q.commit(0, 60, 5);
        assertEquals(60, q.reserve());
        q.commit(60, 100, 7);
        assertEquals(160, q.reserve());
        q.commit(160, 100, 9);
        // 260..350 is 90 bytes, less than a frame; 0..60 is held: full
        assertEquals(-1, q.reserve());
        assertEquals(3, q.size());
        assertEquals(0, q.headOffset());
        assertEquals(5, q.headDue());
        q.pop();
        // the first 60 bytes are free, still less than a frame
        assertEquals(-1, q.reserve());
        q.pop();
        // 0..160 free: wraps to the start
        assertEquals(0, q.reserve());
        q.commit(0, 40, 11);
        assertEquals(40, q.reserve(), "wrapped: between the new end and the oldest frame at 160");
        q.commit(40, 100, 12);
        assertEquals(-1, q.reserve(), "140..160 is too small");
        q.pop();
        q.pop();
        q.pop();
        assertTrue(q.isEmpty());
        assertEquals(0, q.reserve());
    }

    @Test
    void theFrameLimitIsNetemsLimit() {
        WireQueue q = new WireQueue(10_000, MAX, 2);
        q.commit(q.reserve(), 10, 1);
        q.commit(q.reserve(), 10, 2);
        assertEquals(-1, q.reserve());
        q.pop();
        assertEquals(20, q.reserve());
    }

    @Test
    void refusesWhatWasNotReservedAndAnEmptyHead() {
        assertThrows(IllegalArgumentException.class, () -> new WireQueue(150, MAX, 1));
        WireQueue q = new WireQueue(1000, MAX, 4);
        assertThrows(IllegalArgumentException.class, () -> q.commit(-1, 10, 0));
        assertThrows(IllegalArgumentException.class, () -> q.commit(0, MAX + 1, 0));
        assertThrows(IllegalStateException.class, q::pop);
        assertThrows(IllegalStateException.class, q::headDue);
    }

    /**
     * Any sequence of arrivals (a frame of a length 1..MAX) and departures: every frame comes out
     * whole, in order, with its due time, although its bytes shared the arena with the others; a
     * full queue refuses only when neither the limit nor the arena leaves room for one more.
     */
    @Property(tries = 300)
    void framesNeverOverlapAndLeaveInOrder(@ForAll @Size(max = 400) List<@IntRange(min = -40, max = MAX) Integer> ops,
            @ForAll @IntRange(min = 2 * MAX, max = 8 * MAX) int arenaBytes, @ForAll @IntRange(min = 1, max = 12) int limit) {
        WireQueue q = new WireQueue(arenaBytes, MAX, limit);
        byte[] arena = new byte[arenaBytes];
        ArrayDeque<int[]> model = new ArrayDeque<>(); // {id, length}
        int id = 0;
        for (int op : ops) {
            if (op <= 0) {
                if (!model.isEmpty()) {
                    int[] frame = model.removeFirst();
                    assertEquals(frame[0], q.headDue());
                    assertEquals(frame[1], q.headLength());
                    byte[] expected = new byte[frame[1]];
                    Arrays.fill(expected, (byte) frame[0]);
                    byte[] actual = Arrays.copyOfRange(arena, q.headOffset(), q.headOffset() + frame[1]);
                    assertTrue(Arrays.equals(expected, actual), "frame " + frame[0] + " intact");
                    q.pop();
                }
                continue;
            }
            int slot = q.reserve();
            if (slot < 0) {
                assertTrue(model.size() == limit || heldBytes(model) > arenaBytes - 2 * MAX,
                        "refused with " + model.size() + " frames of " + heldBytes(model) + " bytes");
                continue;
            }
            id++;
            // reserve() promised MAX free bytes: scribble on all of them (a value no held frame has)
            Arrays.fill(arena, slot, slot + MAX, (byte) (id + 128));
            Arrays.fill(arena, slot, slot + op, (byte) id);
            q.commit(slot, op, id);
            model.addLast(new int[] {id, op});
        }
        assertEquals(model.size(), q.size());
    }

    private static int heldBytes(ArrayDeque<int[]> frames) {
        int sum = 0;
        for (int[] f : frames) {
            sum += f[1];
        }
        return sum;
    }
}
