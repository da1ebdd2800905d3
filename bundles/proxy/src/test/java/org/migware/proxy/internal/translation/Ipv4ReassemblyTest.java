package org.migware.proxy.internal.translation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.migware.api.wire.InternetChecksum;
import org.migware.testing.TcpFrame;

/** Client fragments put together as the kernel does: whole or not at all, bounded. */
public class Ipv4ReassemblyTest {

    private static final int IP = 14;

    /** A client segment of {@code payload} bytes, DF clear, its IP header checksum right. */
    static byte[] segment(int payload, int identification) {
        byte[] data = new byte[payload];
        new Random(payload).nextBytes(data);
        byte[] frame = TcpFrame.fromClient(40_000).seq(1000).ack(5000).payload(data).build();
        frame[IP + 4] = (byte) (identification >>> 8);
        frame[IP + 5] = (byte) identification;
        frame[IP + 6] = 0; // DF clear
        ipChecksum(frame);
        return frame;
    }

    /** Cuts a frame's IP payload into fragments of {@code size} bytes (a multiple of 8), as a router does. */
    public static List<byte[]> fragments(byte[] frame, int size) {
        List<byte[]> out = new ArrayList<>();
        int payloadStart = IP + 20;
        int payloadLength = frame.length - payloadStart;
        for (int offset = 0; offset < payloadLength; offset += size) {
            int n = Math.min(size, payloadLength - offset);
            byte[] f = new byte[payloadStart + n];
            System.arraycopy(frame, 0, f, 0, payloadStart);
            System.arraycopy(frame, payloadStart + offset, f, payloadStart, n);
            int total = 20 + n;
            f[IP + 2] = (byte) (total >>> 8);
            f[IP + 3] = (byte) total;
            int flags = (offset + n < payloadLength ? 0x2000 : 0) | offset / 8;
            f[IP + 6] = (byte) (flags >>> 8);
            f[IP + 7] = (byte) flags;
            ipChecksum(f);
            out.add(f);
        }
        return out;
    }

    private static void ipChecksum(byte[] frame) {
        frame[IP + 10] = 0;
        frame[IP + 11] = 0;
        int sum = InternetChecksum.checksum(frame, IP, 20, 0);
        frame[IP + 10] = (byte) (sum >>> 8);
        frame[IP + 11] = (byte) sum;
    }

    private static int feed(Ipv4Reassembly r, byte[] fragment, byte[] buffer, long now) {
        System.arraycopy(fragment, 0, buffer, 0, fragment.length);
        return r.add(buffer, IP, fragment.length, now);
    }

    @Test
    void fragmentsInAnyOrderWithDuplicatesMakeTheWholeSegmentAgain() {
        Random random = new Random(3);
        for (int round = 0; round < 200; round++) {
            byte[] whole = segment(100 + random.nextInt(1400), round);
            List<byte[]> parts = new ArrayList<>(fragments(whole, 8 * (1 + random.nextInt((whole.length - IP - 21) / 8))));
            assertTrue(parts.size() >= 2, "a fragmented segment");
            parts.add(parts.get(random.nextInt(parts.size()))); // the mirror duplicated one
            Collections.shuffle(parts, random);
            Ipv4Reassembly r = new Ipv4Reassembly();
            byte[] buffer = new byte[70_000];
            byte[] made = null;
            int after = 0;
            for (byte[] part : parts) {
                int got = feed(r, part, buffer, 0);
                if (made != null) {
                    after++;
                }
                if (got > 0) {
                    assertEquals(null, made, "put together once");
                    made = Arrays.copyOf(buffer, got);
                }
            }
            assertArrayEquals(whole, made, "the segment as the client sent it");
            assertTrue(r.waiting() <= after, "nothing left but a duplicate that came after the whole");
        }
    }

    @Test
    void anOverlapWithOtherBytesGivesTheDatagramUp() {
        byte[] whole = segment(400, 7);
        List<byte[]> parts = fragments(whole, 160);
        byte[] forged = parts.get(1).clone();
        forged[forged.length - 1] ^= 1;
        Ipv4Reassembly r = new Ipv4Reassembly();
        byte[] buffer = new byte[70_000];
        assertEquals(0, feed(r, parts.get(1), buffer, 0));
        assertEquals(0, feed(r, forged, buffer, 0));
        assertEquals(1, r.givenUp);
        for (byte[] part : parts) {
            feed(r, part, buffer, 0);
        }
        assertEquals(1, r.reassembled, "the real fragments, sent again, make it whole");
    }

    @Test
    void anIncompleteDatagramIsGivenUpAfterThirtySeconds() {
        List<byte[]> parts = fragments(segment(400, 9), 160);
        Ipv4Reassembly r = new Ipv4Reassembly();
        byte[] buffer = new byte[70_000];
        feed(r, parts.get(0), buffer, 0);
        assertEquals(1, r.waiting());
        feed(r, segmentFragmentOfAnother(), buffer, Ipv4Reassembly.TIMEOUT_NANOS);
        assertEquals(1, r.givenUp, "the first one timed out");
        assertEquals(0, feed(r, parts.get(1), buffer, Ipv4Reassembly.TIMEOUT_NANOS), "its rest alone is not whole");
        assertEquals(0, feed(r, parts.get(2), buffer, Ipv4Reassembly.TIMEOUT_NANOS));
    }

    private static byte[] segmentFragmentOfAnother() {
        return fragments(segment(400, 10), 160).get(0);
    }

    /** Tiny first fragments of many datagrams: what is held stays bounded in count and bytes. */
    @Test
    void aFloodOfFragmentsStaysBounded() {
        Ipv4Reassembly r = new Ipv4Reassembly();
        byte[] buffer = new byte[70_000];
        for (int id = 0; id < 20_000; id++) {
            byte[] part = fragments(segment(64, id & 0xffff), 8).get(1);
            part[IP + 12] = (byte) (id >>> 16); // another source each time past 64 Ki ids
            feed(r, part, buffer, 0);
            assertTrue(r.waiting() <= Ipv4Reassembly.MAX_DATAGRAMS);
        }
        // a last fragment far out: one byte at 65,520 must not make a 64 KiB buffer for each of thousands
        for (int id = 0; id < 2_000; id++) {
            byte[] part = fragments(segment(64, id), 8).get(0);
            part[IP + 6] = (byte) (8184 >>> 8); // offset 65,472, last
            part[IP + 7] = (byte) 8184;
            part[IP + 13] = 99;
            feed(r, part, buffer, 0);
        }
        assertTrue(r.givenUp > 0);
    }

    /** Random bytes as fragments never throw and never make anything but a parseable whole. */
    @Test
    void randomFragmentsNeverThrow() {
        Random random = new Random(11);
        Ipv4Reassembly r = new Ipv4Reassembly();
        byte[] buffer = new byte[70_000];
        for (int i = 0; i < 200_000; i++) {
            byte[] part = fragments(segment(64 + random.nextInt(200), random.nextInt(4)), 8 * (1 + random.nextInt(4))).get(0);
            for (int k = 0; k < 3; k++) {
                part[IP + 2 + random.nextInt(6)] = (byte) random.nextInt(256);
            }
            int length = random.nextInt(part.length + 1);
            System.arraycopy(part, 0, buffer, 0, part.length);
            int whole = r.add(buffer, IP, length, i * 1_000_000L);
            assertTrue(whole == 0 || whole <= buffer.length);
        }
    }
}
