package org.migware.api.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import org.junit.jupiter.api.Test;

class InternetChecksumTest {

    /** RFC 1071 §3: the worked example's bytes, whose one's-complement sum is ddf2. */
    @Test
    void sumsTheRfc1071Example() {
        byte[] bytes = {0x00, 0x01, (byte) 0xf2, 0x03, (byte) 0xf4, (byte) 0xf5, (byte) 0xf6, (byte) 0xf7};
        assertEquals(0xddf2, InternetChecksum.sum(bytes, 0, bytes.length, 0));
        assertEquals(0x220d, InternetChecksum.checksum(bytes, 0, bytes.length, 0));
    }

    /** An odd last byte counts as the high half of a word padded with zero. */
    @Test
    void padsAnOddLastByte() {
        assertEquals(0x0100 + 0xab00, InternetChecksum.sum(new byte[] {0x01, 0x00, (byte) 0xab}, 0, 3, 0));
        assertEquals(0xab00, InternetChecksum.sum(new byte[] {0x7f, 0x01, 0x00, (byte) 0xab}, 3, 1, 0));
    }

    /** A real IPv4 header (Wikipedia's "IPv4 header checksum" example): b861 checks. */
    @Test
    void checksumsAnIpv4Header() {
        byte[] header = {
            0x45, 0x00, 0x00, 0x73,                         // version 4, IHL 5, TOS 0, total length 115
            0x00, 0x00, 0x40, 0x00,                         // id 0, DF
            0x40, 0x11, 0x00, 0x00,                         // TTL 64, UDP, checksum 0 while computing
            (byte) 0xc0, (byte) 0xa8, 0x00, 0x01,           // 192.168.0.1
            (byte) 0xc0, (byte) 0xa8, 0x00, (byte) 0xc7,    // 192.168.0.199
        };
        int checksum = InternetChecksum.checksum(header, 0, header.length, 0);
        assertEquals(0xb861, checksum);
        header[Ipv4Header.CHECKSUM_OFFSET] = (byte) (checksum >>> 8);
        header[Ipv4Header.CHECKSUM_OFFSET + 1] = (byte) checksum;
        assertEquals(InternetChecksum.VALID_SUM, InternetChecksum.sum(header, 0, header.length, 0));
    }

    /** The IPv4 pseudo-header adds the two addresses, the protocol and the TCP length. */
    @Test
    void sumsTheIpv4PseudoHeader() {
        byte[] header = new byte[Ipv4Header.MIN_HEADER_LENGTH];
        header[12] = 10; header[15] = 1;                   // 10.0.0.1
        header[16] = 10; header[19] = 2;                   // 10.0.0.2
        assertEquals(0x0a00 + 0x0001 + 0x0a00 + 0x0002 + IpProtocol.TCP + 20,
                InternetChecksum.tcpIpv4PseudoHeaderSum(header, 0, 20));
    }

    /** RFC 1624 §4: HC 0xdd2f, m 0x5555 becomes m' 0x3285: HC' is 0x0000, not eqn. 2's 0xffff. */
    @Test
    void updatesIncrementallyAsRfc1624Shows() {
        assertEquals(0x0000, InternetChecksum.update(0xdd2f, 0x5555, 0x3285));
    }

    @Property
    void incrementalUpdateEqualsRecomputing(@ForAll @Size(min = 2, max = 200) byte[] segment,
            @ForAll @IntRange(min = 0, max = 0xffff) int newWord, @ForAll int at, @ForAll int tcpLength) {
        // a pseudo-header's sum is never 0 (it carries the protocol number), as on the wire
        int pseudo = IpProtocol.TCP + (tcpLength & 0xffff);
        int word = Math.floorMod(at, segment.length / 2) * 2;
        int before = InternetChecksum.checksum(segment, 0, segment.length, pseudo);
        int oldWord = (segment[word] & 0xff) << 8 | segment[word + 1] & 0xff;
        segment[word] = (byte) (newWord >>> 8);
        segment[word + 1] = (byte) newWord;
        assertEquals(InternetChecksum.checksum(segment, 0, segment.length, pseudo), InternetChecksum.update(before, oldWord, newWord));
    }

