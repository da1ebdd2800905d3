package org.migware.parser.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.migware.testing.TestBytes.bytes;
import static org.migware.testing.TestBytes.concat;
import static org.migware.testing.TestBytes.repeat;
import static org.migware.testing.TestBytes.with;

import java.util.stream.Stream;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.migware.api.packet.ParseResult;
import org.migware.api.packet.ParsedPacket;
import org.migware.testing.TestBytes;

/**
 * Hand-written vectors, one field per line, for every header the parser walks and every
 * {@link ParseResult} it can give. Checksums are 0 unless a test says otherwise: the parser
 * does not validate them (captured outgoing frames carry offloaded, wrong ones).
 */
class FlyweightParsedPacketTest {

    // ---- building blocks ----

    static final byte[] MACS = bytes(
            0x02, 0x00, 0x00, 0x00, 0x00, 0x02,       // destination MAC
            0x02, 0x00, 0x00, 0x00, 0x00, 0x01);      // source MAC

    static final byte[] TYPE_IPV4 = bytes(0x08, 0x00);
    static final byte[] TYPE_IPV6 = bytes(0x86, 0xdd);

    /** 20-byte IPv4 header: TCP, 192.0.2.1 -> 192.0.2.2, with the given total length and fragment word. */
    static byte[] ipv4(int totalLength, int flagsAndFragment, int protocol) {
        return bytes(
                0x45,                                 // version 4, IHL 5
                0x00,                                 // DSCP 0, ECN 0
                totalLength >>> 8, totalLength & 0xff, // total length
                0x12, 0x34,                           // identification
                flagsAndFragment >>> 8, flagsAndFragment & 0xff, // flags, fragment offset
                0x40,                                 // TTL 64
                protocol,                             // protocol
                0x00, 0x00,                           // header checksum
                0xc0, 0x00, 0x02, 0x01,               // source 192.0.2.1
                0xc0, 0x00, 0x02, 0x02);              // destination 192.0.2.2
    }

    /** 40-byte IPv6 header: 2001:db8::1 -> 2001:db8::2. */
    static byte[] ipv6(int payloadLength, int nextHeader) {
        return bytes(
                0x60, 0x00, 0x00, 0x00,               // version 6, traffic class 0, flow label 0
                payloadLength >>> 8, payloadLength & 0xff, // payload length
                nextHeader,                           // next header
                0x40,                                 // hop limit 64
                0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, // source 2001:db8::1
                0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02); // destination 2001:db8::2
    }

    /** A TCP header: 40000 -> 7000, seq 1000, ack 2000, ACK, window 502, with the given options (a multiple of 4). */
    static byte[] tcp(byte[] options) {
        return concat(bytes(
                0x9c, 0x40,                           // source port 40000
                0x1b, 0x58,                           // destination port 7000
                0x00, 0x00, 0x03, 0xe8,               // sequence number 1000
                0x00, 0x00, 0x07, 0xd0,               // acknowledgement number 2000
                (5 + options.length / 4) << 4,        // data offset
                0x10,                                 // flags ACK
                0x01, 0xf6,                           // window 502
                0x00, 0x00,                           // checksum
                0x00, 0x00),                          // urgent pointer
                options);
    }

    static final byte[] TCP_ACK = tcp(new byte[0]);

    /** Ethernet + IPv4 + TCP with these options and {@code payload} bytes, every length consistent. */
    static byte[] ipv4Tcp(byte[] options, int payload) {
        byte[] segment = concat(tcp(options), repeat('x', payload));
        return concat(MACS, TYPE_IPV4, ipv4(20 + segment.length, 0x4000, 6), segment);
    }

    /** Ethernet + IPv6 whose payload (extension headers and all) is {@code payload}. */
    static byte[] ipv6Packet(int nextHeader, byte[] payload) {
        return concat(MACS, TYPE_IPV6, ipv6(payload.length, nextHeader), payload);
    }

    static final byte[] PLAIN_IPV4_ACK = ipv4Tcp(new byte[0], 0);

    private final FlyweightParsedPacket view = new FlyweightParsedPacket();

    private ParseResult parse(byte[] frame) {
        return view.parse(frame, 0, frame.length);
    }

    // ---- one example per result: the switch fails to compile when the API adds a value ----

