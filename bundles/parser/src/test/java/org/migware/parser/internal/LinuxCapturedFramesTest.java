package org.migware.parser.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.migware.testing.TestBytes.bytes;
import static org.migware.testing.TestBytes.concat;
import static org.migware.testing.TestBytes.internetChecksum;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.migware.api.packet.ParseResult;
import org.migware.api.packet.ParsedPacket;
import org.migware.testing.TestBytes;

/**
 * Frames that Linux 6.18 sent, with their kernel-computed checksums: the known-good vectors.
 *
 * <p>They were captured by {@code src/test/vectors/capture_linux_vectors.py}, which reads a
 * TAP device (no checksum offload, so the kernel computes every checksum in software) while a
 * socket connects through it; {@code linux-tap-vectors.pcap} next to it holds the same frames,
 * and tshark with checksum validation on calls every checksum good. The kernel side is
 * 192.0.2.1 / 2001:db8::1, port 40000 / 40001; the forged peer is .2 / ::2, port 7000, with
 * ISN 0x10000000 and TSval 5000.
 */
class LinuxCapturedFramesTest {

    private static final byte[] ETHERNET_IPV4 = bytes(
            0x02, 0x00, 0x00, 0x00, 0x00, 0x02,       // destination MAC 02:00:00:00:00:02 (the peer)
            0x02, 0x00, 0x00, 0x00, 0x00, 0x01,       // source MAC 02:00:00:00:00:01 (the Linux TAP)
            0x08, 0x00);                              // EtherType IPv4

    private static final byte[] ETHERNET_IPV6 = bytes(
            0x02, 0x00, 0x00, 0x00, 0x00, 0x02,       // destination MAC 02:00:00:00:00:02
            0x02, 0x00, 0x00, 0x00, 0x00, 0x01,       // source MAC 02:00:00:00:00:01
            0x86, 0xdd);                              // EtherType IPv6

    /** A Linux SYN with the default options: MSS, SACK-permitted, timestamps, NOP, window scale. */
    static final byte[] IPV4_SYN = concat(ETHERNET_IPV4, bytes(
            0x45,                                     // version 4, IHL 5 (20 bytes)
            0x00,                                     // DSCP 0, ECN 0
            0x00, 0x3c,                               // total length 60
            0xe7, 0x9b,                               // identification
            0x40, 0x00,                               // flags DF, fragment offset 0
            0x40,                                     // TTL 64
            0x06,                                     // protocol TCP
            0xcf, 0x1c,                               // header checksum
            0xc0, 0x00, 0x02, 0x01,                   // source 192.0.2.1
            0xc0, 0x00, 0x02, 0x02,                   // destination 192.0.2.2
            0x9c, 0x40,                               // source port 40000
            0x1b, 0x58,                               // destination port 7000
            0x8f, 0x5c, 0x43, 0xcc,                   // sequence number (ISN)
            0x00, 0x00, 0x00, 0x00,                   // acknowledgement number
            0xa0,                                     // data offset 10 (40 bytes), NS 0
            0x02,                                     // flags SYN
            0xfa, 0xf0,                               // window 64240
            0x24, 0x2b,                               // checksum
            0x00, 0x00,                               // urgent pointer
            0x02, 0x04, 0x05, 0xb4,                   // MSS 1460
            0x04, 0x02,                               // SACK permitted
            0x08, 0x0a,                               // timestamps,
            0xbb, 0x3f, 0x5e, 0xdc,                   //   TSval 0xbb3f5edc
            0x00, 0x00, 0x00, 0x00,                   //   TSecr 0
            0x01,                                     // NOP
            0x03, 0x03, 0x0a));                       // window scale 10

    /** The client's first data segment: "hello", with timestamps. */
    static final byte[] IPV4_DATA = concat(ETHERNET_IPV4, bytes(
            0x45,                                     // version 4, IHL 5
            0x00,                                     // DSCP 0, ECN 0
            0x00, 0x39,                               // total length 57
            0xe7, 0x9d,                               // identification
            0x40, 0x00,                               // flags DF, fragment offset 0
            0x40,                                     // TTL 64
            0x06,                                     // protocol TCP
            0xcf, 0x1d,                               // header checksum
            0xc0, 0x00, 0x02, 0x01,                   // source 192.0.2.1
            0xc0, 0x00, 0x02, 0x02,                   // destination 192.0.2.2
            0x9c, 0x40,                               // source port 40000
            0x1b, 0x58,                               // destination port 7000
            0x8f, 0x5c, 0x43, 0xcd,                   // sequence number ISN + 1
            0x10, 0x00, 0x00, 0x01,                   // acknowledgement number: the peer's ISN + 1
            0x80,                                     // data offset 8 (32 bytes)
            0x18,                                     // flags PSH ACK
            0x00, 0x3f,                               // window 63 (x 1024)
            0xe5, 0x06,                               // checksum: odd-length segment
            0x00, 0x00,                               // urgent pointer
            0x01, 0x01,                               // NOP NOP
            0x08, 0x0a,                               // timestamps,
            0xbb, 0x3f, 0x60, 0x09,                   //   TSval
            0x00, 0x00, 0x13, 0x88,                   //   TSecr 5000
            0x68, 0x65, 0x6c, 0x6c, 0x6f));           // payload "hello"

