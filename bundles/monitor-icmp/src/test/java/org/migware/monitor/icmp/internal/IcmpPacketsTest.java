package org.migware.monitor.icmp.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.migware.api.wire.InternetChecksum;

class IcmpPacketsTest {

    static final byte[] PRIMARY = {(byte) 192, 0, 2, 10};
    static final byte[] ROUTER = {(byte) 192, 0, 2, 1};
    static final byte[] BACKUP = {(byte) 192, 0, 2, 20};

    @Test
    void checksumOfTheRfc1071Example() {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to 0xddf2 (with end-around carry);
        // the checksum is its complement, 0x220d
        byte[] words = {0x00, 0x01, (byte) 0xf2, 0x03, (byte) 0xf4, (byte) 0xf5, (byte) 0xf6, (byte) 0xf7};
        assertEquals(0x220d, InternetChecksum.checksum(words, 0, words.length, 0));
        // an odd length pads with a zero byte
        assertEquals(InternetChecksum.checksum(new byte[] {1, 2, 3, 0}, 0, 4, 0), InternetChecksum.checksum(new byte[] {1, 2, 3}, 0, 3, 0));
    }

    @Test
    void echoRequestLayoutAndChecksum() {
        byte[] request = IcmpPackets.echoRequest(false, 0xbeef, 0x0102, 0x1122334455667788L);
        assertEquals(64, request.length);
        assertEquals(8, request[0]);            // type: echo request
        assertEquals(0, request[1]);            // code
        assertEquals((byte) 0xbe, request[4]);  // identifier, big-endian
        assertEquals((byte) 0xef, request[5]);
        assertEquals(0x01, request[6]);         // sequence, big-endian
        assertEquals(0x02, request[7]);
        assertEquals(0x11, request[8]);         // the send time, first byte
        assertEquals(0, InternetChecksum.checksum(request, 0, request.length, 0), "a packet with its checksum sums to zero");
        byte[] v6 = IcmpPackets.echoRequest(true, 1, 2, 3);
        assertEquals((byte) 128, v6[0]);
        assertEquals(0, v6[2] | v6[3], "the kernel computes ICMPv6 checksums");
    }

    /** An IPv4 header (20 bytes, protocol ICMP) from {@code source} to {@code destination}, then {@code icmp}. */
    static byte[] ipv4(byte[] source, byte[] destination, byte[] icmp) {
        byte[] packet = new byte[20 + icmp.length];
        packet[0] = 0x45;                       // version 4, header length 5 words
        packet[9] = 1;                          // protocol: ICMP
        System.arraycopy(source, 0, packet, 12, 4);
        System.arraycopy(destination, 0, packet, 16, 4);
        System.arraycopy(icmp, 0, packet, 20, icmp.length);
        return packet;
    }

    static byte[] echo(int type, int identifier, int sequence) {
        byte[] icmp = IcmpPackets.echoRequest(false, identifier, sequence, 0);
        icmp[0] = (byte) type;
        return icmp;
    }

    @Test
    void matchesOurEchoReplyOnly() {
        byte[] reply = ipv4(PRIMARY, BACKUP, echo(0, 0x1234, 7));
        IcmpPackets.Answer answer = IcmpPackets.match(reply, reply.length, false, null, PRIMARY, 0x1234, 7);
        assertNotNull(answer);
        assertEquals(IcmpPackets.Kind.REPLY, answer.kind());
        assertArrayEquals(PRIMARY, answer.from());
        assertNull(IcmpPackets.match(reply, reply.length, false, null, PRIMARY, 0x1235, 7), "another monitor's identifier");
        assertNull(IcmpPackets.match(reply, reply.length, false, null, PRIMARY, 0x1234, 6), "a late reply to an earlier request");
        assertNull(IcmpPackets.match(reply, reply.length, false, null, ROUTER, 0x1234, 7), "a reply from another host");
        byte[] request = ipv4(BACKUP, PRIMARY, echo(8, 0x1234, 7));
        assertNull(IcmpPackets.match(request, request.length, false, null, PRIMARY, 0x1234, 7), "our own request (loopback)");
        assertNull(IcmpPackets.match(reply, 27, false, null, PRIMARY, 0x1234, 7), "truncated");
    }

    @Test
    void matchesAnUnreachableThatQuotesOurRequest() {
        byte[] quoted = ipv4(BACKUP, PRIMARY, echo(8, 0x1234, 7));
        byte[] error = new byte[8 + quoted.length];
        error[0] = 3;                           // destination unreachable
        error[1] = 1;                           // host unreachable
        System.arraycopy(quoted, 0, error, 8, quoted.length);
        byte[] packet = ipv4(ROUTER, BACKUP, error);
        IcmpPackets.Answer answer = IcmpPackets.match(packet, packet.length, false, null, PRIMARY, 0x1234, 7);
        assertNotNull(answer);
        assertEquals(IcmpPackets.Kind.ERROR, answer.kind());
        assertEquals("destination unreachable (host unreachable)", IcmpPackets.describeError(false, answer.type(), answer.code()));
        assertArrayEquals(ROUTER, answer.from());
        assertNull(IcmpPackets.match(packet, packet.length, false, null, PRIMARY, 0x1234, 8));
        // the quote needs only the first 8 ICMP bytes
        assertNotNull(IcmpPackets.match(packet, 20 + 8 + 20 + 8, false, null, PRIMARY, 0x1234, 7));
        assertNull(IcmpPackets.match(packet, 20 + 8 + 20 + 7, false, null, PRIMARY, 0x1234, 7));
    }

    @Test
    void matchesAnIcmpv6Reply() {
        byte[] target = new byte[16];
        target[15] = 1;
        byte[] reply = IcmpPackets.echoRequest(true, 0x4242, 9, 0);
        reply[0] = (byte) 129;
        assertNotNull(IcmpPackets.match(reply, reply.length, true, target, target, 0x4242, 9));
        assertNull(IcmpPackets.match(reply, reply.length, true, new byte[16], target, 0x4242, 9));
    }
}