    static byte[] exampleOf(ParseResult result) {
        return switch (result) {
            case TCP -> PLAIN_IPV4_ACK;
            case NOT_IP -> concat(bytes(
                    0xff, 0xff, 0xff, 0xff, 0xff, 0xff,   // destination: broadcast
                    0x02, 0x00, 0x00, 0x00, 0x00, 0x01,   // source MAC
                    0x08, 0x06,                           // EtherType ARP
                    0x00, 0x01,                           // hardware type Ethernet
                    0x08, 0x00,                           // protocol type IPv4
                    0x06, 0x04,                           // hardware size 6, protocol size 4
                    0x00, 0x01,                           // opcode request
                    0x02, 0x00, 0x00, 0x00, 0x00, 0x01,   // sender MAC
                    0xc0, 0x00, 0x02, 0x01,               // sender IP 192.0.2.1
                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00,   // target MAC unknown
                    0xc0, 0x00, 0x02, 0x02));             // target IP 192.0.2.2
            case NOT_TCP -> concat(MACS, TYPE_IPV4, ipv4(28, 0x4000, 17), bytes(
                    0x9c, 0x40,                           // UDP source port
                    0x00, 0x35,                           // destination port 53
                    0x00, 0x08,                           // length 8
                    0x00, 0x00));                         // checksum
            case FRAGMENT -> concat(MACS, TYPE_IPV4,
                    ipv4(20 + 16, 0x00b9, 6),             // fragment offset 185 (1480 bytes), MF clear: the last fragment
                    repeat('d', 16));                     // the rest of the data, no TCP header
            case TRUNCATED_ETHERNET -> bytes(
                    0x02, 0x00, 0x00, 0x00, 0x00, 0x02,   // destination MAC
                    0x02, 0x00, 0x00, 0x00, 0x00, 0x01,   // source MAC
                    0x08);                                // half an EtherType
            case TRUNCATED_VLAN -> concat(MACS, bytes(
                    0x81, 0x00,                           // TPID 802.1Q
                    0x00, 0x64));                         // TCI: VLAN 100, then the frame ends
            case TOO_MANY_VLAN_TAGS -> concat(MACS, bytes(
                    0x88, 0xa8, 0x00, 0x01,               // tag 1: 802.1ad, VLAN 1
                    0x81, 0x00, 0x00, 0x02,               // tag 2: 802.1Q, VLAN 2
                    0x81, 0x00, 0x00, 0x03,               // tag 3
                    0x81, 0x00, 0x00, 0x04,               // tag 4: the last one walked
                    0x81, 0x00, 0x00, 0x05,               // tag 5: one too many
                    0x08, 0x00), ipv4(40, 0x4000, 6), TCP_ACK);
            case TRUNCATED_IPV4 -> concat(MACS, TYPE_IPV4, bytes(
                    0x45,                                 // version 4, IHL 5
                    0x00,                                 // DSCP, ECN
                    0x00, 0x28,                           // total length 40
                    0x12, 0x34,                           // identification
                    0x40, 0x00,                           // DF
                    0x40, 0x06,                           // TTL, protocol TCP
                    0x00, 0x00,                           // checksum
                    0xc0, 0x00, 0x02, 0x01,               // source
                    0xc0, 0x00, 0x02));                   // destination, cut after 3 bytes
            case INVALID_IPV4_VERSION -> concat(MACS, TYPE_IPV4, with(ipv4(40, 0x4000, 6), 0,
                    0x55),                                // version 5, IHL 5
                    TCP_ACK);
            case INVALID_IPV4_HEADER_LENGTH -> concat(MACS, TYPE_IPV4, with(ipv4(40, 0x4000, 6), 0,
                    0x44),                                // version 4, IHL 4: below the 20-byte minimum
                    TCP_ACK);
            case INVALID_IPV4_TOTAL_LENGTH -> concat(MACS, TYPE_IPV4,
                    ipv4(19, 0x4000, 6),                  // total length 19: less than the header itself
                    TCP_ACK);
            case TRUNCATED_IPV6 -> concat(MACS, TYPE_IPV6, java.util.Arrays.copyOf(ipv6(20, 6),
                    39));                                 // the destination address is missing its last byte
            case INVALID_IPV6_VERSION -> concat(MACS, TYPE_IPV6,
                    ipv4(60, 0x4000, 6),                  // an IPv4 header (version 4) under the IPv6 EtherType
                    repeat(0, 20), TCP_ACK);
            case INVALID_IPV6_EXTENSION -> ipv6Packet(50, concat(bytes(
                    0x00, 0x00, 0x01, 0x00,               // ESP: SPI 256
                    0x00, 0x00, 0x00, 0x01),              // sequence number 1
                    repeat(0xee, 24)));                   // encrypted payload: cannot be walked
            case TRUNCATED_TCP -> concat(MACS, TYPE_IPV4, ipv4(40, 0x4000, 6),
                    java.util.Arrays.copyOf(TCP_ACK, 19)); // the urgent pointer's last byte is missing
            case INVALID_TCP_DATA_OFFSET -> concat(MACS, TYPE_IPV4, ipv4(40, 0x4000, 6),
                    with(TCP_ACK, 12, 0x40));             // data offset 4: below the 20-byte minimum
            case INVALID_TCP_OPTION -> ipv4Tcp(bytes(
                    0x02, 0x03, 0x05, 0xb4), 0);          // MSS with length 3 instead of 4
        };
    }

    @ParameterizedTest
    @EnumSource(ParseResult.class)
    void everyResultHasAVector(ParseResult expected) {
        assertEquals(expected, parse(exampleOf(expected)));
        assertSame(expected, view.result());
        assertEquals(expected == ParseResult.TCP, view.result().isTcp());
    }

    /** After any result that is not TCP, the TCP accessors give their documented defaults. */
    @ParameterizedTest
    @EnumSource(value = ParseResult.class, names = "TCP", mode = EnumSource.Mode.EXCLUDE)
    void tcpAccessorsGiveDefaultsUnlessTcp(ParseResult expected) {
        // a TCP parse first, so that stale state would show
        parse(LinuxCapturedFramesTest.IPV4_SACK);
        assertEquals(expected, parse(exampleOf(expected)));
        assertTcpDefaults(view);
    }

    static void assertTcpDefaults(ParsedPacket view) {
        assertEquals(-1, view.tcpOffset());
        assertEquals(0, view.tcpHeaderLength());
        assertEquals(-1, view.sourcePort());
        assertEquals(-1, view.destinationPort());
        assertEquals(0, view.sequenceNumber());
        assertEquals(0, view.acknowledgementNumber());
        assertEquals(0, view.flags());
        assertFalse(view.hasFlags(ParsedPacket.ACK));
        assertEquals(-1, view.window());
        assertEquals(-1, view.payloadOffset());
        assertEquals(0, view.payloadLength());
        assertEquals(0, view.capturedPayloadLength());
        assertEquals(-1, view.mss());
        assertEquals(-1, view.windowScale());
        assertFalse(view.sackPermitted());
        assertFalse(view.hasTimestamps());
        assertEquals(0, view.timestampValue());
        assertEquals(0, view.timestampEchoReply());
        assertEquals(-1, view.timestampOptionOffset());
        assertEquals(0, view.sackBlockCount());
        assertEquals(0, view.sackBlockLeft(0));
        assertEquals(0, view.sackBlockRight(0));
        assertEquals(-1, view.sackOptionOffset());
        assertFalse(view.hasAuthenticationOption());
        assertFalse(view.hasMultipathOption());
        assertFalse(view.hasFastOpenOption());
        assertFalse(view.hasUnknownOptions());
    }

