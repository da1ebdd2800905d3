package org.migware.proxy.internal.mapping;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

class PairKeyMapTest {

    @Test
    void thePairKeyMapAgreesWithAHashMapUnderPutsAndRemoves() {
        Random random = new Random(7);
        PairKeyMap<String> map = new PairKeyMap<>();
        Map<List<Long>, String> model = new HashMap<>();
        for (int i = 0; i < 200_000; i++) {
            // few distinct halves, so that keys share one half with many others
            long high = random.nextInt(70) * 0x1_0000_0001L;
            long low = random.nextInt(70);
            if (random.nextInt(3) == 0) {
                map.remove(high, low);
                model.remove(List.of(high, low));
            } else {
                map.put(high, low, "v" + i);
                model.put(List.of(high, low), "v" + i);
            }
            long probeHigh = random.nextInt(70) * 0x1_0000_0001L;
            long probeLow = random.nextInt(70);
            assertEquals(model.get(List.of(probeHigh, probeLow)), map.get(probeHigh, probeLow));
        }
        assertEquals(model.size(), map.size());
        assertNull(map.get(-1L, -1L));
    }

    /** Keys with every bit pattern are keys, even the ones a sentinel would have taken. */
    @Test
    void anyPairOfLongsIsAKey() {
        PairKeyMap<String> map = new PairKeyMap<>();
        map.put(Long.MIN_VALUE, 0, "min");
        map.put(0, 0, "zero");
        map.put(-1, -1, "ones");
        assertEquals("min", map.get(Long.MIN_VALUE, 0));
        assertEquals("zero", map.get(0, 0));
        assertEquals("ones", map.get(-1, -1));
        map.remove(0, 0);
        assertNull(map.get(0, 0));
        assertEquals("min", map.get(Long.MIN_VALUE, 0));
        assertEquals(2, map.size());
    }
}
