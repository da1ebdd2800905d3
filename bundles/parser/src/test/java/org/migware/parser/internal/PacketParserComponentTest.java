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

    /** Through the API alone, as the proxy bundle sees it: rewrite, recompute, and the kernel's checksum rules hold. */
    @Test
    void rewritableViewsRewriteThroughTheApi() {
        org.migware.api.packet.RewritablePacket view = parser.newRewritableView();
        byte[] frame = LinuxCapturedFramesTest.IPV4_DATA.clone();
        assertEquals(ParseResult.TCP, view.parse(frame, 0, frame.length));
        int sequence = view.sequenceNumber();
        org.junit.jupiter.api.Assertions.assertTrue(view.setSequenceNumber(sequence + 1000));
        org.junit.jupiter.api.Assertions.assertTrue(view.setDestinationIpv4(0xc612_0001)); // 198.18.0.1
        org.junit.jupiter.api.Assertions.assertTrue(view.updateIpv4HeaderChecksum());
        org.junit.jupiter.api.Assertions.assertTrue(view.updateTcpChecksum());
        FlyweightParsedPacket check = new FlyweightParsedPacket();
        assertEquals(ParseResult.TCP, check.parse(frame, 0, frame.length));
        assertEquals(sequence + 1000, check.sequenceNumber());
        org.junit.jupiter.api.Assertions.assertTrue(check.isIpv4HeaderChecksumValid());
        org.junit.jupiter.api.Assertions.assertTrue(check.isTcpChecksumValid());
    }
}