    /** The duplicate ACK Linux sent for the peer's out-of-order 10 bytes: one SACK block. */
    static final byte[] IPV4_SACK = concat(ETHERNET_IPV4, bytes(
            0x45,                                     // version 4, IHL 5
            0x00,                                     // DSCP 0, ECN 0
            0x00, 0x40,                               // total length 64
            0xe7, 0x9e,                               // identification
            0x40, 0x00,                               // flags DF, fragment offset 0
            0x40,                                     // TTL 64
            0x06,                                     // protocol TCP
            0xcf, 0x15,                               // header checksum
            0xc0, 0x00, 0x02, 0x01,                   // source 192.0.2.1
            0xc0, 0x00, 0x02, 0x02,                   // destination 192.0.2.2
            0x9c, 0x40,                               // source port 40000
            0x1b, 0x58,                               // destination port 7000
            0x8f, 0x5c, 0x43, 0xd2,                   // sequence number ISN + 6
            0x10, 0x00, 0x00, 0x01,                   // acknowledgement number
            0xb0,                                     // data offset 11 (44 bytes)
            0x10,                                     // flags ACK
            0x00, 0x3f,                               // window 63
            0xd1, 0xf5,                               // checksum
            0x00, 0x00,                               // urgent pointer
            0x01, 0x01,                               // NOP NOP
            0x08, 0x0a,                               // timestamps,
            0xbb, 0x3f, 0x60, 0x09,                   //   TSval
            0x00, 0x00, 0x13, 0x88,                   //   TSecr 5000
            0x01, 0x01,                               // NOP NOP
            0x05, 0x0a,                               // SACK, 1 block:
            0x10, 0x00, 0x00, 0x65,                   //   left edge 0x10000065
            0x10, 0x00, 0x00, 0x6f));                 //   right edge 0x1000006f

    private static final byte[] IPV6_HEADER_START = bytes(
            0x60, 0x04, 0x98, 0x5b);                  // version 6, traffic class 0, flow label 0x4985b

    private static final byte[] IPV6_ADDRESSES = bytes(
            0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // source 2001:db8::1
            0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02); // destination 2001:db8::2

    static final byte[] IPV6_SYN = concat(ETHERNET_IPV6, IPV6_HEADER_START, bytes(
            0x00, 0x28,                               // payload length 40
            0x06,                                     // next header TCP
            0x40),                                    // hop limit 64
            IPV6_ADDRESSES, bytes(
            0x9c, 0x41,                               // source port 40001
            0x1b, 0x58,                               // destination port 7000
            0xa1, 0xf0, 0x9b, 0x0a,                   // sequence number (ISN)
            0x00, 0x00, 0x00, 0x00,                   // acknowledgement number
            0xa0,                                     // data offset 10
            0x02,                                     // flags SYN
            0xfd, 0x20,                               // window 64800
            0xfb, 0x3b,                               // checksum
            0x00, 0x00,                               // urgent pointer
            0x02, 0x04, 0x05, 0xa0,                   // MSS 1440
            0x04, 0x02,                               // SACK permitted
            0x08, 0x0a,                               // timestamps,
            0xec, 0x4f, 0x13, 0x5b,                   //   TSval
            0x00, 0x00, 0x00, 0x00,                   //   TSecr 0
            0x01,                                     // NOP
            0x03, 0x03, 0x0a));                       // window scale 10

