package org.migware.parser.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import org.junit.jupiter.api.Test;
import org.migware.api.packet.PacketParser;
import org.migware.api.packet.ParseResult;
import org.migware.api.packet.ParsedPacket;

/** The component, constructed as DS would: no configuration, no references. */
class PacketParserComponentTest {

    private final PacketParser parser = new PacketParserComponent();

    @Test
    void everyViewIsNewAndUnbound() {
        ParsedPacket first = parser.newView();
        ParsedPacket second = parser.newView();
        assertNotSame(first, second);
        assertInstanceOf(FlyweightParsedPacket.class, first);
        assertEquals(ParseResult.TRUNCATED_ETHERNET, first.result());
        assertEquals(0, first.frameLength());
    }

    @Test
    void viewsAreIndependent() {
        ParsedPacket first = parser.newView();
        ParsedPacket second = parser.newView();
        first.parse(LinuxCapturedFramesTest.IPV4_SYN, 0, LinuxCapturedFramesTest.IPV4_SYN.length);
        second.parse(LinuxCapturedFramesTest.IPV6_DATA, 0, LinuxCapturedFramesTest.IPV6_DATA.length);
        assertEquals(4, first.ipVersion());
        assertEquals(1460, first.mss());
        assertEquals(6, second.ipVersion());
        assertEquals(5, second.payloadLength());
    }

    /** A view needs nothing from the component once made: it keeps working after the component is gone. */
    @Test
    void viewOutlivesItsComponent() {
        ParsedPacket view = new PacketParserComponent().newView();
        System.gc();
        assertEquals(ParseResult.TCP, view.parse(LinuxCapturedFramesTest.IPV4_DATA, 0, LinuxCapturedFramesTest.IPV4_DATA.length));
    }
}
