package org.migware.proxy.internal.translation;

import org.migware.api.wire.EthernetHeader;

/**
 * Answers ARP requests for the service address with the primary's MAC. After failover nobody
 * else does, and a Linux client forgets a neighbour that stops answering within seconds: its
 * connection would stall although MigWare keeps it.
 *
 * <p>A frame may carry up to {@value #MAX_TAGS} 802.1Q / 802.1ad tags (a trunk or a tagged mirror
 * port): they are stepped over. The reply is written untagged; {@code VlanTaggingWire} tags it.
 *
 * <pre>
 * Ethernet: dst(6) src(6) type 0x0806 (2)
 * ARP:      htype 1 (2) ptype 0x0800 (2) hlen 6 (1) plen 4 (1) oper (2)
 *           sha (6) spa (4) tha (6) tpa (4)
 * </pre>
 */
public final class ArpResponder {

    public static final int FRAME_LENGTH = 14 + 28;
    private static final int ETHER_TYPE_OFFSET = 12;
    private static final int ARP_OFFSET = 14;
    private static final int OPER_OFFSET = ARP_OFFSET + 6;
    private static final int SHA_OFFSET = ARP_OFFSET + 8;
    private static final int SPA_OFFSET = ARP_OFFSET + 14;
    private static final int THA_OFFSET = ARP_OFFSET + 18;
    private static final int TPA_OFFSET = ARP_OFFSET + 24;

    /** Tags stepped over before the EtherType, as on a QinQ trunk. */
    static final int MAX_TAGS = 2;

    private ArpResponder() {
    }

    /**
     * @return the bytes of VLAN tags after the MACs (0 when untagged): the frame, read {@code
     *     shift} bytes further on, looks untagged from its EtherType on
     */
    static int tagBytes(byte[] frame, int offset, int length) {
        int shift = 0;
        while (shift < MAX_TAGS * EthernetHeader.VLAN_TAG_LENGTH && length - shift >= ETHER_TYPE_OFFSET + 2
                && EthernetHeader.isVlanTag(u16(frame, offset + shift + ETHER_TYPE_OFFSET))) {
            shift += EthernetHeader.VLAN_TAG_LENGTH;
        }
        return shift;
    }

    /** @return whether {@code frame}, after its tags, says it is ARP and is long enough for an ARP packet */
    public static boolean isArp(byte[] frame, int offset, int length) {
        int shift = tagBytes(frame, offset, length);
        return length - shift >= FRAME_LENGTH && u16(frame, offset + shift + ETHER_TYPE_OFFSET) == EthernetHeader.TYPE_ARP;
    }

    /**
     * @return the sender's IPv4 address of an ARP request or reply for IPv4 over Ethernet, or 0
     *     when {@code frame} is no such packet; its MAC is {@link #senderMac}
     */
    public static int senderAddress(byte[] frame, int offset, int length) {
        int shift = tagBytes(frame, offset, length);
        offset += shift;
        length -= shift;
        if (length < FRAME_LENGTH || u16(frame, offset + ETHER_TYPE_OFFSET) != 0x0806
                || u16(frame, offset + ARP_OFFSET) != 1 || u16(frame, offset + ARP_OFFSET + 2) != 0x0800
                || (frame[offset + ARP_OFFSET + 4] & 0xff) != 6 || (frame[offset + ARP_OFFSET + 5] & 0xff) != 4) {
            return 0;
        }
        return i32(frame, offset + SPA_OFFSET);
    }

    /** @return the sender's MAC of an ARP packet {@link #senderAddress} accepted */
    public static long senderMac(byte[] frame, int offset, int length) {
        offset += tagBytes(frame, offset, length);
        long mac = 0;
        for (int i = 0; i < 6; i++) {
            mac = mac << 8 | (frame[offset + SHA_OFFSET + i] & 0xff);
        }
        return mac;
    }

    /** @return the address an ARP request for IPv4 over Ethernet asks for, or 0 when {@code frame} is no such request */
    public static int requestedAddress(byte[] frame, int offset, int length) {
        int shift = tagBytes(frame, offset, length);
        offset += shift;
        length -= shift;
        if (length < FRAME_LENGTH || u16(frame, offset + ETHER_TYPE_OFFSET) != 0x0806
                || u16(frame, offset + ARP_OFFSET) != 1 || u16(frame, offset + ARP_OFFSET + 2) != 0x0800
                || (frame[offset + ARP_OFFSET + 4] & 0xff) != 6 || (frame[offset + ARP_OFFSET + 5] & 0xff) != 4
                || u16(frame, offset + OPER_OFFSET) != 1) {
            return 0;
        }
        return i32(frame, offset + TPA_OFFSET);
    }

    /**
     * @return the length of the reply written into {@code reply} (from offset 0), or -1 when
     *     {@code frame} is not an ARP request for {@code serviceAddress}
     */
    public static int reply(byte[] frame, int offset, int length, int serviceAddress, long serviceMac, byte[] reply) {
        int shift = tagBytes(frame, offset, length);
        offset += shift;
        length -= shift;
        if (length < FRAME_LENGTH || reply.length < FRAME_LENGTH) {
            return -1;
        }
        if (u16(frame, offset + ETHER_TYPE_OFFSET) != 0x0806
                || u16(frame, offset + ARP_OFFSET) != 1 || u16(frame, offset + ARP_OFFSET + 2) != 0x0800
                || (frame[offset + ARP_OFFSET + 4] & 0xff) != 6 || (frame[offset + ARP_OFFSET + 5] & 0xff) != 4
                || u16(frame, offset + OPER_OFFSET) != 1
                || i32(frame, offset + TPA_OFFSET) != serviceAddress) {
            return -1;
        }
        // Ethernet: to the asker, from the primary's MAC.
        System.arraycopy(frame, offset + SHA_OFFSET, reply, 0, 6);
        putMac(reply, 6, serviceMac);
        reply[12] = 0x08;
        reply[13] = 0x06;
        System.arraycopy(frame, offset + ARP_OFFSET, reply, ARP_OFFSET, 6); // htype, ptype, hlen, plen
        reply[OPER_OFFSET] = 0;
        reply[OPER_OFFSET + 1] = 2;
        putMac(reply, SHA_OFFSET, serviceMac);
        putI32(reply, SPA_OFFSET, serviceAddress);
        System.arraycopy(frame, offset + SHA_OFFSET, reply, THA_OFFSET, 6);
        System.arraycopy(frame, offset + SPA_OFFSET, reply, TPA_OFFSET, 4);
        return FRAME_LENGTH;
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xff) << 8 | (b[at + 1] & 0xff);
    }

    private static int i32(byte[] b, int at) {
        return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
    }

    private static void putI32(byte[] b, int at, int value) {
        b[at] = (byte) (value >>> 24);
        b[at + 1] = (byte) (value >>> 16);
        b[at + 2] = (byte) (value >>> 8);
        b[at + 3] = (byte) value;
    }

    private static void putMac(byte[] b, int at, long mac) {
        for (int i = 0; i < 6; i++) {
            b[at + i] = (byte) (mac >>> (40 - 8 * i));
        }
    }
}
