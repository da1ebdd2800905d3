package org.migware.proxy.internal.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ShadowNetworkTest {

    @Test
    void theDefaultIsTheWholeBenchmarkingRange() {
        ShadowNetwork network = ShadowNetwork.parse(ShadowNetwork.DEFAULT);
        assertEquals("198.18.0.0/15", network.toString());
        assertEquals("198.18.0.1", Ipv4Address.text(network.deviceAddress()));
        assertEquals("198.18.0.2", Ipv4Address.text(network.firstEndpointAddress()));
        assertEquals("198.19.255.254", Ipv4Address.text(network.lastEndpointAddress()));
        assertTrue(network.isEndpointAddress(Ipv4Address.parse("198.19.0.0")));
        assertFalse(network.isEndpointAddress(network.deviceAddress()), "the device's own address is local");
        assertFalse(network.isEndpointAddress(Ipv4Address.parse("198.19.255.255")), "broadcast");
        assertFalse(network.contains(Ipv4Address.parse("198.20.0.1")));
    }

    @Test
    void aSlash24InsideIt() {
        ShadowNetwork network = ShadowNetwork.parse("198.18.7.0/24");
        assertEquals(Ipv4Address.parse("198.18.7.1"), network.deviceAddress());
        assertEquals(Ipv4Address.parse("198.18.7.254"), network.lastEndpointAddress());
        assertFalse(network.contains(Ipv4Address.parse("198.18.8.2")));
        assertEquals(ShadowNetwork.parse("198.18.7.0/24"), network);
    }

    @Test
    void anythingElseIsRefusedWithAReason() {
        assertEquals("the shadow network must lie inside 198.18.0.0/15 (RFC 2544): 10.0.0.0/24",
                assertThrows(IllegalArgumentException.class, () -> ShadowNetwork.parse("10.0.0.0/24")).getMessage());
        assertEquals("host bits set in the shadow network 198.18.7.5/24; did you mean 198.18.7.0/24?",
                assertThrows(IllegalArgumentException.class, () -> ShadowNetwork.parse("198.18.7.5/24")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> ShadowNetwork.parse("198.0.0.0/8"), "wider than the range");
        assertThrows(IllegalArgumentException.class, () -> ShadowNetwork.parse("198.18.0.0/31"), "no room for endpoints");
        assertThrows(IllegalArgumentException.class, () -> ShadowNetwork.parse("198.18.0.0"), "no prefix length");
        assertThrows(IllegalArgumentException.class, () -> ShadowNetwork.parse("198.18.0.0/x"));
        assertThrows(IllegalArgumentException.class, () -> ShadowNetwork.parse("198.18.0/24"));
    }

    @Test
    void addressesRoundTripThroughText() {
        for (String text : new String[] {"0.0.0.0", "255.255.255.255", "198.18.0.1", "10.200.3.4"}) {
            assertEquals(text, Ipv4Address.text(Ipv4Address.parse(text)));
        }
        assertThrows(IllegalArgumentException.class, () -> Ipv4Address.parse("256.0.0.1"));
        assertThrows(IllegalArgumentException.class, () -> Ipv4Address.parse("1.2.3.+4"));
        assertThrows(IllegalArgumentException.class, () -> Ipv4Address.parse("1.2.3.4.5"));
    }
}
