package org.migware.lab.network;

import java.nio.ByteBuffer;

/**
 * The 802.1Q tag on a frame as a {@link WireBox} reads and writes it: a {@code virtio_net_hdr}
 * ({@link PacketSocket#VNET_HEADER} bytes), then the Ethernet frame. Static methods over a buffer
 * and an offset, no state, nothing allocated: the box calls them on every frame of a trunk.
 *
 * <pre>
 *  virtio_net_hdr (little-endian, the kernel's vio_le() on x86 and arm64)
 *   0: flags (1 = NEEDS_CSUM)   1: gso_type (0 = NONE)   2: hdr_len   4: gso_size   6: csum_start   8: csum_offset
 *  Ethernet, untagged                          Ethernet, tagged (IEEE 802.1Q)
 *   0: destination MAC (6)                      0: destination MAC (6)
 *   6: source MAC (6)                           6: source MAC (6)
 *  12: EtherType (2)                           12: TPID 0x8100 (2)
 *  14: payload                                 14: TCI: PCP (3 bits) DEI (1) VLAN id (12)
 *                                              16: EtherType (2)
 *                                              18: payload
 * </pre>
 *
 * <p>{@code csum_start} and {@code hdr_len} count from the frame's first byte: a tag put in or
 * taken out moves them by four bytes, or the kernel would checksum (and, for a TSO frame, cut
 * segments) four bytes off.
 */
final class VlanTag {

    /** The bytes a tag adds. */
    static final int LENGTH = 4;
    /** The 802.1Q tag protocol identifier (a C-tag). */
    static final int TPID = 0x8100;
    /** The 802.1ad service tag's (QinQ's outer tag). */
    static final int SERVICE_TPID = 0x88a8;
    /** The largest VLAN id (4095 is reserved). */
    static final int MAX_ID = 4094;
    /** The VLAN id's bits in the TCI. */
    static final int ID_MASK = 0x0fff;

    static final int VNET_FLAGS_OFFSET = 0;
    static final int VNET_GSO_TYPE_OFFSET = 1;
    static final int VNET_HDR_LEN_OFFSET = 2;
    static final int VNET_CSUM_START_OFFSET = 6;
    static final int VNET_NEEDS_CSUM = 1;
    static final int VNET_GSO_NONE = 0;

    /** The two MAC addresses before the EtherType or the tag. */
    static final int MAC_ADDRESSES = 12;
    static final int ETHER_TYPE_OFFSET = MAC_ADDRESSES;
    static final int TCI_OFFSET = MAC_ADDRESSES + 2;
    /** The shortest frame with a whole Ethernet header, after the virtio_net_hdr. */
    static final int MIN_READ = PacketSocket.VNET_HEADER + MAC_ADDRESSES + 2;

    private VlanTag() {
    }

    /**
     * Tags a frame that was read {@link #LENGTH} bytes after {@code start}: the virtio_net_hdr and
     * the MAC addresses move back by four bytes into the room left before them, the tag goes
     * between the addresses and the EtherType, which with the payload stays where it was read.
     * Moves 22 bytes whatever the frame's length.
     *
     * @param buffer holds the frame read at {@code start + LENGTH}, with room before it from {@code start}
     * @param start where the tagged frame (its virtio_net_hdr) will begin
     * @param readLength what was read at {@code start + LENGTH}: the header and the frame; at least {@link #MIN_READ}
     * @param tci the tag's control information: priority 0 and the VLAN id for a trunk
     * @return the tagged frame's length, header included: {@code readLength + LENGTH}
     */
    static int insert(ByteBuffer buffer, int start, int readLength, int tci) {
        int moved = PacketSocket.VNET_HEADER + MAC_ADDRESSES;
        // ascending: every byte moves to a lower index, never onto one still to be read
        for (int i = 0; i < moved; i++) {
            buffer.put(start + i, buffer.get(start + LENGTH + i));
        }
        int tag = start + moved;
        putShort(buffer, tag, TPID);
        putShort(buffer, tag + 2, tci);
        shiftOffsets(buffer, start, LENGTH);
        return readLength + LENGTH;
    }

