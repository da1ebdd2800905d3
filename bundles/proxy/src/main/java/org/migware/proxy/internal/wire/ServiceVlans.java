package org.migware.proxy.internal.wire;

import java.util.Arrays;

import org.migware.api.wire.EthernetHeader;

/**
 * The VLAN each service address was last seen in on the capture: on a trunk or a tagged mirror
 * port, what MigWare sends for a service address (the replica's answers, resets, ARP replies)
 * must carry the tag its clients' switch port expects, or the switch drops it.
 *
 * <p>Learned from every captured frame from or to a service address, in NORMAL and in PROXY alike,
 * so that a restarted MigWare learns it again from the clients' next frame (the primary no longer
 * sends). Only configured service addresses are noted, so their number bounds the table. Written by
 * the capture thread; read by whichever thread sends, without a lock: the arrays are replaced, never
 * changed, and only when an address is new or moves to another VLAN.
 */
public final class ServiceVlans {

    /** No tag: the address was seen untagged, or never. */
    public static final int UNTAGGED = -1;

    private record Table(int[] addresses, int[] vlans) {
    }

    private volatile Table table = new Table(new int[0], new int[0]);

    /** Notes that a frame from or to {@code address} carried {@code vlanId} ({@link #UNTAGGED} when none). */
    public void note(int address, int vlanId) {
        Table t = table;
        int[] addresses = t.addresses;
        for (int i = 0; i < addresses.length; i++) {
            if (addresses[i] == address) {
                if (t.vlans[i] != vlanId) {
                    int[] vlans = t.vlans.clone();
                    vlans[i] = vlanId;
                    table = new Table(addresses, vlans);
                }
                return;
            }
        }
        if (vlanId == UNTAGGED) {
            return; // an address never seen tagged needs no entry
        }
        int[] grownAddresses = Arrays.copyOf(addresses, addresses.length + 1);
        int[] grownVlans = Arrays.copyOf(t.vlans, addresses.length + 1);
        grownAddresses[addresses.length] = address;
        grownVlans[addresses.length] = vlanId;
        table = new Table(grownAddresses, grownVlans);
    }

    /** @return the VLAN id {@code address} was last seen in, or {@link #UNTAGGED} */
    public int vlanOf(int address) {
        Table t = table;
        int[] addresses = t.addresses;
        for (int i = 0; i < addresses.length; i++) {
            if (addresses[i] == address) {
                return t.vlans[i];
            }
        }
        return UNTAGGED;
    }

    /**
     * @return the VLAN id of the frame's one 802.1Q tag, or {@link #UNTAGGED}: untagged, or stacked
     *     tags (QinQ), which MigWare does not put on what it sends
     */
    public static int outerVlanId(byte[] frame, int offset, int length) {
        int at = offset + EthernetHeader.TYPE_OFFSET;
        if (length < EthernetHeader.HEADER_LENGTH + EthernetHeader.VLAN_TAG_LENGTH
                || u16(frame, at) != EthernetHeader.TYPE_VLAN
                || EthernetHeader.isVlanTag(u16(frame, at + EthernetHeader.VLAN_TAG_LENGTH))) {
            return UNTAGGED;
        }
        return u16(frame, at + EthernetHeader.VLAN_TCI_OFFSET) & EthernetHeader.VLAN_ID_MASK;
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xff) << 8 | b[at + 1] & 0xff;
    }

    /** @return whether any service address was seen tagged: only then does a frame need looking at */
    public boolean any() {
        return table.addresses.length > 0;
    }
}