    @Property
    void incrementalUpdateOfA32BitFieldEqualsRecomputing(@ForAll @Size(min = 4, max = 200) byte[] segment,
            @ForAll int newValue, @ForAll int at) {
        int pseudo = IpProtocol.TCP;
        int field = Math.floorMod(at, segment.length / 4) * 4;
        int before = InternetChecksum.checksum(segment, 0, segment.length, pseudo);
        int oldValue = (segment[field] & 0xff) << 24 | (segment[field + 1] & 0xff) << 16 | (segment[field + 2] & 0xff) << 8
                | segment[field + 3] & 0xff;
        for (int i = 0; i < 4; i++) {
            segment[field + i] = (byte) (newValue >>> (24 - 8 * i));
        }
        assertEquals(InternetChecksum.checksum(segment, 0, segment.length, pseudo), InternetChecksum.update32(before, oldValue, newValue));
    }

    @Property
    void aWrittenChecksumMakesTheRangeSumToAllOnes(@ForAll @Size(min = 2, max = 200) byte[] bytes) {
        bytes[0] = 0;
        bytes[1] = 0;
        int checksum = InternetChecksum.checksum(bytes, 0, bytes.length, IpProtocol.TCP);
        bytes[0] = (byte) (checksum >>> 8);
        bytes[1] = (byte) checksum;
        assertEquals(InternetChecksum.VALID_SUM, InternetChecksum.sum(bytes, 0, bytes.length, IpProtocol.TCP));
    }

    /** The eight-bytes-a-read sum against RFC 1071 long-hand: 16-bit words, end-around carry at every add. */
    @Property(tries = 2000)
    void theSumEqualsTheLongHandSumAtAnyOffsetAndLength(@ForAll @Size(max = 300) byte[] bytes, @ForAll int initialSeed,
            @ForAll @IntRange(max = 299) int from, @ForAll @IntRange(max = 299) int to) {
        int offset = Math.min(from, to) % (bytes.length + 1);
        int length = Math.min(Math.abs(to - from), bytes.length - offset);
        int initial = initialSeed & 0xffff;
        int sum = initial;
        for (int i = offset; i < offset + length; i += 2) {
            int word = (bytes[i] & 0xff) << 8 | (i + 1 < offset + length ? bytes[i + 1] & 0xff : 0);
            sum += word;
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        assertEquals(sum, InternetChecksum.sum(bytes, offset, length, initial));
    }

    @Property(tries = 2000)
    void foldCarriesAroundAnyUnsignedLong(@ForAll long value) {
        java.math.BigInteger modulus = java.math.BigInteger.valueOf(0xffff);
        int folded = InternetChecksum.fold(value);
        assertTrue(folded >= 0 && folded <= 0xffff);
        // one's-complement: the value modulo 2^16 - 1, with 0xffff standing for a non-zero multiple
        java.math.BigInteger unsigned = new java.math.BigInteger(Long.toUnsignedString(value));
        int expected = unsigned.mod(modulus).intValue();
        assertEquals(expected, folded % 0xffff, () -> Long.toUnsignedString(value) + " folded to " + folded);
        assertEquals(value == 0, folded == 0);
    }

    /** The largest segment, every byte 0xff (carries everywhere), continued from the largest initial sum: no overflow. */
    @Test
    void theLargestSegmentOfAllOnesSumsWithoutOverflow() {
        byte[] bytes = new byte[65_535];
        java.util.Arrays.fill(bytes, (byte) 0xff);
        // 32,767 words 0xffff (each 0 modulo 2^16 - 1) and the odd last byte padded: 0xff00; the initial 2^32 - 1 is 0 too
        assertEquals(0xff00, InternetChecksum.sum(bytes, 0, bytes.length, -1));
        assertEquals(0xffff, InternetChecksum.sum(bytes, 1, bytes.length - 1, 0), "an even count of 0xff bytes: all ones");
    }
}