    /**
     * Takes a tag out of a frame that still carries it in its bytes: the payload from the
     * EtherType on moves forward by four, the header and addresses stay. Moves the whole frame:
     * only for a tag the kernel left in the bytes, which a receiving Linux does not (it moves the
     * tag into the socket buffer's metadata, {@code skb_vlan_untag}).
     *
     * @param buffer holds the frame
     * @param start where its virtio_net_hdr begins
     * @param length header and frame; the frame must be tagged (see {@link #etherType})
     * @return the untagged frame's length: {@code length - LENGTH}
     */
    static int remove(ByteBuffer buffer, int start, int length) {
        int from = start + PacketSocket.VNET_HEADER + TCI_OFFSET + 2;
        int to = from - LENGTH;
        int end = start + length;
        // ascending again: bytes move to lower indices
        for (; from + Long.BYTES <= end; from += Long.BYTES, to += Long.BYTES) {
            buffer.putLong(to, buffer.getLong(from));
        }
        for (; from < end; from++, to++) {
            buffer.put(to, buffer.get(from));
        }
        shiftOffsets(buffer, start, -LENGTH);
        return length - LENGTH;
    }

    /**
     * @param buffer a frame behind its virtio_net_hdr at {@code start}, at least {@link #MIN_READ} long
     * @param start where the header begins
     * @return the EtherType, or the TPID when the frame is tagged
     */
    static int etherType(ByteBuffer buffer, int start) {
        return getShort(buffer, start + PacketSocket.VNET_HEADER + ETHER_TYPE_OFFSET);
    }

    /**
     * @param buffer a tagged frame ({@link #etherType} is a TPID) behind its header, at least {@link #MIN_READ} + 2 long
     * @param start where the header begins
     * @return the tag's control information
     */
    static int tci(ByteBuffer buffer, int start) {
        return getShort(buffer, start + PacketSocket.VNET_HEADER + TCI_OFFSET);
    }

    /** @return whether an EtherType is a tag's (802.1Q or 802.1ad) */
    static boolean isTag(int etherType) {
        return etherType == TPID || etherType == SERVICE_TPID;
    }

    /**
     * The header's offsets into the frame, moved by a tag put in or taken out: {@code csum_start}
     * when the kernel is to fill in the checksum, {@code hdr_len} of a TSO frame (the headers each
     * segment repeats).
     */
    private static void shiftOffsets(ByteBuffer buffer, int start, int by) {
        if ((buffer.get(start + VNET_FLAGS_OFFSET) & VNET_NEEDS_CSUM) != 0) {
            putLittleShort(buffer, start + VNET_CSUM_START_OFFSET, getLittleShort(buffer, start + VNET_CSUM_START_OFFSET) + by);
        }
        if ((buffer.get(start + VNET_GSO_TYPE_OFFSET) & 0xff) != VNET_GSO_NONE) {
            putLittleShort(buffer, start + VNET_HDR_LEN_OFFSET, getLittleShort(buffer, start + VNET_HDR_LEN_OFFSET) + by);
        }
    }

    /** Where the source MAC begins in the frame. */
    static final int SOURCE_MAC_OFFSET = 6;

    /**
     * @param buffer a frame behind its virtio_net_hdr at {@code start}, at least {@link #MIN_READ} long
     * @param start where the header begins
     * @param offset 0 for the destination MAC, {@link #SOURCE_MAC_OFFSET} for the source
     * @return that MAC as 48 bits
     */
    static long mac(ByteBuffer buffer, int start, int offset) {
        long mac = 0;
        int at = start + PacketSocket.VNET_HEADER + offset;
        for (int i = 0; i < 6; i++) {
            mac = mac << 8 | buffer.get(at + i) & 0xff;
        }
        return mac;
    }

    /** Moves a frame read {@link #LENGTH} bytes after {@code start} back to {@code start}, unchanged. */
    static void moveBack(ByteBuffer buffer, int start, int length) {
        int from = start + LENGTH;
        int to = start;
        int end = from + length;
        for (; from + Long.BYTES <= end; from += Long.BYTES, to += Long.BYTES) {
            buffer.putLong(to, buffer.getLong(from));
        }
        for (; from < end; from++, to++) {
            buffer.put(to, buffer.get(from));
        }
    }

    /** Network byte order, whatever the buffer's order. */
    static int getShort(ByteBuffer buffer, int index) {
        return (buffer.get(index) & 0xff) << 8 | buffer.get(index + 1) & 0xff;
    }

    static void putShort(ByteBuffer buffer, int index, int value) {
        buffer.put(index, (byte) (value >>> 8));
        buffer.put(index + 1, (byte) value);
    }

    static int getLittleShort(ByteBuffer buffer, int index) {
        return buffer.get(index) & 0xff | (buffer.get(index + 1) & 0xff) << 8;
    }

    static void putLittleShort(ByteBuffer buffer, int index, int value) {
        buffer.put(index, (byte) value);
        buffer.put(index + 1, (byte) (value >>> 8));
    }
}