    @ParameterizedTest
    @EnumSource(value = ParseResult.class, names = "TCP", mode = EnumSource.Mode.EXCLUDE)
    void settersWriteNothingUnlessTcp(ParseResult expected) {
        byte[] frame = exampleOf(expected).clone();
        view.parse(frame, 0, frame.length);
        assertFalse(view.setSequenceNumber(1));
        assertFalse(view.setAcknowledgementNumber(1));
        assertFalse(view.setWindow(1));
        assertFalse(view.setTimestamps(1, 1));
        assertFalse(view.setSackBlock(0, 1, 1));
        assertFalse(view.setSourcePort(1));
        assertFalse(view.setDestinationPort(1));
        assertFalse(view.updateTcpChecksum());
        assertFalse(view.isTcpChecksumValid());
        assertEquals(0, view.replaceUnknownOptionsWithNops());
        assertArrayEquals(exampleOf(expected), frame);
    }

    @Nested
    class Ethernet {

        @Test
        void unboundViewIsAnEmptyFrame() {
            FlyweightParsedPacket fresh = new FlyweightParsedPacket();
            assertEquals(ParseResult.TRUNCATED_ETHERNET, fresh.result());
            assertEquals(0, fresh.buffer().length);
            assertEquals(0, fresh.frameLength());
            assertEquals(-1L, fresh.sourceMac());
            assertEquals(-1L, fresh.destinationMac());
            assertEquals(-1, fresh.etherType());
            assertEquals(0, fresh.ipVersion());
            assertEquals(-1, fresh.ipOffset());
            assertFalse(fresh.setSourceMac(1));
            assertTcpDefaults(fresh);
        }

        @Test
        void nullAndOutOfRangeArgumentsAreClamped() {
            assertEquals(ParseResult.TRUNCATED_ETHERNET, view.parse(null, 0, 100));
            assertEquals(0, view.buffer().length);
            assertEquals(ParseResult.TRUNCATED_ETHERNET, view.parse(PLAIN_IPV4_ACK, -1, 54));
            assertEquals(0, view.frameLength());
            assertEquals(ParseResult.TRUNCATED_ETHERNET, view.parse(PLAIN_IPV4_ACK, 55, 10));
            assertEquals(ParseResult.TRUNCATED_ETHERNET, view.parse(PLAIN_IPV4_ACK, 0, -5));
            assertEquals(ParseResult.TRUNCATED_ETHERNET, view.parse(PLAIN_IPV4_ACK, Integer.MAX_VALUE, Integer.MAX_VALUE));
            // a length beyond the array is cut to the array
            assertEquals(ParseResult.TCP, view.parse(PLAIN_IPV4_ACK, 0, Integer.MAX_VALUE));
            assertEquals(PLAIN_IPV4_ACK.length, view.frameLength());
        }

        @Test
        void frameAtAnOffset() {
            byte[] buffer = concat(repeat(0xff, 100), PLAIN_IPV4_ACK, repeat(0xff, 3));
            assertEquals(ParseResult.TCP, view.parse(buffer, 100, PLAIN_IPV4_ACK.length));
            assertSame(buffer, view.buffer());
            assertEquals(100, view.frameOffset());
            assertEquals(114, view.ipOffset());
            assertEquals(134, view.tcpOffset());
            assertEquals(40000, view.sourcePort());
            assertEquals(0, view.payloadLength());
        }

        @Test
        void emptyFrameAndTheShortestFrames() {
            assertEquals(ParseResult.TRUNCATED_ETHERNET, view.parse(new byte[0], 0, 0));
            assertEquals(ParseResult.TRUNCATED_ETHERNET, view.parse(MACS, 0, 12));
            // 14 bytes with an IPv4 EtherType and nothing after it
            assertEquals(ParseResult.TRUNCATED_IPV4, parse(concat(MACS, TYPE_IPV4)));
            assertEquals(ParseResult.TRUNCATED_IPV6, parse(concat(MACS, TYPE_IPV6)));
            assertEquals(0x86dd, view.etherType());
        }

        @Test
        void ieee8023LengthFieldIsNotIp() {
            assertEquals(ParseResult.NOT_IP, parse(concat(MACS, bytes(
                    0x00, 0x26,                           // 802.3 length 38, not an EtherType
                    0x42, 0x42, 0x03),                    // LLC: STP
                    repeat(0, 35))));
            assertEquals(0x0026, view.etherType());
            assertEquals(0x02_00_00_00_00_01L, view.sourceMac());
            assertEquals(0, view.ipVersion());
        }

        @Test
        void singleVlanTag() {
            assertEquals(ParseResult.TCP, parse(concat(MACS, bytes(
                    0x81, 0x00,                           // TPID 802.1Q
                    0x20, 0x64,                           // PCP 1, DEI 0, VLAN 100
                    0x08, 0x00),                          // EtherType IPv4
                    ipv4(40, 0x4000, 6), TCP_ACK)));
            assertEquals(1, view.vlanTagCount());
            assertEquals(100, view.outerVlanId());
            assertEquals(0x0800, view.etherType());
            assertEquals(18, view.ipOffset());
            assertEquals(38, view.tcpOffset());
            assertEquals(0xc0000202, view.destinationIpv4());
        }

        @Test
        void stackedQinQTags() {
            assertEquals(ParseResult.TCP, parse(concat(MACS, bytes(
                    0x88, 0xa8,                           // TPID 802.1ad (service tag)
                    0xe0, 0x0a,                           // PCP 7, VLAN 10
                    0x81, 0x00,                           // TPID 802.1Q (customer tag)
                    0x0f, 0xff,                           // VLAN 4095
                    0x86, 0xdd),                          // EtherType IPv6
                    ipv6(20, 6), TCP_ACK)));
            assertEquals(2, view.vlanTagCount());
            assertEquals(10, view.outerVlanId());
            assertEquals(0x86dd, view.etherType());
            assertEquals(22, view.ipOffset());
            assertEquals(62, view.tcpOffset());
        }