    static final byte[] IPV6_DATA = concat(ETHERNET_IPV6, IPV6_HEADER_START, bytes(
            0x00, 0x25,                               // payload length 37
            0x06,                                     // next header TCP
            0x40),                                    // hop limit 64
            IPV6_ADDRESSES, bytes(
            0x9c, 0x41,                               // source port 40001
            0x1b, 0x58,                               // destination port 7000
            0xa1, 0xf0, 0x9b, 0x0b,                   // sequence number ISN + 1
            0x10, 0x00, 0x00, 0x01,                   // acknowledgement number
            0x80,                                     // data offset 8
            0x18,                                     // flags PSH ACK
            0x00, 0x40,                               // window 64
            0xbe, 0x33,                               // checksum
            0x00, 0x00,                               // urgent pointer
            0x01, 0x01,                               // NOP NOP
            0x08, 0x0a,                               // timestamps,
            0xec, 0x4f, 0x14, 0x87,                   //   TSval
            0x00, 0x00, 0x13, 0x88,                   //   TSecr 5000
            0x68, 0x65, 0x6c, 0x6c, 0x6f));           // payload "hello"

    static final byte[] IPV6_SACK = concat(ETHERNET_IPV6, IPV6_HEADER_START, bytes(
            0x00, 0x2c,                               // payload length 44
            0x06,                                     // next header TCP
            0x40),                                    // hop limit 64
            IPV6_ADDRESSES, bytes(
            0x9c, 0x41,                               // source port 40001
            0x1b, 0x58,                               // destination port 7000
            0xa1, 0xf0, 0x9b, 0x10,                   // sequence number ISN + 6
            0x10, 0x00, 0x00, 0x01,                   // acknowledgement number
            0xb0,                                     // data offset 11
            0x10,                                     // flags ACK
            0x00, 0x40,                               // window 64
            0xab, 0x22,                               // checksum
            0x00, 0x00,                               // urgent pointer
            0x01, 0x01,                               // NOP NOP
            0x08, 0x0a,                               // timestamps,
            0xec, 0x4f, 0x14, 0x87,                   //   TSval
            0x00, 0x00, 0x13, 0x88,                   //   TSecr 5000
            0x01, 0x01,                               // NOP NOP
            0x05, 0x0a,                               // SACK, 1 block:
            0x10, 0x00, 0x00, 0x65,                   //   left edge
            0x10, 0x00, 0x00, 0x6f));                 //   right edge

    static List<byte[]> all() {
        return List.of(IPV4_SYN, IPV4_DATA, IPV4_SACK, IPV6_SYN, IPV6_DATA, IPV6_SACK);
    }

    private final FlyweightParsedPacket view = new FlyweightParsedPacket();

    @Test
    void linuxSynWithDefaultOptions() {
        assertEquals(ParseResult.TCP, view.parse(IPV4_SYN, 0, IPV4_SYN.length));

        assertEquals(0x02_00_00_00_00_02L, view.destinationMac());
        assertEquals(0x02_00_00_00_00_01L, view.sourceMac());
        assertEquals(0, view.vlanTagCount());
        assertEquals(-1, view.outerVlanId());
        assertEquals(0x0800, view.etherType());

        assertEquals(4, view.ipVersion());
        assertEquals(14, view.ipOffset());
        assertEquals(0xc0000201, view.sourceIpv4());
        assertEquals(0xc0000202, view.destinationIpv4());
        assertEquals(0L, view.sourceAddressHigh());
        assertEquals(0x0000_ffff_c000_0201L, view.sourceAddressLow());
        assertEquals(0L, view.destinationAddressHigh());
        assertEquals(0x0000_ffff_c000_0202L, view.destinationAddressLow());
        assertFalse(view.isFragmented());
        assertFalse(view.hasIpv4Options());
        assertEquals(0, view.ipEcn());

        assertEquals(34, view.tcpOffset());
        assertEquals(40, view.tcpHeaderLength());
        assertEquals(40000, view.sourcePort());
        assertEquals(7000, view.destinationPort());
        assertEquals(0x8f5c43cc, view.sequenceNumber());
        assertEquals(0, view.acknowledgementNumber());
        assertEquals(ParsedPacket.SYN, view.flags());
        assertTrue(view.hasFlags(ParsedPacket.SYN));
        assertFalse(view.hasFlags(ParsedPacket.SYN | ParsedPacket.ACK));
        assertEquals(64240, view.window());
        assertEquals(74, view.payloadOffset());
        assertEquals(0, view.payloadLength());
        assertEquals(0, view.capturedPayloadLength());

        assertEquals(1460, view.mss());
        assertEquals(10, view.windowScale());
        assertTrue(view.sackPermitted());
        assertTrue(view.hasTimestamps());
        assertEquals(0xbb3f5edc, view.timestampValue());
        assertEquals(0, view.timestampEchoReply());
        assertEquals(34 + 20 + 6, view.timestampOptionOffset());
        assertEquals(0, view.sackBlockCount());
        assertEquals(-1, view.sackOptionOffset());
        assertFalse(view.hasAuthenticationOption());
        assertFalse(view.hasMultipathOption());
        assertFalse(view.hasFastOpenOption());
        assertFalse(view.hasUnknownOptions());
    }

