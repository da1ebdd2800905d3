package org.migware.proxy.internal.recovery;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class ShadowEndpointsTest {

    @Test
    void shadowEndpointsAreUniqueAndInsideThePrefix() {
        ShadowEndpoints shadows = new ShadowEndpoints(0xc612_0000, 24); // 198.18.0.0/24
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 120_000; i++) {
            long endpoint = shadows.allocate();
            assertTrue(seen.add(endpoint));
            int address = ShadowEndpoints.address(endpoint);
            assertTrue(address >= 0xc612_0002 && address <= 0xc612_00fe, Integer.toHexString(address));
            int port = ShadowEndpoints.port(endpoint);
            assertTrue(port >= ShadowEndpoints.FIRST_PORT && port <= ShadowEndpoints.LAST_PORT);
        }
    }
}