        @Test
        void legacyQinQTpidAndFourTags() {
            assertEquals(ParseResult.TCP, parse(concat(MACS, bytes(
                    0x91, 0x00, 0x01, 0x2c,               // pre-standard QinQ TPID, VLAN 300
                    0x88, 0xa8, 0x00, 0x02,               // 802.1ad, VLAN 2
                    0x81, 0x00, 0x00, 0x03,               // 802.1Q, VLAN 3
                    0x81, 0x00, 0x00, 0x04,               // 802.1Q, VLAN 4: the limit
                    0x08, 0x00),                          // EtherType IPv4
                    ipv4(40, 0x4000, 6), TCP_ACK)));
            assertEquals(FlyweightParsedPacket.MAX_VLAN_TAGS, view.vlanTagCount());
            assertEquals(300, view.outerVlanId());
            assertEquals(30, view.ipOffset());
        }

        @Test
        void tooManyTagsKeepsWhatWasWalked() {
            assertEquals(ParseResult.TOO_MANY_VLAN_TAGS, parse(exampleOf(ParseResult.TOO_MANY_VLAN_TAGS)));
            assertEquals(4, view.vlanTagCount());
            assertEquals(1, view.outerVlanId());
            assertEquals(0, view.ipVersion());
        }

        @Test
        void vlanCutAtEveryByte() {
            byte[] tagged = concat(MACS, bytes(
                    0x81, 0x00, 0x00, 0x64,               // 802.1Q, VLAN 100
                    0x81, 0x00, 0x00, 0x65,               // 802.1Q, VLAN 101
                    0x08, 0x00),                          // IPv4
                    ipv4(40, 0x4000, 6), TCP_ACK);
            for (int length = 14; length < 22; length++) {
                assertEquals(ParseResult.TRUNCATED_VLAN, view.parse(tagged, 0, length), "length " + length);
            }
            assertEquals(ParseResult.TRUNCATED_IPV4, view.parse(tagged, 0, 22));
        }
    }

    @Nested
    class Ipv4 {

        @Test
        void optionsMoveTheTcpHeader() {
            assertEquals(ParseResult.TCP, parse(concat(MACS, TYPE_IPV4, bytes(
                    0x46,                                 // version 4, IHL 6 (24 bytes)
                    0x02,                                 // DSCP 0, ECN ECT(0)
                    0x00, 0x2c,                           // total length 44
                    0x12, 0x34,                           // identification
                    0x40, 0x00,                           // DF
                    0x01,                                 // TTL 1
                    0x06,                                 // protocol TCP
                    0x00, 0x00,                           // checksum
                    0xc0, 0x00, 0x02, 0x01,               // source
                    0xc0, 0x00, 0x02, 0x02,               // destination
                    0x94, 0x04, 0x00, 0x00),              // option: router alert (RFC 2113)
                    TCP_ACK)));
            assertTrue(view.hasIpv4Options());
            assertEquals(2, view.ipEcn());
            assertEquals(38, view.tcpOffset());
            assertEquals(7000, view.destinationPort());
            assertEquals(0, view.payloadLength());
        }

        @Test
        void ethernetPaddingIsNotPayload() {
            // a bare ACK is 54 bytes; Ethernet pads it to 60 before the FCS
            byte[] padded = concat(PLAIN_IPV4_ACK, bytes(
                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00)); // padding
            assertEquals(60, padded.length);
            assertEquals(ParseResult.TCP, parse(padded));
            assertEquals(0, view.payloadLength());
            assertEquals(0, view.capturedPayloadLength());
            assertEquals(54, view.payloadOffset());
        }

        @Test
        void snapshotLengthCutsThePayload() {
            byte[] segment = concat(TCP_ACK, repeat('p', 1460));
            byte[] full = concat(MACS, TYPE_IPV4,
                    ipv4(1500, 0x4000, 6),                // total length 1500
                    segment);
            assertEquals(ParseResult.TCP, view.parse(full, 0, 64)); // tcpdump -s 64
            assertEquals(64, view.frameLength());
            assertEquals(1460, view.payloadLength());
            assertEquals(10, view.capturedPayloadLength());
            assertFalse(view.isTcpChecksumValid());
        }

        @Test
        void firstFragmentIsParsedAndFlagged() {
            assertEquals(ParseResult.TCP, parse(concat(MACS, TYPE_IPV4,
                    ipv4(20 + 20 + 8, 0x2000, 6),         // MF set, offset 0
                    TCP_ACK, repeat('f', 8))));
            assertTrue(view.isFragmented());
            // the first fragment's payload, not the datagram's: the rest is in later fragments
            assertEquals(8, view.payloadLength());
        }

        @Test
        void laterFragmentKeepsIpFields() {
            assertEquals(ParseResult.FRAGMENT, parse(exampleOf(ParseResult.FRAGMENT)));
            assertTrue(view.isFragmented());
            assertEquals(4, view.ipVersion());
            assertEquals(0xc0000201, view.sourceIpv4());
            assertEquals(0x0000_ffff_c000_0202L, view.destinationAddressLow());
            assertTrue(view.setSourceIpv4(0x0a000001));
            assertTrue(view.updateIpv4HeaderChecksum());
            assertTrue(view.isIpv4HeaderChecksumValid());
        }

        @Test
        void fragmentWithOffsetAndMoreFragments() {
            assertEquals(ParseResult.FRAGMENT, parse(concat(MACS, TYPE_IPV4,
                    ipv4(40, 0x2001, 6),                  // MF set, offset 1 (8 bytes)
                    TCP_ACK)));
        }

        @Test
        void ipv4HeaderCutAtEveryByte() {
            for (int length = 14; length < 34; length++) {
                assertEquals(ParseResult.TRUNCATED_IPV4, view.parse(PLAIN_IPV4_ACK, 0, length), "length " + length);
            }
        }