    @Test
    void dataSegmentPayload() {
        assertEquals(ParseResult.TCP, view.parse(IPV4_DATA, 0, IPV4_DATA.length));
        assertEquals(ParsedPacket.PSH | ParsedPacket.ACK, view.flags());
        assertEquals(0x10000001, view.acknowledgementNumber());
        assertEquals(63, view.window());
        assertEquals(32, view.tcpHeaderLength());
        assertEquals(66, view.payloadOffset());
        assertEquals(5, view.payloadLength());
        assertEquals(5, view.capturedPayloadLength());
        assertEquals('h', IPV4_DATA[view.payloadOffset()]);
        assertEquals(-1, view.mss());
        assertEquals(-1, view.windowScale());
        assertFalse(view.sackPermitted());
        assertEquals(5000, view.timestampEchoReply());
    }

    @Test
    void sackBlockFromLinux() {
        assertEquals(ParseResult.TCP, view.parse(IPV4_SACK, 0, IPV4_SACK.length));
        assertEquals(1, view.sackBlockCount());
        assertEquals(34 + 20 + 14, view.sackOptionOffset());
        assertEquals(0x10000065, view.sackBlockLeft(0));
        assertEquals(0x1000006f, view.sackBlockRight(0));
        assertEquals(0, view.sackBlockLeft(1));
        assertEquals(0, view.sackBlockRight(-1));
    }

    @Test
    void ipv6SynAndAddresses() {
        assertEquals(ParseResult.TCP, view.parse(IPV6_SYN, 0, IPV6_SYN.length));
        assertEquals(6, view.ipVersion());
        assertEquals(0x86dd, view.etherType());
        assertEquals(0x2001_0db8_0000_0000L, view.sourceAddressHigh());
        assertEquals(1L, view.sourceAddressLow());
        assertEquals(0x2001_0db8_0000_0000L, view.destinationAddressHigh());
        assertEquals(2L, view.destinationAddressLow());
        assertEquals(0, view.sourceIpv4());
        assertEquals(54, view.tcpOffset());
        assertEquals(40001, view.sourcePort());
        assertEquals(1440, view.mss());
        assertEquals(10, view.windowScale());
        assertTrue(view.sackPermitted());
        assertEquals(0xec4f135b, view.timestampValue());
        assertFalse(view.isFragmented());
        assertFalse(view.hasIpv4Options());

        assertEquals(ParseResult.TCP, view.parse(IPV6_DATA, 0, IPV6_DATA.length));
        assertEquals(5, view.payloadLength());
        assertEquals(5, view.capturedPayloadLength());

        assertEquals(ParseResult.TCP, view.parse(IPV6_SACK, 0, IPV6_SACK.length));
        assertEquals(0x10000065, view.sackBlockLeft(0));
        assertEquals(0x1000006f, view.sackBlockRight(0));
    }

    @ParameterizedTest
    @MethodSource("all")
    void kernelChecksumsAreValid(byte[] frame) {
        assertEquals(ParseResult.TCP, view.parse(frame, 0, frame.length));
        assertTrue(view.isTcpChecksumValid());
        assertEquals(view.ipVersion() == 4, view.isIpv4HeaderChecksumValid());
    }

    /** Zero the kernel's checksums, recompute: the same bytes must come back. */
    @ParameterizedTest
    @MethodSource("all")
    void recomputedChecksumsMatchTheKernels(byte[] kernelFrame) {
        byte[] frame = kernelFrame.clone();
        view.parse(frame, 0, frame.length);
        frame[view.tcpOffset() + 16] = 0;
        frame[view.tcpOffset() + 17] = 0;
        if (view.ipVersion() == 4) {
            frame[view.ipOffset() + 10] = 0x12;
            frame[view.ipOffset() + 11] = 0x34;
            assertFalse(view.isIpv4HeaderChecksumValid());
            assertTrue(view.updateIpv4HeaderChecksum());
        } else {
            assertFalse(view.updateIpv4HeaderChecksum());
        }
        assertFalse(view.isTcpChecksumValid());
        assertTrue(view.updateTcpChecksum());
        assertArrayEquals(kernelFrame, frame);
    }

