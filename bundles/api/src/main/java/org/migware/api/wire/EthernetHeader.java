package org.migware.api.wire;

/**
 * Ethernet II (IEEE 802.3) and 802.1Q / 802.1ad tags: offsets from the frame's first byte, or
 * from a tag's TPID, which sits where an EtherType would.
 *
 * <pre>
 *   |  Destination MAC (6)  |  Source MAC (6)  | [TPID (2) | TCI (2)] x 0..n | EtherType (2) |
 *   TCI: | PCP (3) | DEI (1) | VLAN id (12) |
 * </pre>
 */
public final class EthernetHeader {

    public static final int DESTINATION_OFFSET = 0;
    public static final int SOURCE_OFFSET = 6;
    public static final int TYPE_OFFSET = 12;
    public static final int MAC_LENGTH = 6;
    /** Two MACs and the EtherType, without tags. */
    public static final int HEADER_LENGTH = 14;
    public static final int TYPE_LENGTH = 2;

    public static final int TYPE_IPV4 = 0x0800;
    public static final int TYPE_ARP = 0x0806;
    public static final int TYPE_IPV6 = 0x86dd;
    /** 802.1Q customer tag. */
    public static final int TYPE_VLAN = 0x8100;
    /** 802.1ad service tag (QinQ). */
    public static final int TYPE_QINQ = 0x88a8;
    /** The pre-standard QinQ TPID some switches still send. */
    public static final int TYPE_QINQ_LEGACY = 0x9100;

    /** Offset of the tag control information from the tag's TPID. */
    public static final int VLAN_TCI_OFFSET = 2;
    public static final int VLAN_TAG_LENGTH = 4;
    public static final int VLAN_ID_MASK = 0x0fff;

    private EthernetHeader() {
    }

    /** @return whether {@code etherType} is one of the VLAN tag protocol identifiers */
    public static boolean isVlanTag(int etherType) {
        return etherType == TYPE_VLAN || etherType == TYPE_QINQ || etherType == TYPE_QINQ_LEGACY;
    }
}