        @Test
        void ihlBeyondTheCapture() {
            assertEquals(ParseResult.TRUNCATED_IPV4, parse(concat(MACS, TYPE_IPV4, with(ipv4(40, 0x4000, 6), 0,
                    0x4f))));                             // IHL 15 (60 bytes), only 20 there
        }

        @Test
        void totalLengthTooShortForTcp() {
            // the frame has the bytes (padding), but the IP packet ends inside the TCP header
            assertEquals(ParseResult.TRUNCATED_TCP, parse(concat(MACS, TYPE_IPV4,
                    ipv4(30, 0x4000, 6),                  // total length 30: 10 bytes for TCP
                    TCP_ACK)));
            assertEquals(4, view.ipVersion());
        }

        @Test
        void headerChecksumKnownVector() {
            // the worked example of RFC 1071's usual illustration (Wikipedia "IPv4 header checksum")
            byte[] frame = concat(MACS, TYPE_IPV4, bytes(
                    0x45, 0x00, 0x00, 0x73,               // version, IHL, TOS, total length 115
                    0x00, 0x00, 0x40, 0x00,               // identification, DF
                    0x40, 0x11,                           // TTL 64, protocol UDP
                    0xb8, 0x61,                           // header checksum 0xb861
                    0xc0, 0xa8, 0x00, 0x01,               // source 192.168.0.1
                    0xc0, 0xa8, 0x00, 0xc7),              // destination 192.168.0.199
                    repeat(0, 95));
            assertEquals(ParseResult.NOT_TCP, parse(frame));
            assertTrue(view.isIpv4HeaderChecksumValid());
            frame[24] = 0;
            frame[25] = 0;
            assertTrue(view.updateIpv4HeaderChecksum());
            assertEquals(0xb8, frame[24] & 0xff);
            assertEquals(0x61, frame[25] & 0xff);
        }
    }

    @Nested
    class Ipv6 {

        @Test
        void extensionChainIsWalked() {
            assertEquals(ParseResult.TCP, parse(ipv6Packet(0, concat(bytes(
                    60, 0x00,                             // hop-by-hop: next destination options, length 0 (8 bytes)
                    0x01, 0x04, 0x00, 0x00, 0x00, 0x00,   //   PadN, 4 bytes
                    43, 0x00,                             // destination options: next routing, 8 bytes
                    0x01, 0x04, 0x00, 0x00, 0x00, 0x00,   //   PadN
                    44, 0x00,                             // routing: next fragment, 8 bytes
                    0x04, 0x00,                           //   type 4 (segment routing), segments left 0
                    0x00, 0x00, 0x00, 0x00,               //   last entry, flags, tag
                    51, 0x00,                             // fragment: next AH, reserved
                    0x00, 0x01,                           //   offset 0, M set: a first fragment
                    0xca, 0xfe, 0xba, 0xbe,               //   identification
                    6, 0x04,                              // AH: next TCP, payload length 4 -> (4 + 2) * 4 = 24 bytes
                    0x00, 0x00,                           //   reserved
                    0x00, 0x00, 0x01, 0x00,               //   SPI
                    0x00, 0x00, 0x00, 0x01),              //   sequence number
                    repeat(0x1c, 12),                     //   ICV, 12 bytes
                    TCP_ACK))));
            assertTrue(view.isFragmented());
            assertEquals(14 + 40 + 8 + 8 + 8 + 8 + 24, view.tcpOffset());
            assertEquals(40000, view.sourcePort());
            assertEquals(0, view.payloadLength());
        }

        @Test
        void laterFragmentIsAFragment() {
            assertEquals(ParseResult.FRAGMENT, parse(ipv6Packet(44, concat(bytes(
                    6, 0x00,                              // fragment: next TCP
                    0x05, 0xc8,                           //   offset 185 (1480 bytes), M clear
                    0xca, 0xfe, 0xba, 0xbe),              //   identification
                    repeat('d', 20)))));
            assertTrue(view.isFragmented());
            assertEquals(6, view.ipVersion());
            assertEquals(2L, view.destinationAddressLow());
        }

        @Test
        void atomicFragmentIsFlagged() {
            assertEquals(ParseResult.TCP, parse(ipv6Packet(44, concat(bytes(
                    6, 0x00,                              // fragment: next TCP
                    0x00, 0x00,                           //   offset 0, M clear: an atomic fragment (RFC 6946)
                    0x00, 0x00, 0x00, 0x01),              //   identification
                    TCP_ACK))));
            assertTrue(view.isFragmented());
        }

        @Test
        void noNextHeaderIsNotTcp() {
            assertEquals(ParseResult.NOT_TCP, parse(ipv6Packet(60, bytes(
                    59, 0x00,                             // destination options: next "no next header"
                    0x01, 0x04, 0x00, 0x00, 0x00, 0x00))));
            assertEquals(6, view.ipVersion());
        }

        @Test
        void mobilityHeaderIsWalked() {
            assertEquals(ParseResult.NOT_TCP, parse(ipv6Packet(135, bytes(
                    59, 0x00,                             // mobility header (RFC 6275): next "no next header", 8 bytes
                    0x00, 0x00,                           //   MH type, reserved
                    0x00, 0x00, 0x00, 0x00))));           //   checksum, data
        }

        @Test
        void udpAndIcmpv6AreNotTcp() {
            assertEquals(ParseResult.NOT_TCP, parse(ipv6Packet(17, repeat(0, 8))));
            assertEquals(ParseResult.NOT_TCP, parse(ipv6Packet(58, bytes(
                    0x80, 0x00, 0x00, 0x00,               // ICMPv6 echo request
                    0x00, 0x01, 0x00, 0x01))));
        }

