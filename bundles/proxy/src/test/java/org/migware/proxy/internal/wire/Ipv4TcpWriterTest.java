package org.migware.proxy.internal.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;
import org.migware.api.wire.InternetChecksum;
import org.migware.api.wire.TcpHeader;

/**
 * The writer's bytes, checked against a hand-written packet and against {@link TcpSegment}'s
 * independent reading and checksums. (The TUN test is the other oracle: the kernel accepts them.)
 */
class Ipv4TcpWriterTest {

    private static final int SOURCE = Ipv4Address.parse("198.18.0.2");
    private static final int DESTINATION = Ipv4Address.parse("192.0.2.1");

    @Test
    void aSynWithLinuxsOptionsByteByByte() {
        byte[] packet = new byte[100];
        int length = new Ipv4TcpWriter().begin(packet, 0).source(SOURCE, 40000).destination(DESTINATION, 7000)
                .sequence(0xfffffff0).flags(TcpHeader.SYN).window(64240).mss(1460).sackPermitted()
                .timestamps(0x01020304, 0).nop().windowScale(7).finish();
        assertEquals(60, length);
        String expected = ""
                + "45" // version 4, IHL 5 words
                + "00" // TOS
                + "003c" // total length 60
                + "0000" // identification
                + "4000" // DF, fragment offset 0
                + "40" // TTL 64
                + "06" // protocol TCP
                + "????" // header checksum (checked below)
                + "c6120002" // 198.18.0.2
                + "c0000201" // 192.0.2.1
                + "9c40" // source port 40000
                + "1b58" // destination port 7000
                + "fffffff0" // seq
                + "00000000" // ack
                + "a0" // data offset 10 words (20 bytes of options)
                + "02" // SYN
                + "faf0" // window 64240
                + "????" // TCP checksum (checked below)
                + "0000" // urgent pointer
                + "020405b4" // MSS 1460
                + "0402" // SACK permitted
                + "080a0102030400000000" // timestamps: TSval 0x01020304, TSecr 0
                + "01" // NOP
                + "030307"; // window scale 7
        String actual = HexFormat.of().formatHex(packet, 0, length);
        assertEquals(expected.length(), actual.length());
        for (int i = 0; i < expected.length(); i++) {
            if (expected.charAt(i) != '?') {
                assertEquals(expected.charAt(i), actual.charAt(i), "hex digit " + i + " of " + actual);
            }
        }
        TcpSegment segment = TcpSegment.parse(packet, length);
        assertTrue(segment.ipChecksumValid(), "IPv4 header checksum");
        assertTrue(segment.tcpChecksumValid(), "TCP checksum");
        assertEquals(1460, segment.mss());
        assertEquals(7, segment.windowScale());
        assertTrue(segment.sackPermitted());
        assertEquals(0x01020304, segment.tsval());
    }

    @Test
    void payloadAfterPaddedOptionsAtAnOffset() {
        byte[] packet = new byte[200];
        Arrays.fill(packet, (byte) 0x5a); // stale bytes from an earlier packet must not leak in
        byte[] data = "odd-length payload!".getBytes(StandardCharsets.US_ASCII);
        int offset = 14; // e.g. after an Ethernet header
        int length = new Ipv4TcpWriter().begin(packet, offset).source(SOURCE, 40000).destination(DESTINATION, 7000)
                .sequence(1).acknowledgement(2).flags(TcpHeader.PSH | TcpHeader.ACK).window(502)
                .windowScale(3) // 3 bytes: padded with one end-of-list byte
                .payload(data, 0, data.length).finish();
        assertEquals(20 + 24 + data.length, length);
        byte[] alone = Arrays.copyOfRange(packet, offset, offset + length);
        assertEquals(0x60, alone[20 + 12] & 0xff, "data offset 6 words");
        assertEquals(0, alone[20 + 23], "end-of-list padding");
        TcpSegment segment = TcpSegment.parse(alone, alone.length);
        assertArrayEquals(data, segment.payload());
        assertTrue(segment.ipChecksumValid() && segment.tcpChecksumValid());
        assertEquals(TcpHeader.PSH | TcpHeader.ACK, segment.flags());
        assertEquals(0x5a, packet[offset + length] & 0xff, "nothing written past the packet");
    }

    @Test
    void consecutiveSackBlocksShareOneOption() {
        byte[] packet = new byte[100];
        int length = new Ipv4TcpWriter().begin(packet, 0).source(SOURCE, 1).destination(DESTINATION, 2)
                .flags(TcpHeader.ACK).nop().nop().timestamps(5, 6).nop().nop().sackBlock(100, 200)
                .sackBlock(0xfffffff0, 0x10).finish();
        TcpSegment segment = TcpSegment.parse(packet, length);
        assertArrayEquals(new int[] {100, 200, 0xfffffff0, 0x10}, segment.sackEdges());
        assertEquals(20 + 12 + 20, length - 20, "12 bytes of timestamps, 2 + 2 * 8 of SACK, 2 of NOPs");
        assertTrue(segment.tcpChecksumValid());
    }

    @Test
    void misuseThrows() {
        Ipv4TcpWriter writer = new Ipv4TcpWriter();
        assertThrows(IllegalArgumentException.class, () -> writer.begin(new byte[39], 0));
        byte[] packet = new byte[100];
        writer.begin(packet, 0).payload(new byte[1], 0, 1);
        assertThrows(IllegalStateException.class, () -> writer.mss(1460), "no option after the payload");
        writer.begin(packet, 0).timestamps(1, 2).timestamps(1, 2).timestamps(1, 2).timestamps(1, 2);
        assertThrows(IllegalStateException.class, () -> writer.nop().windowScale(1), "41 bytes of options");
        assertThrows(IllegalArgumentException.class,
                () -> new Ipv4TcpWriter().begin(packet, 0).payload(new byte[61], 0, 61), "larger than the buffer");
    }

    @Test
    void rfc1071Example() {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 after folding
        byte[] bytes = HexFormat.of().parseHex("0001f203f4f5f6f7");
        assertEquals(0xddf2, InternetChecksum.sum(bytes, 0, bytes.length, 0));
        assertEquals(0xddf2, InternetChecksum.sum(bytes, 4, 4, InternetChecksum.sum(bytes, 0, 4, 0)), "chained");
    }
}
