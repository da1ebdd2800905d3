package org.migware.proxy.internal.recorder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The ring keeps the newest frames in its fixed memory, whole, in order. */
class FrameRingTest {

    @Test
    void theNewestFramesStayWholeAndInOrderWhenTheRingWraps() {
        FrameRing ring = new FrameRing(1000, 100);
        for (int n = 0; n < 50; n++) {
            byte[] frame = new byte[60 + n % 30];
            java.util.Arrays.fill(frame, (byte) n);
            ring.record(FrameRing.Side.WIRE_CAPTURED, frame, 0, frame.length, n);
        }
        List<Long> times = new ArrayList<>();
        ring.forEach((side, time, original, bytes, offset, length) -> {
            times.add(time);
            assertEquals(original, length);
            for (int i = 0; i < length; i++) {
                assertEquals((byte) time, bytes[offset + i], "frame " + time + " intact");
            }
        });
        assertEquals(49L, times.get(times.size() - 1), "the newest is kept");
        for (int i = 1; i < times.size(); i++) {
            assertEquals(times.get(i - 1) + 1, times.get(i), "oldest first, none missing in between");
        }
        int held = ring.size();
        assertTrue(held >= 10 && held < 17, "about 1000 bytes of 60-89 byte frames: " + held);
        assertEquals(50 - held, ring.overwritten());
    }

    @Test
    void aFrameLongerThanTheSnapLengthIsCutAndItsLengthKept() {
        FrameRing ring = new FrameRing(4096, 128);
        ring.record(FrameRing.Side.TUN_TO_REPLICA, new byte[1500], 0, 1500, 7);
        ring.forEach((side, time, original, bytes, offset, length) -> {
            assertEquals(FrameRing.Side.TUN_TO_REPLICA, side);
            assertEquals(1500, original);
            assertEquals(128, length);
        });
    }
}