        @Test
        void ecnFromTrafficClass() {
            assertEquals(ParseResult.TCP, parse(concat(MACS, TYPE_IPV6, bytes(
                    0x60, 0x30, 0x00, 0x00,               // version 6, traffic class 0x03 (ECN CE), flow label 0
                    0x00, 0x14,                           // payload length 20
                    0x06, 0x40),                          // next header TCP, hop limit
                    java.util.Arrays.copyOfRange(ipv6(20, 6), 8, 40), // addresses
                    TCP_ACK)));
            assertEquals(3, view.ipEcn());
        }

        static Stream<Arguments> brokenChains() {
            return Stream.of(
                    Arguments.of("ESP after a destination option", ipv6Packet(60, concat(bytes(
                            50, 0x00,                     // destination options: next ESP
                            0x01, 0x04, 0x00, 0x00, 0x00, 0x00),
                            repeat(0xee, 16)))),
                    Arguments.of("hop-by-hop not first", ipv6Packet(60, concat(bytes(
                            0, 0x00,                      // destination options: next hop-by-hop
                            0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
                            6, 0x00,                      // hop-by-hop, illegal here
                            0x01, 0x04, 0x00, 0x00, 0x00, 0x00),
                            TCP_ACK))),
                    Arguments.of("header longer than the packet", ipv6Packet(60, concat(bytes(
                            6, 0x03,                      // destination options: length 3 -> 32 bytes
                            0x01, 0x04, 0x00, 0x00, 0x00, 0x00),
                            TCP_ACK))),                   // only 28 bytes follow
                    Arguments.of("header shorter than 8 bytes", ipv6Packet(60, bytes(
                            6, 0x00,                      // destination options, cut after 6 bytes
                            0x01, 0x02, 0x00, 0x00))),
                    Arguments.of("nine headers", ipv6Packet(60, concat(
                            destinationOptions(60), destinationOptions(60), destinationOptions(60),
                            destinationOptions(60), destinationOptions(60), destinationOptions(60),
                            destinationOptions(60), destinationOptions(60), destinationOptions(6), // the ninth
                            TCP_ACK))),
                    Arguments.of("AH cut by the capture", java.util.Arrays.copyOf(ipv6Packet(51, concat(bytes(
                            6, 0x04,                      // AH: next TCP, 24 bytes
                            0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
                            0x00, 0x00, 0x00, 0x01),
                            repeat(0x1c, 12), TCP_ACK)), 14 + 40 + 16)));
        }

        static byte[] destinationOptions(int next) {
            return bytes(
                    next, 0x00,                           // next header, length 0 (8 bytes)
                    0x01, 0x04, 0x00, 0x00, 0x00, 0x00);  // PadN
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("brokenChains")
        void brokenChainsAreInvalid(String why, byte[] frame) {
            assertEquals(ParseResult.INVALID_IPV6_EXTENSION, parse(frame));
            assertEquals(6, view.ipVersion());
        }

        @Test
        void eightHeadersAreWalked() {
            assertEquals(ParseResult.TCP, parse(ipv6Packet(60, concat(
                    destinationOptions(60), destinationOptions(60), destinationOptions(60), destinationOptions(60),
                    destinationOptions(60), destinationOptions(60), destinationOptions(60), destinationOptions(6),
                    TCP_ACK))));
            assertEquals(14 + 40 + 64, view.tcpOffset());
        }

        @Test
        void routingWithSegmentsLeftHasNoChecksum() {
            byte[] frame = ipv6Packet(43, concat(bytes(
                    6, 0x02,                              // routing: next TCP, 24 bytes
                    0x04, 0x01,                           //   segment routing, segments left 1
                    0x01, 0x00, 0x00, 0x00),              //   last entry 1, flags, tag
                    repeat(0x20, 16),                     //   segment list[0]: the final destination
                    TCP_ACK));
            assertEquals(ParseResult.TCP, parse(frame));
            // the pseudo-header would need the final destination: refuse rather than write a wrong sum
            assertFalse(view.updateTcpChecksum());
            assertFalse(view.isTcpChecksumValid());
        }

        @Test
        void ipv6HeaderCutAtEveryByte() {
            byte[] frame = ipv6Packet(6, TCP_ACK);
            for (int length = 14; length < 54; length++) {
                assertEquals(ParseResult.TRUNCATED_IPV6, view.parse(frame, 0, length), "length " + length);
            }
            for (int length = 54; length < 74; length++) {
                assertEquals(ParseResult.TRUNCATED_TCP, view.parse(frame, 0, length), "length " + length);
            }
        }
    }

    @Nested
    class Tcp {

        @Test
        void tcpHeaderCutAtEveryByte() {
            for (int length = 34; length < 54; length++) {
                assertEquals(ParseResult.TRUNCATED_TCP, view.parse(PLAIN_IPV4_ACK, 0, length), "length " + length);
            }
            assertEquals(ParseResult.TCP, view.parse(PLAIN_IPV4_ACK, 0, 54));
        }

        @Test
        void optionsCutByTheCapture() {
            byte[] frame = LinuxCapturedFramesTest.IPV4_SYN;
            assertEquals(ParseResult.TRUNCATED_TCP, view.parse(frame, 0, frame.length - 1));
        }

        @Test
        void dataOffsetBeyondThePacket() {
            assertEquals(ParseResult.INVALID_TCP_DATA_OFFSET, parse(concat(MACS, TYPE_IPV4, ipv4(40, 0x4000, 6),
                    with(TCP_ACK, 12, 0xf0),              // data offset 15 (60 bytes) in a 20-byte segment
                    repeat(0, 40))));                     // bytes present, but beyond the IP packet
        }