    /** The proxy's rewrite of a replica segment: every field it touches, then checksums, checked by the reference sum. */
    @ParameterizedTest
    @MethodSource("all")
    void rewriteThenChecksum(byte[] kernelFrame) {
        // inside a larger buffer, to prove that offsets are honoured
        byte[] buffer = concat(new byte[7], kernelFrame, new byte[5]);
        assertEquals(ParseResult.TCP, view.parse(buffer, 7, kernelFrame.length));
        assertTrue(view.setSequenceNumber(0xfffffff0));
        assertTrue(view.setAcknowledgementNumber(0x7fffffff));
        assertTrue(view.setWindow(0xffff));
        assertTrue(view.setTimestamps(0x80000000, 0xdeadbeef));
        assertEquals(view.sackBlockCount() == 1, view.setSackBlock(0, 0xaaaaaaaa, 0xbbbbbbbb));
        assertTrue(view.setSourcePort(1));
        assertTrue(view.setDestinationPort(65535));
        assertEquals(view.ipVersion() == 4, view.setSourceIpv4(0xc6120001));
        assertEquals(view.ipVersion() == 4, view.setDestinationIpv4(0xc0000203));
        assertTrue(view.setSourceMac(0x02_00_00_00_00_0aL));
        assertTrue(view.setDestinationMac(0x02_00_00_00_00_0bL));
        assertFalse(view.isTcpChecksumValid());
        view.updateIpv4HeaderChecksum();
        assertTrue(view.updateTcpChecksum());

        FlyweightParsedPacket reparsed = new FlyweightParsedPacket();
        assertEquals(ParseResult.TCP, reparsed.parse(buffer, 7, kernelFrame.length));
        assertEquals(0xfffffff0, reparsed.sequenceNumber());
        assertEquals(0x7fffffff, reparsed.acknowledgementNumber());
        assertEquals(0xffff, reparsed.window());
        assertEquals(0x80000000, reparsed.timestampValue());
        assertEquals(0xdeadbeef, reparsed.timestampEchoReply());
        assertEquals(1, reparsed.sourcePort());
        assertEquals(65535, reparsed.destinationPort());
        assertEquals(0x02_00_00_00_00_0aL, reparsed.sourceMac());
        assertEquals(0x02_00_00_00_00_0bL, reparsed.destinationMac());
        if (reparsed.sackBlockCount() == 1) {
            assertEquals(0xaaaaaaaa, reparsed.sackBlockLeft(0));
            assertEquals(0xbbbbbbbb, reparsed.sackBlockRight(0));
        }
        if (reparsed.ipVersion() == 4) {
            assertEquals(0xc6120001, reparsed.sourceIpv4());
            assertEquals(0xc0000203, reparsed.destinationIpv4());
        }

        // the test's own 16-bit reference sum agrees with the parser's 32-bit one
        int ip = reparsed.ipOffset();
        int tcp = reparsed.tcpOffset();
        int end = tcp + reparsed.tcpHeaderLength() + reparsed.payloadLength();
        long pseudo = 6 + (end - tcp);
        int addressFrom = ip + (reparsed.ipVersion() == 4 ? 12 : 8);
        int addressTo = addressFrom + (reparsed.ipVersion() == 4 ? 8 : 32);
        for (int i = addressFrom; i < addressTo; i += 2) {
            pseudo += TestBytes.readShort(buffer, i);
        }
        assertEquals(0, internetChecksum(buffer, tcp, end, pseudo));
        if (reparsed.ipVersion() == 4) {
            assertEquals(0, internetChecksum(buffer, ip, tcp, 0));
        }
        // nothing outside the frame was touched
        assertArrayEquals(new byte[7], java.util.Arrays.copyOfRange(buffer, 0, 7));
        assertArrayEquals(new byte[5], java.util.Arrays.copyOfRange(buffer, 7 + kernelFrame.length, buffer.length));
    }

    @Test
    void checksumOfACutSegmentIsNotComputed() {
        byte[] frame = IPV4_DATA.clone();
        assertEquals(ParseResult.TCP, view.parse(frame, 0, frame.length - 2));
        assertEquals(5, view.payloadLength());
        assertEquals(3, view.capturedPayloadLength());
        assertFalse(view.isTcpChecksumValid());
        assertFalse(view.updateTcpChecksum());
        assertTrue(view.isIpv4HeaderChecksumValid());
        assertArrayEquals(IPV4_DATA, frame);
    }
}
