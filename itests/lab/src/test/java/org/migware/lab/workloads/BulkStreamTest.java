package org.migware.lab.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import org.junit.jupiter.api.Test;

/** The bulk stream: generated anywhere, located from any 24 bytes, hashed by range. */
class BulkStreamTest {

    private static byte[] bytes(long offset, int length) {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        BulkStream.fill(buffer, offset);
        return buffer.array();
    }

    @Test
    void theStreamIsConsecutiveBigEndianCountersFromAnyOffset() {
        byte[] start = bytes(0, 24);
        assertEquals(0, ByteBuffer.wrap(start, 0, 8).getLong());
        assertEquals(1, ByteBuffer.wrap(start, 8, 8).getLong());
        assertEquals(2, ByteBuffer.wrap(start, 16, 8).getLong());
        for (long offset : new long[] {0, 1, 7, 8, 13, 4_999_999_997L}) {
            byte[] part = bytes(offset, 37);
            for (int i = 0; i < part.length; i++) {
                assertEquals(BulkStream.byteAt(offset + i), part[i], "offset " + offset + " + " + i);
            }
        }
    }

    @Test
    void locateFindsTheOffsetAtEveryAlignment() {
        for (long base : new long[] {0, 8, 1_000_000, 12_345_678_901L}) {
            for (int shift = 0; shift < 16; shift++) {
                long offset = base + shift;
                assertEquals(offset, BulkStream.locate(bytes(offset, BulkStream.LOCATE_BYTES), BulkStream.LOCATE_BYTES));
                assertEquals(offset, BulkStream.locate(bytes(offset, 24), 24), "24 bytes suffice at " + offset);
            }
        }
    }

    @Test
    void locateRefusesWhatIsNotTheStream() {
        byte[] head = bytes(80_000, BulkStream.LOCATE_BYTES);
        head[40] ^= 1;
        assertEquals(-1, BulkStream.locate(head, head.length), "one flipped bit");
        assertEquals(-1, BulkStream.locate(bytes(80_000, 20), 20), "too short");
        assertEquals(-1, BulkStream.locate(new byte[BulkStream.LOCATE_BYTES], BulkStream.LOCATE_BYTES - 1),
                "zeros are not three consecutive counters");
    }

    @Test
    void sha256OfARangeIsTheDigestOfItsBytes() throws Exception {
        long offset = 1_000_003;
        int count = 300_001; // more than one internal chunk, not a multiple of 8
        String expected = BulkStream.hex(MessageDigest.getInstance("SHA-256").digest(bytes(offset, count)));
        assertEquals(expected, BulkStream.sha256(offset, count));
        assertNotEquals(expected, BulkStream.sha256(offset + 1, count));
    }
}