        @Test
        void nsAndEveryFlag() {
            assertEquals(ParseResult.TCP, parse(concat(MACS, TYPE_IPV4, ipv4(40, 0x4000, 6), bytes(
                    0x9c, 0x40, 0x1b, 0x58,               // ports
                    0xff, 0xff, 0xff, 0xff,               // sequence number 2^32 - 1
                    0x80, 0x00, 0x00, 0x00,               // acknowledgement number 2^31
                    0x51,                                 // data offset 5, NS set
                    0xff,                                 // CWR ECE URG ACK PSH RST SYN FIN
                    0xff, 0xff,                           // window 65535
                    0x00, 0x00, 0x00, 0x00))));           // checksum, urgent pointer
            assertEquals(0x1ff, view.flags());
            assertTrue(view.hasFlags(ParsedPacket.SYN | ParsedPacket.FIN | ParsedPacket.RST | ParsedPacket.PSH
                    | ParsedPacket.ACK | ParsedPacket.URG | ParsedPacket.ECE | ParsedPacket.CWR));
            assertEquals(0xffffffff, view.sequenceNumber());
            assertEquals(0x80000000, view.acknowledgementNumber());
            assertEquals(65535, view.window());
        }

        @Test
        void fourSackBlocks() {
            assertEquals(ParseResult.TCP, parse(ipv4Tcp(bytes(
                    0x01, 0x01,                           // NOP NOP
                    0x05, 0x22,                           // SACK, length 34: 4 blocks
                    0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x20, // block 0: 16..32
                    0x00, 0x00, 0x00, 0x30, 0x00, 0x00, 0x00, 0x40, // block 1: 48..64
                    0xff, 0xff, 0xff, 0xf0, 0x00, 0x00, 0x00, 0x10, // block 2 wraps: 2^32-16..16
                    0x80, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x08), // block 3
                    0)));
            assertEquals(4, view.sackBlockCount());
            assertEquals(54 + 2, view.sackOptionOffset());
            assertEquals(0x10, view.sackBlockLeft(0));
            assertEquals(0x20, view.sackBlockRight(0));
            assertEquals(0x30, view.sackBlockLeft(1));
            assertEquals(0x40, view.sackBlockRight(1));
            assertEquals(0xfffffff0, view.sackBlockLeft(2));
            assertEquals(0x10, view.sackBlockRight(2));
            assertEquals(0x80000000, view.sackBlockLeft(3));
            assertEquals(0x80000008, view.sackBlockRight(3));
            assertEquals(0, view.sackBlockLeft(4));
            assertFalse(view.setSackBlock(4, 1, 2));
            assertTrue(view.setSackBlock(3, 7, 9));
            assertEquals(7, view.sackBlockLeft(3));
            assertEquals(9, view.sackBlockRight(3));
            assertEquals(0x30, view.sackBlockLeft(1));
            assertFalse(view.hasTimestamps());
            assertFalse(view.setTimestamps(1, 2));
        }

        @Test
        void threeSackBlocksWithTimestamps() {
            // what Linux sends with timestamps on: 12 bytes of timestamps leave room for 3 blocks
            assertEquals(ParseResult.TCP, parse(ipv4Tcp(bytes(
                    0x01, 0x01,                           // NOP NOP
                    0x08, 0x0a,                           // timestamps
                    0x00, 0x00, 0x00, 0x01,               //   TSval 1
                    0xff, 0xff, 0xff, 0xfe,               //   TSecr 2^32 - 2
                    0x01, 0x01,                           // NOP NOP
                    0x05, 0x1a,                           // SACK, length 26: 3 blocks
                    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
                    0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04,
                    0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x06), 3)));
            assertEquals(60, view.tcpHeaderLength());
            assertEquals(3, view.sackBlockCount());
            assertEquals(5, view.sackBlockLeft(2));
            assertEquals(6, view.sackBlockRight(2));
            assertEquals(1, view.timestampValue());
            assertEquals(0xfffffffe, view.timestampEchoReply());
            assertEquals(54 + 2, view.timestampOptionOffset());
            assertEquals(3, view.payloadLength());
        }

        @Test
        void windowScaleAbove14IsUsedAs14() {
            assertEquals(ParseResult.TCP, parse(ipv4Tcp(bytes(
                    0x03, 0x03, 0x0f,                     // window scale 15 (RFC 7323: use 14)
                    0x00), 0)));                          // EOL
            assertEquals(14, view.windowScale());
        }

        @Test
        void eolEndsTheList() {
            assertEquals(ParseResult.TCP, parse(ipv4Tcp(bytes(
                    0x02, 0x04, 0x05, 0xb4,               // MSS 1460
                    0x00,                                 // EOL
                    0x05, 0x01, 0xff), 0)));              // padding after EOL: never read as options
            assertEquals(1460, view.mss());
            assertEquals(0, view.sackBlockCount());
        }

        @Test
        void authenticationAndOtherOptions() {
            assertEquals(ParseResult.TCP, parse(ipv4Tcp(concat(bytes(
                    0x13, 0x12),                          // TCP-MD5, length 18
                    repeat(0x5d, 16),                     //   digest
                    bytes(0x01, 0x01)), 0)));             // NOP NOP
            assertTrue(view.hasAuthenticationOption());
            assertTrue(view.hasUnknownOptions());
            assertFalse(view.hasMultipathOption());

            assertEquals(ParseResult.TCP, parse(ipv4Tcp(concat(bytes(
                    0x1d, 0x10,                           // TCP-AO, length 16
                    0x01, 0x02),                          //   KeyID, RNextKeyID
                    repeat(0xac, 12)), 0)));              //   MAC
            assertTrue(view.hasAuthenticationOption());

            assertEquals(ParseResult.TCP, parse(ipv4Tcp(bytes(
                    0x1e, 0x0c,                           // MPTCP, length 12
                    0x01, 0x81,                           //   MP_CAPABLE v1, flags
                    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, // sender's key
                    0x22, 0x02,                           // Fast Open, length 2: cookie request
                    0xfe, 0x04, 0xf9, 0x89,               // experimental option 254, ExID 0xf989
                    0x01, 0x01, 0x01, 0x01, 0x01, 0x00), 0))); // 5 NOPs, EOL
            assertFalse(view.hasAuthenticationOption());
            assertTrue(view.hasMultipathOption());
            assertTrue(view.hasFastOpenOption());
            assertTrue(view.hasUnknownOptions());

            assertEquals(ParseResult.TCP, parse(ipv4Tcp(bytes(
                    0x0e, 0x03, 0x00,                     // kind 14 (alternate checksum request), length 3
                    0x01), 0)));                          // NOP
            assertTrue(view.hasUnknownOptions());
            assertFalse(view.hasFastOpenOption());
        }

