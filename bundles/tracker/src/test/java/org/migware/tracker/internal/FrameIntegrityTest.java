package org.migware.tracker.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

import org.junit.jupiter.api.Test;
import org.migware.api.wire.InternetChecksum;

/** The tracker's eight-bytes-a-read checksum sums exactly as the reference does. */
class FrameIntegrityTest {

    @Test
    void sumEqualsTheReferenceForEveryOffsetLengthAndInitialSum() {
        Random random = new Random(0xC5C5L);
        for (int n = 0; n < 200_000; n++) {
            byte[] bytes = new byte[random.nextInt(200) + 1];
            if (random.nextInt(10) == 0) {
                java.util.Arrays.fill(bytes, (byte) 0xff); // carries everywhere
            } else {
                random.nextBytes(bytes);
            }
            int offset = random.nextInt(bytes.length);
            int length = random.nextInt(bytes.length - offset + 1);
            int initial = random.nextBoolean() ? random.nextInt(1 << 16) : random.nextInt();
            assertEquals(InternetChecksum.sum(bytes, offset, length, initial), FrameIntegrity.sum(bytes, offset, length, initial),
                    () -> "length " + length + " at " + offset);
        }
    }

    @Test
    void sumOfTheLargestSegmentDoesNotOverflow() {
        byte[] bytes = new byte[65_535];
        java.util.Arrays.fill(bytes, (byte) 0xff);
        assertEquals(InternetChecksum.sum(bytes, 0, bytes.length, -1), FrameIntegrity.sum(bytes, 0, bytes.length, -1));
    }
}
