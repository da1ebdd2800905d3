package org.migware.proxy.internal.translation;

import java.util.BitSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

import org.migware.api.wire.InternetChecksum;
import org.migware.api.wire.Ipv4Header;

/**
 * Puts the fragments of a client's IPv4 datagram together again, as the kernel's own defragmenter
 * does before conntrack sees a packet, so that a client whose segments are fragmented on its path
 * (DF clear, a smaller MTU) still reaches the replica: a part of a segment is never passed on as
 * if it were whole, and without reassembly every retransmission, fragmented the same way, would
 * be lost too.
 *
 * <p>Bounded as Linux bounds its own ({@code ipfrag_time}, {@code ipfrag_high_thresh}): a datagram
 * not complete within 30 s is given up, and at most {@link #MAX_BYTES} wait in all (the oldest go
 * first). Fragments that overlap with other bytes than those already held give the datagram up
 * (Linux has done so since 2018: overlaps are an attack, never a network's doing); an exact
 * duplicate, which a mirror can make, is ignored. Each datagram given up is counted.
 *
 * <p>Fragments are rare, so this path allocates (a key and a buffer per datagram); the
 * per-packet path of whole segments never enters it. Not thread-safe: the engine's lock guards it.
 */
public final class Ipv4Reassembly {

    /** How long a datagram may wait for its missing fragments (Linux: {@code ipfrag_time}, 30 s). */
    public static final long TIMEOUT_NANOS = 30_000_000_000L;
    /** Bytes held in all (Linux: {@code ipfrag_high_thresh}, 4 MiB). */
    public static final int MAX_BYTES = 4 << 20;
    /** Datagrams waiting at once: tiny fragments of many datagrams cost their keys and bit sets too. */
    public static final int MAX_DATAGRAMS = 4096;
    private static final int MAX_DATAGRAM = 65_535;
    private static final int BLOCK = 8;

    private final Map<Key, Datagram> waiting = new LinkedHashMap<>();
    private int bytesHeld;
    /** Datagrams given up: timed out, overlapping, too large, or pushed out by the bound. */
    public long givenUp;
    /** Datagrams put together and passed on. */
    public long reassembled;

    private record Key(int source, int destination, int identification, int protocol) {
    }

    private static final class Datagram {
        final long firstSeenNanos;
        /** Grown as fragments come: what a datagram holds is what it is charged. */
        byte[] payload = new byte[0];
        final BitSet blocks = new BitSet();
        /** The link header and IP header of the fragment at offset 0, once it came. */
        byte[] head;
        int headIpOffset;
        int payloadLength = -1;

        Datagram(long now) {
            firstSeenNanos = now;
        }
    }

    /**
     * Takes one fragment of the frame in {@code frame[0, length)}, whose IPv4 header starts at
     * {@code ipOffset}.
     *
     * @return the length of the whole frame written back into {@code frame} (the first fragment's
     *     link header, its IP header with the fragment fields cleared, the whole payload) once the
     *     datagram is complete; 0 while fragments are missing or when it was given up
     */
    public int add(byte[] frame, int ipOffset, int length, long now) {
        expire(now);
        int headerLength = (frame[ipOffset] & Ipv4Header.IHL_MASK) * Ipv4Header.IHL_UNIT;
        int totalLength = readShort(frame, ipOffset + Ipv4Header.TOTAL_LENGTH_OFFSET);
        int flags = readShort(frame, ipOffset + Ipv4Header.FLAGS_FRAGMENT_OFFSET);
        int offset = (flags & Ipv4Header.FRAGMENT_OFFSET_MASK) * BLOCK;
        boolean more = (flags & Ipv4Header.MORE_FRAGMENTS) != 0;
        int size = totalLength - headerLength;
        if (ipOffset + totalLength > length || size <= 0 || (more && size % BLOCK != 0) || offset + size > MAX_DATAGRAM) {
            givenUp++; // cut by the capture, empty, misaligned or beyond 64 KiB: it can never be put together
            return 0;
        }
        Key key = new Key(readInt(frame, ipOffset + Ipv4Header.SOURCE_OFFSET), readInt(frame, ipOffset + Ipv4Header.DESTINATION_OFFSET),
                readShort(frame, ipOffset + Ipv4Header.IDENTIFICATION_OFFSET), frame[ipOffset + Ipv4Header.PROTOCOL_OFFSET] & 0xff);
        Datagram d = waiting.get(key);
        if (d == null) {
            if (waiting.size() >= MAX_DATAGRAMS) {
                Map.Entry<Key, Datagram> oldest = waiting.entrySet().iterator().next();
                giveUp(oldest.getKey(), oldest.getValue());
            }
            d = new Datagram(now);
            waiting.put(key, d);
        }
        if (!more) {
            if (d.payloadLength >= 0 && d.payloadLength != offset + size || d.blocks.length() > (offset + size + BLOCK - 1) / BLOCK) {
                giveUp(key, d); // two different ends, or bytes held beyond this end
                return 0;
            }
            d.payloadLength = offset + size;
        }
        if (!take(d, frame, ipOffset + headerLength, offset, size)) {
            giveUp(key, d);
            return 0;
        }
        if (offset == 0 && d.head == null) {
            d.head = java.util.Arrays.copyOf(frame, ipOffset + headerLength);
            d.headIpOffset = ipOffset;
        }
        while (bytesHeld > MAX_BYTES && !waiting.isEmpty()) {
            Map.Entry<Key, Datagram> oldest = waiting.entrySet().iterator().next();
            giveUp(oldest.getKey(), oldest.getValue());
        }
        if (!waiting.containsKey(key) || d.head == null || d.payloadLength < 0
                || d.blocks.nextClearBit(0) * BLOCK < d.payloadLength) {
            return 0;
        }
        waiting.remove(key);
        bytesHeld -= d.payload.length;
        int whole = d.head.length - d.headIpOffset + d.payloadLength;
        if (whole > MAX_DATAGRAM || d.head.length + d.payloadLength > frame.length) {
            givenUp++; // larger than an IP datagram can be (the ping of death's trick), or than the frame buffer
            return 0;
        }
        reassembled++;
        return writeWhole(d, frame);
    }

