package org.migware.proxy.internal.mapping;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

class LongMapTest {

    @Test
    void longMapAgreesWithAHashMapUnderPutsAndRemoves() {
        Random random = new Random(7);
        LongMap<String> map = new LongMap<>();
        Map<Long, String> model = new HashMap<>();
        for (int i = 0; i < 200_000; i++) {
            long key = random.nextInt(5000) * 0x1_0001_0001L;
            if (random.nextInt(3) == 0) {
                map.remove(key);
                model.remove(key);
            } else {
                map.put(key, "v" + i);
                model.put(key, "v" + i);
            }
            long probe = random.nextInt(5000) * 0x1_0001_0001L;
            assertEquals(model.get(probe), map.get(probe));
        }
        assertEquals(model.size(), map.size());
        assertNull(map.get(-1L));
    }
}
