package org.migware.api.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class IpAddressLiteralsTest {

    @Test
    void readsLiteralsWithoutDns() {
        assertEquals("10.1.2.3", IpAddressLiterals.parse(" 10.1.2.3 ").getHostAddress());
        assertEquals("10.1.2.3", IpAddressLiterals.parse("010.001.002.003").getHostAddress()); // not octal
        assertEquals("2001:db8:0:0:0:0:0:1", IpAddressLiterals.parse("2001:DB8::1").getHostAddress());
        assertEquals("10.1.2.3", IpAddressLiterals.parse("::ffff:10.1.2.3").getHostAddress());
    }

    @Test
    void saysWhyATextIsNoAddress() {
        assertEquals("'primary.example' is not an IP address literal (host names are not resolved)",
                assertThrows(IllegalArgumentException.class, () -> IpAddressLiterals.parse("primary.example")).getMessage());
        assertEquals("'999.1.1.1' is not an IP address",
                assertThrows(IllegalArgumentException.class, () -> IpAddressLiterals.parse("999.1.1.1")).getMessage());
        assertEquals("'10.1.2' is not an IP address",
                assertThrows(IllegalArgumentException.class, () -> IpAddressLiterals.parse("10.1.2")).getMessage());
        assertEquals("'1::2::3' is not an IP address",
                assertThrows(IllegalArgumentException.class, () -> IpAddressLiterals.parse("1::2::3")).getMessage());
        assertEquals("an empty address is not an IP address",
                assertThrows(IllegalArgumentException.class, () -> IpAddressLiterals.parse(" ")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> IpAddressLiterals.parse("fe80::1%eth0"));
        assertThrows(IllegalArgumentException.class, () -> IpAddressLiterals.parse(null));
    }

    @Test
    void aZoneIsForSocketTargetsOnly() {
        assertEquals("fe80:0:0:0:0:0:0:1%1", IpAddressLiterals.parseWithZone("fe80::1%1").getHostAddress());
    }
}
