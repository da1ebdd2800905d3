package org.migware.api.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;

import org.junit.jupiter.api.Test;

class ConnectionFilterTest {

    private static Endpoint end(String address, int port) throws UnknownHostException {
        return new Endpoint(InetAddress.getByName(address), port, null);
    }

    @Test
    void anAddressMatchesEitherEndAndAPortNarrowsItToThatEnd() throws Exception {
        Endpoint client = end("198.51.100.7", 40000);
        Endpoint server = end("192.0.2.10", 8080);
        assertTrue(ConnectionFilter.parse("198.51.100.7").matches(client, server));
        assertTrue(ConnectionFilter.parse("192.0.2.10").matches(client, server));
        assertTrue(ConnectionFilter.parse("192.0.2.10:8080").matches(client, server));
        assertTrue(ConnectionFilter.parse(":40000").matches(client, server));
        assertTrue(ConnectionFilter.parse("  ").matches(client, server));
        assertFalse(ConnectionFilter.parse("192.0.2.10:40000").matches(client, server), "the port of the other end");
        assertFalse(ConnectionFilter.parse("198.51.100.8").matches(client, server));
    }

    @Test
    void ipv6WithAndWithoutBracketsAndTheTextComesBack() throws Exception {
        Endpoint client = end("2001:db8::7", 40000);
        Endpoint server = end("2001:db8::10", 443);
        assertTrue(ConnectionFilter.parse("2001:db8::7").matches(client, server));
        assertTrue(ConnectionFilter.parse("[2001:db8::10]:443").matches(client, server));
        assertFalse(ConnectionFilter.parse("[2001:db8::10]:80").matches(client, server));
        assertEquals("[2001:db8:0:0:0:0:0:10]:443", ConnectionFilter.parse("[2001:db8::10]:443").toString());
        assertEquals("10.0.0.1:80", ConnectionFilter.parse("10.0.0.1:80").toString());
        assertEquals(":80", ConnectionFilter.parse(":80").toString());
        assertEquals("", ConnectionFilter.ANY.toString());
    }

    @Test
    void aWrongFilterIsRefusedNamingWhatIsWrong() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ConnectionFilter.parse("10.0.0.1:http")).getMessage()
                .contains("'http' is not a number"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ConnectionFilter.parse("10.0.0.1:70000")).getMessage()
                .contains("above 65535"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ConnectionFilter.parse("example.com")).getMessage()
                .startsWith("filter 'example.com': "));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ConnectionFilter.parse("[2001:db8::1")).getMessage()
                .contains("no ']'"));
    }
}
