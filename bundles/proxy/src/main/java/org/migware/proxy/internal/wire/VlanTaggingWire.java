package org.migware.proxy.internal.wire;

import java.io.IOException;

import org.migware.api.wire.EthernetHeader;
import org.migware.api.wire.Ipv4Header;

/**
 * Sends frames to clients in the VLAN their service address was seen in ({@link ServiceVlans}):
 * every frame MigWare builds (the replica's translated answers, resets, the acknowledgement probe,
 * ARP replies) is untagged and comes from a service address, which decides the tag. A frame from
 * an address seen untagged, or one already tagged, goes as it is.
 *
 * <p>The tagged copy goes through one buffer of its own, four bytes longer than the largest frame:
 * nothing is allocated per frame. Callers send under the engine's lock; the method is synchronized
 * all the same, since the buffer must never be shared.
 */
public final class VlanTaggingWire implements WirePort {

    private static final int ARP_SENDER_ADDRESS_OFFSET = EthernetHeader.HEADER_LENGTH + 14;
    private static final int IPV4_SOURCE_OFFSET = EthernetHeader.HEADER_LENGTH + Ipv4Header.SOURCE_OFFSET;

    private final WirePort wire;
    private final ServiceVlans vlans;
    private final byte[] tagged;

    /** @param maxFrame the largest untagged frame that will be sent */
    public VlanTaggingWire(WirePort wire, ServiceVlans vlans, int maxFrame) {
        this.wire = wire;
        this.vlans = vlans;
        this.tagged = new byte[maxFrame + EthernetHeader.VLAN_TAG_LENGTH];
    }

    @Override
    public void send(byte[] frame, int offset, int length) throws IOException {
        int vlan = vlans.any() ? vlanFor(frame, offset, length) : ServiceVlans.UNTAGGED;
        if (vlan == ServiceVlans.UNTAGGED) {
            wire.send(frame, offset, length);
            return;
        }
        sendTagged(frame, offset, length, vlan);
    }

    private synchronized void sendTagged(byte[] frame, int offset, int length, int vlan) throws IOException {
        if (length + EthernetHeader.VLAN_TAG_LENGTH > tagged.length) {
            throw new IOException("frame of " + length + " bytes is longer than the largest frame (" + (tagged.length - 4) + ")");
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

    /** @return the VLAN of the frame's sending address, or {@link ServiceVlans#UNTAGGED} (already tagged, too short, neither IPv4 nor ARP) */
    private int vlanFor(byte[] frame, int offset, int length) {
        if (length < EthernetHeader.HEADER_LENGTH) {
            return ServiceVlans.UNTAGGED;
        }
        int type = (frame[offset + EthernetHeader.TYPE_OFFSET] & 0xff) << 8 | frame[offset + EthernetHeader.TYPE_OFFSET + 1] & 0xff;
        int at;
        if (type == EthernetHeader.TYPE_IPV4) {
            at = IPV4_SOURCE_OFFSET;
        } else if (type == EthernetHeader.TYPE_ARP) {
            at = ARP_SENDER_ADDRESS_OFFSET;
        } else {
            return ServiceVlans.UNTAGGED;
        }
        if (length < at + 4) {
            return ServiceVlans.UNTAGGED;
        }
        int address = (frame[offset + at] & 0xff) << 24 | (frame[offset + at + 1] & 0xff) << 16
                | (frame[offset + at + 2] & 0xff) << 8 | frame[offset + at + 3] & 0xff;
        return vlans.vlanOf(address);
    }
}
