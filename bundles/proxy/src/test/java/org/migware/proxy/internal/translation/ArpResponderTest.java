package org.migware.proxy.internal.translation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ArpResponderTest {

    @Test
    void arpRequestsForTheServiceGetThePrimarysMac() {
        byte[] request = {
            (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, // broadcast
            0x02, 0, 0, 0, 0, 0x01,                                                       // client MAC
            0x08, 0x06,                                                                    // ARP
            0, 1, 0x08, 0, 6, 4, 0, 1,                                                     // Ethernet/IPv4, request
            0x02, 0, 0, 0, 0, 0x01, 10, 77, 0, 1,                                          // sender: client
            0, 0, 0, 0, 0, 0, 10, 77, 0, 2,                                                // target: 10.77.0.2
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0                           // padding to 60
        };
        byte[] reply = new byte[64];
        assertEquals(42, ArpResponder.reply(request, 0, request.length, 0x0a4d_0002, 0x0200_0000_0002L, reply));
        byte[] expected = {
            0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x06,
            0, 1, 0x08, 0, 6, 4, 0, 2,
            0x02, 0, 0, 0, 0, 0x02, 10, 77, 0, 2,
            0x02, 0, 0, 0, 0, 0x01, 10, 77, 0, 1
        };
        assertEquals(java.util.HexFormat.of().formatHex(expected), java.util.HexFormat.of().formatHex(reply, 0, 42));
        request[41] = 3; // a request for 10.77.0.3: not ours
        assertEquals(-1, ArpResponder.reply(request, 0, request.length, 0x0a4d_0002, 0x0200_0000_0002L, reply));
    }
}
