package org.migware.proxy.internal.wire;

import java.io.IOException;

import org.migware.api.wire.EthernetHeader;
import org.migware.api.wire.Ipv4Header;

/**
 * Sends frames to clients in their VLAN ({@link WireVlans}): every frame MigWare builds (the
 * replica's translated answers, resets, the acknowledgement probe, ARP replies) is untagged and goes
 * from a service address to a client, which decide the tag. A frame to a client seen untagged, or
 * one already tagged, goes as it is.
 *
 * <p>The tagged copy goes through one buffer of its own, four bytes longer than the largest frame:
 * nothing is allocated per frame. Callers send under the engine's lock; the copy is synchronized
 * all the same, since the buffer must never be shared.
 */
public final class VlanTaggingWire implements WirePort {

    private static final int ARP_SENDER_ADDRESS_OFFSET = EthernetHeader.HEADER_LENGTH + 14;
    private static final int ARP_TARGET_ADDRESS_OFFSET = EthernetHeader.HEADER_LENGTH + 24;
    private static final int IPV4_SOURCE_OFFSET = EthernetHeader.HEADER_LENGTH + Ipv4Header.SOURCE_OFFSET;
    private static final int IPV4_DESTINATION_OFFSET = IPV4_SOURCE_OFFSET + 4;

    private final WirePort wire;
    private final WireVlans vlans;
    private final byte[] tagged;

    /** @param maxFrame the largest untagged frame that will be sent */
    public VlanTaggingWire(WirePort wire, WireVlans vlans, int maxFrame) {
        this.wire = wire;
        this.vlans = vlans;
        this.tagged = new byte[maxFrame + EthernetHeader.VLAN_TAG_LENGTH];
    }

    @Override
    public void send(byte[] frame, int offset, int length) throws IOException {
        int vlan = vlans.any() ? vlanFor(frame, offset, length) : WireVlans.UNTAGGED;
        if (vlan == WireVlans.UNTAGGED) {
            wire.send(frame, offset, length);
            return;
        }
        sendTagged(frame, offset, length, vlan);
    }

    private synchronized void sendTagged(byte[] frame, int offset, int length, int vlan) throws IOException {
        if (length + EthernetHeader.VLAN_TAG_LENGTH > tagged.length) {
            throw new IOException("frame of " + length + " bytes is longer than the largest frame ("
                    + (tagged.length - EthernetHeader.VLAN_TAG_LENGTH) + ")");
        }
        int macs = EthernetHeader.TYPE_OFFSET;
        System.arraycopy(frame, offset, tagged, 0, macs);
        tagged[macs] = (byte) (EthernetHeader.TYPE_VLAN >>> 8);
        tagged[macs + 1] = (byte) EthernetHeader.TYPE_VLAN;
        tagged[macs + 2] = (byte) (vlan >>> 8 & 0x0f); // PCP 0, DEI 0
        tagged[macs + 3] = (byte) vlan;
        System.arraycopy(frame, offset + macs, tagged, macs + EthernetHeader.VLAN_TAG_LENGTH, length - macs);
        wire.send(tagged, 0, length + EthernetHeader.VLAN_TAG_LENGTH);
    }

    /** @return the VLAN of the frame's client, or {@link WireVlans#UNTAGGED} (already tagged, too short, neither IPv4 nor ARP) */
    private int vlanFor(byte[] frame, int offset, int length) {
        if (length < EthernetHeader.HEADER_LENGTH) {
            return WireVlans.UNTAGGED;
        }
        int type = WireVlans.u16(frame, offset + EthernetHeader.TYPE_OFFSET);
        int from;
        int to;
        if (type == EthernetHeader.TYPE_IPV4) {
            from = IPV4_SOURCE_OFFSET;
            to = IPV4_DESTINATION_OFFSET;
        } else if (type == EthernetHeader.TYPE_ARP) {
            from = ARP_SENDER_ADDRESS_OFFSET;
            to = ARP_TARGET_ADDRESS_OFFSET;
        } else {
            return WireVlans.UNTAGGED;
        }
        if (length < Math.max(from, to) + 4) {
            return WireVlans.UNTAGGED;
        }
        return vlans.vlanFor(WireVlans.i32(frame, offset + from), WireVlans.i32(frame, offset + to));
    }
}