        @Test
        void unknownOptionsBecomeNops() {
            byte[] frame = ipv4Tcp(bytes(
                    0x02, 0x04, 0x05, 0xb4,               // MSS 1460
                    0x22, 0x06,                           // Fast Open, length 6:
                    0xc0, 0x0c, 0x1e, 0x01,               //   4-byte cookie
                    0x04, 0x02,                           // SACK permitted
                    0x1e, 0x04, 0x00, 0x81,               // MPTCP MP_CAPABLE, length 4
                    0x08, 0x0a,                           // timestamps
                    0x00, 0x00, 0x00, 0x07,               //   TSval 7
                    0x00, 0x00, 0x00, 0x00,               //   TSecr 0
                    0x00, 0x00), 0);                      // EOL, padding
            assertEquals(ParseResult.TCP, parse(frame));
            assertEquals(2, view.replaceUnknownOptionsWithNops());
            assertFalse(view.hasUnknownOptions());
            assertFalse(view.hasFastOpenOption());
            assertEquals(0, view.replaceUnknownOptionsWithNops());
            assertArrayEquals(bytes(
                    0x02, 0x04, 0x05, 0xb4,               // MSS kept
                    0x01, 0x01, 0x01, 0x01, 0x01, 0x01,   // Fast Open -> 6 NOPs
                    0x04, 0x02,                           // SACK permitted kept
                    0x01, 0x01, 0x01, 0x01,               // MPTCP -> 4 NOPs
                    0x08, 0x0a, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, // timestamps kept
                    0x00, 0x00),                          // EOL, padding
                    java.util.Arrays.copyOfRange(frame, 54, 54 + 28));
            assertEquals(ParseResult.TCP, parse(frame));
            assertFalse(view.hasUnknownOptions());
            assertEquals(1460, view.mss());
            assertTrue(view.sackPermitted());
            assertEquals(7, view.timestampValue());
        }

        static Stream<Arguments> malformedOptions() {
            return Stream.of(
                    Arguments.of("length 0", bytes(
                            0x02, 0x00,                   // MSS, length 0: would loop forever
                            0x00, 0x00)),
                    Arguments.of("length 1", bytes(
                            0xfd, 0x01,                   // experimental, length 1: below kind + length
                            0x00, 0x00)),
                    Arguments.of("length beyond the header", bytes(
                            0x01, 0x01, 0x01, 0x01, 0x01, 0x01, // 6 NOPs
                            0xfd, 0x04)),                 // experimental, length 4, but only 2 bytes left
                    Arguments.of("kind in the last byte", bytes(
                            0x01, 0x01, 0x01,             // NOP NOP NOP
                            0x02)),                       // MSS kind with no room for its length
                    Arguments.of("MSS length 3", bytes(
                            0x02, 0x03, 0x05, 0x01)),
                    Arguments.of("window scale length 4", bytes(
                            0x03, 0x04, 0x07, 0x00)),
                    Arguments.of("SACK-permitted length 3", bytes(
                            0x04, 0x03, 0x00, 0x01)),
                    Arguments.of("SACK with no block", bytes(
                            0x05, 0x02, 0x01, 0x01)),
                    Arguments.of("SACK length 2 + 7", bytes(
                            0x05, 0x09,                   // not a whole number of 8-byte blocks
                            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                            0x01, 0x01, 0x01)),
                    Arguments.of("timestamps length 8", bytes(
                            0x08, 0x08,
                            0x00, 0x00, 0x00, 0x01, 0x00, 0x00)),
                    Arguments.of("MD5 length 17", concat(bytes(
                            0x13, 0x11), repeat(0x5d, 15), bytes(0x01, 0x01, 0x01))),
                    Arguments.of("AO length 3", bytes(
                            0x1d, 0x03, 0x01, 0x00)));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("malformedOptions")
        void malformedOptionsAreInvalid(String why, byte[] options) {
            assertEquals(ParseResult.INVALID_TCP_OPTION, parse(ipv4Tcp(options, 0)));
            assertEquals(4, view.ipVersion());
            assertTcpDefaults(view);
        }

        @Test
        void setterRangesAreChecked() {
            byte[] frame = PLAIN_IPV4_ACK.clone();
            view.parse(frame, 0, frame.length);
            assertFalse(view.setWindow(-1));
            assertFalse(view.setWindow(0x10000));
            assertFalse(view.setSourcePort(0x10000));
            assertFalse(view.setDestinationPort(-1));
            assertFalse(view.setSackBlock(0, 1, 2));
            assertArrayEquals(PLAIN_IPV4_ACK, frame);
            assertTrue(view.setWindow(0));
            assertEquals(0, view.window());
        }

        @Test
        void reuseLeavesNoStaleState() {
            parse(LinuxCapturedFramesTest.IPV4_SYN);
            assertEquals(1460, view.mss());
            parse(PLAIN_IPV4_ACK);
            assertEquals(-1, view.mss());
            assertEquals(-1, view.windowScale());
            assertFalse(view.sackPermitted());
            assertFalse(view.hasTimestamps());
            parse(exampleOf(ParseResult.NOT_IP));
            assertEquals(0, view.ipVersion());
            assertEquals(0, view.sourceIpv4());
            assertEquals(0L, view.sourceAddressLow());
            assertEquals(0, view.ipEcn());
            assertFalse(view.hasIpv4Options());
            assertFalse(view.isFragmented());
        }
    }
}