    /** @return whether the bytes fit with those already held: new, or the same again */
    private boolean take(Datagram d, byte[] frame, int from, int offset, int size) {
        int firstBlock = offset / BLOCK;
        int lastBlock = (offset + size - 1) / BLOCK;
        if (d.payloadLength >= 0 && offset + size > d.payloadLength) {
            return false; // beyond the end the last fragment set
        }
        int held = d.blocks.nextSetBit(firstBlock);
        if (held >= 0 && held <= lastBlock) {
            // An overlap: only an exact copy of what is held is harmless (a duplicated frame).
            if (d.blocks.nextClearBit(firstBlock) <= lastBlock
                    || !java.util.Arrays.equals(d.payload, offset, offset + size, frame, from, from + size)) {
                return false;
            }
            return true;
        }
        if (offset + size > d.payload.length) {
            int capacity = Math.min(MAX_DATAGRAM, Math.max(offset + size, 2 * d.payload.length));
            bytesHeld += capacity - d.payload.length;
            d.payload = java.util.Arrays.copyOf(d.payload, capacity);
        }
        System.arraycopy(frame, from, d.payload, offset, size);
        d.blocks.set(firstBlock, lastBlock + 1);
        return true;
    }

    private static int writeWhole(Datagram d, byte[] frame) {
        int ipOffset = d.headIpOffset;
        System.arraycopy(d.head, 0, frame, 0, d.head.length);
        System.arraycopy(d.payload, 0, frame, d.head.length, d.payloadLength);
        int totalLength = d.head.length - ipOffset + d.payloadLength;
        writeShort(frame, ipOffset + Ipv4Header.TOTAL_LENGTH_OFFSET, totalLength);
        writeShort(frame, ipOffset + Ipv4Header.FLAGS_FRAGMENT_OFFSET,
                readShort(frame, ipOffset + Ipv4Header.FLAGS_FRAGMENT_OFFSET) & Ipv4Header.DONT_FRAGMENT);
        writeShort(frame, ipOffset + Ipv4Header.CHECKSUM_OFFSET, 0);
        writeShort(frame, ipOffset + Ipv4Header.CHECKSUM_OFFSET,
                InternetChecksum.checksum(frame, ipOffset, d.head.length - ipOffset, 0));
        return d.head.length + d.payloadLength;
    }

    private void expire(long now) {
        for (Iterator<Map.Entry<Key, Datagram>> it = waiting.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Key, Datagram> e = it.next();
            if (now - e.getValue().firstSeenNanos < TIMEOUT_NANOS) {
                return; // insertion order: the rest are younger
            }
            it.remove();
            bytesHeld -= e.getValue().payload.length;
            givenUp++;
        }
    }

    private void giveUp(Key key, Datagram d) {
        if (waiting.remove(key) != null) {
            bytesHeld -= d.payload.length;
            givenUp++;
        }
    }

    /** @return the datagrams waiting for fragments */
    public int waiting() {
        return waiting.size();
    }

    private static int readShort(byte[] b, int at) {
        return (b[at] & 0xff) << 8 | b[at + 1] & 0xff;
    }

    private static int readInt(byte[] b, int at) {
        return readShort(b, at) << 16 | readShort(b, at + 2);
    }

    private static void writeShort(byte[] b, int at, int value) {
        b[at] = (byte) (value >>> 8);
        b[at + 1] = (byte) value;
    }
}
