package org.migware.capture.pcap4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class BpfFilterTest {

    @Test
    void oneAddressOnePort() {
        assertEquals("(tcp and (host 10.77.0.2) and (port 7000)) or (arp and (host 10.77.0.2))",
                BpfFilter.build(List.of("10.77.0.2"), List.of(7000), ""));
    }

    @Test
    void severalAddressesAndPorts() {
        assertEquals("(tcp and (host 10.77.0.2 or host 10.77.0.3) and (port 7000 or port 7001))"
                        + " or (arp and (host 10.77.0.2 or host 10.77.0.3))",
                BpfFilter.build(List.of("10.77.0.2", "10.77.0.3"), List.of(7000, 7001), null));
    }

    @Test
    void ipv6AddressesGetNoArp() {
        assertEquals("(tcp and (host 10.77.0.2 or host fd00:0:0:0:0:0:0:2) and (port 7000)) or (arp and (host 10.77.0.2))",
                BpfFilter.build(List.of("10.77.0.2", BpfFilter.normalise("fd00::2")), List.of(7000), ""));
        assertEquals("(tcp and (host fd00:0:0:0:0:0:0:2) and (port 7000))",
                BpfFilter.build(List.of(BpfFilter.normalise("fd00::2")), List.of(7000), ""));
    }

    @Test
    void theExtraFilterWidensTheCapture() {
        assertEquals("(tcp and (host 10.77.0.2) and (port 7000)) or (arp and (host 10.77.0.2)) or (icmp)",
                BpfFilter.build(List.of("10.77.0.2"), List.of(7000), "  icmp "));
    }

    @Test
    void everyBuiltFilterCompilesInLibpcap() {
        Host libpcap = LinuxHost.INSTANCE;
        assertEquals(Optional.empty(), libpcap.filterError(BpfFilter.build(List.of("10.77.0.2"), List.of(7000), ""), 65535));
        assertEquals(Optional.empty(), libpcap.filterError(BpfFilter.build(List.of("10.77.0.2", "10.77.0.3",
                BpfFilter.normalise("2001:db8::7")), List.of(7000, 443, 65535), "icmp or vlan"), 262144));
        assertTrue(libpcap.filterError("tcp and ((", 65535).orElseThrow().contains("syntax error"));
    }

    @Test
    void addressesAreLiteralsNormalisedWithoutDns() {
        assertEquals("10.1.2.3", BpfFilter.normalise(" 10.1.2.3 "));
        assertEquals("10.1.2.3", BpfFilter.normalise("010.001.002.003")); // not octal
        assertEquals("2001:db8:0:0:0:0:0:1", BpfFilter.normalise("2001:DB8::1"));
        assertEquals("10.1.2.3", BpfFilter.normalise("::ffff:10.1.2.3"));
        assertThrows(IllegalArgumentException.class, () -> BpfFilter.normalise("primary.example"));
        assertThrows(IllegalArgumentException.class, () -> BpfFilter.normalise("10.1.2.256"));
        assertThrows(IllegalArgumentException.class, () -> BpfFilter.normalise("10.1.2"));
        assertThrows(IllegalArgumentException.class, () -> BpfFilter.normalise(""));
        assertThrows(IllegalArgumentException.class, () -> BpfFilter.normalise("fe80::1%eth0"));
    }

    @Test
    void aFilterNeedsAnAddressAndAPort() {
        assertThrows(IllegalArgumentException.class, () -> BpfFilter.build(List.of(), List.of(7000), ""));
        assertThrows(IllegalArgumentException.class, () -> BpfFilter.build(List.of("10.0.0.1"), List.of(), ""));
    }
}
