package org.migware.parser.internal;

import static org.migware.parser.internal.FrameBytes.readMac;
import static org.migware.parser.internal.FrameBytes.readUnsignedShort;
import static org.migware.parser.internal.FrameBytes.writeMac;

import org.migware.api.packet.ParseResult;
import org.migware.api.wire.EthernetHeader;

/**
 * The flyweight view of an Ethernet II header (IEEE 802.3) and its 802.1Q / 802.1ad tags
 * (IEEE 802.1Q):
 *
 * <pre>
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                  Destination MAC (6 bytes)                    |
 *   +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                               |                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *   |                    Source MAC (6 bytes)                       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  TPID 0x8100/0x88a8/0x9100    | PCP |D|       VLAN id         |  0..4 tags
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           EtherType           |  IPv4 or IPv6 header ...
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
final class EthernetView {

    /**
     * Stacked VLAN tags walked before giving up with {@link ParseResult#TOO_MANY_VLAN_TAGS}.
     * Real networks stack two (802.1ad QinQ); four leaves room for provider nesting while
     * bounding the walk of a frame that is nothing but TPIDs.
     */
    static final int MAX_VLAN_TAGS = 4;

    private int frameOffset;
    private int frameLength;
    private int vlanTagCount;
    private int outerVlanId;
    private int etherType;
    private int networkOffset;


    void reset(int offset, int length) {
        frameOffset = offset;
        frameLength = length;
        vlanTagCount = 0;
        outerVlanId = -1;
        etherType = -1;
        networkOffset = -1;
    }

    /**
     * Walks the header and its tags.
     *
     * @return an error, or {@link ParseResult#NOT_IP} once the header is sound: then
     *     {@link #etherType()} says what follows at {@link #networkOffset()}
     */
    ParseResult parse(byte[] bytes) {
        if (frameLength < EthernetHeader.HEADER_LENGTH) {
            return ParseResult.TRUNCATED_ETHERNET;
        }
        int frameEnd = frameOffset + frameLength;
        int typeOffset = frameOffset + EthernetHeader.TYPE_OFFSET;
        int type = readUnsignedShort(bytes, typeOffset);
        int tags = 0;
        while (EthernetHeader.isVlanTag(type)) {
            if (tags == MAX_VLAN_TAGS) {
                vlanTagCount = tags;
                return ParseResult.TOO_MANY_VLAN_TAGS;
            }
            // the tag's TCI and the EtherType (or next TPID) behind it
            if (frameEnd - typeOffset < EthernetHeader.VLAN_TAG_LENGTH + EthernetHeader.TYPE_LENGTH) {
                vlanTagCount = tags;
                return ParseResult.TRUNCATED_VLAN;
            }
            if (tags == 0) {
                outerVlanId = readUnsignedShort(bytes, typeOffset + EthernetHeader.VLAN_TCI_OFFSET) & EthernetHeader.VLAN_ID_MASK;
            }
            tags++;
            typeOffset += EthernetHeader.VLAN_TAG_LENGTH;
            type = readUnsignedShort(bytes, typeOffset);
        }
        vlanTagCount = tags;
        etherType = type;
        networkOffset = typeOffset + EthernetHeader.TYPE_LENGTH;
        return ParseResult.NOT_IP;
    }

    int networkOffset() {
        return networkOffset;
    }

    long destinationMac(byte[] bytes) {
        return hasHeader() ? readMac(bytes, frameOffset + EthernetHeader.DESTINATION_OFFSET) : -1L;
    }

    long sourceMac(byte[] bytes) {
        return hasHeader() ? readMac(bytes, frameOffset + EthernetHeader.SOURCE_OFFSET) : -1L;
    }

    int vlanTagCount() {
        return vlanTagCount;
    }

    int outerVlanId() {
        return outerVlanId;
    }

    int etherType() {
        return etherType;
    }

    boolean setSourceMac(byte[] bytes, long mac) {
        if (!hasHeader()) {
            return false;
        }
        writeMac(bytes, frameOffset + EthernetHeader.SOURCE_OFFSET, mac);
        return true;
    }

    boolean setDestinationMac(byte[] bytes, long mac) {
        if (!hasHeader()) {
            return false;
        }
        writeMac(bytes, frameOffset + EthernetHeader.DESTINATION_OFFSET, mac);
        return true;
    }

    private boolean hasHeader() {
        return frameLength >= EthernetHeader.HEADER_LENGTH;
    }
}
