package org.migware.lab.network;

import java.nio.ByteBuffer;

/**
 * A {@link WireBox}'s role side as an 802.1Q trunk port of one VLAN, without a native VLAN: every
 * frame towards the role gets the VLAN's tag (priority 0); from the role, a frame tagged with the
 * VLAN goes on to the hub untagged, any other (untagged, another VLAN, a QinQ outer tag) is dropped
 * and counted. The hub side is that VLAN's access port: the bridge sees plain frames. What a
 * switch port configured {@code switchport mode trunk, allowed vlan N, no native vlan} does, and
 * what the 8021q module (missing on the lab's kernel) would need to see on its parent interface.
 *
 * <p>The receiving kernel takes the tag out of a frame's bytes before any packet socket reads it
 * ({@code skb_vlan_untag} in {@code __netif_receive_skb_core}, unconditionally), so a frame from
 * the role comes with its tag in the socket's {@code PACKET_AUXDATA} ({@link PacketSocket#vlanTci()});
 * a tag still in the bytes is taken into account too, should a kernel leave it there. Not
 * thread-safe: the box's one thread calls it.
 */
final class VlanTrunk {

    /** No native host: every frame is tagged. */
    static final long NO_NATIVE_MAC = -1L;

    private final int vlanId;
    /**
     * The MAC of the role's own host, whose frames stay untagged both ways (its native VLAN: the
     * host's own traffic, as on a port that carries the service's VLAN tagged beside the host's
     * untagged one), or {@link #NO_NATIVE_MAC}.
     */
    private final long nativeMac;
    private long native_;
    private long tagged;
    private long untagged;
    private long droppedUntagged;
    private long droppedOtherVlan;
    private long malformed;

    /**
     * @param vlanId the trunk's VLAN, 1..{@value VlanTag#MAX_ID}
     * @throws IllegalArgumentException outside that range
     */
    VlanTrunk(int vlanId) {
        this(vlanId, NO_NATIVE_MAC);
    }

    /**
     * @param vlanId the trunk's VLAN, 1..{@value VlanTag#MAX_ID}
     * @param nativeMac the role's own MAC, whose frames stay untagged both ways, or {@link #NO_NATIVE_MAC}
     * @throws IllegalArgumentException outside that range
     */
    VlanTrunk(int vlanId, long nativeMac) {
        this.nativeMac = nativeMac;
        if (vlanId < 1 || vlanId > VlanTag.MAX_ID) {
            throw new IllegalArgumentException("the trunk's VLAN id must be 1.." + VlanTag.MAX_ID + ": " + vlanId);
        }
        this.vlanId = vlanId;
    }

    /** @return the trunk's VLAN */
    int vlanId() {
        return vlanId;
    }

    /**
     * Towards the role: tags a frame read {@link VlanTag#LENGTH} bytes after {@code start}.
     *
     * @param buffer the frame's buffer
     * @param start where the tagged frame will begin
     * @param readLength what the read returned (header and frame), positive
     * @param capacity the room the read had: a longer frame was cut, it is not tagged and stays too long
     * @return the length to send from {@code start}: {@code readLength + 4}; {@link WireDirection#SKIP} to drop it
     */
    int towardsRole(ByteBuffer buffer, int start, int readLength, int capacity) {
        if (readLength > capacity) {
            return readLength + VlanTag.LENGTH; // too long anyway: the direction counts it oversize
        }
        if (readLength < VlanTag.MIN_READ) {
            malformed++;
            return WireDirection.SKIP;
        }
        if (nativeMac != NO_NATIVE_MAC && VlanTag.mac(buffer, start + VlanTag.LENGTH, 0) == nativeMac) {
            // the role's own host's: untagged, moved back to where the frame begins
            native_++;
            VlanTag.moveBack(buffer, start, readLength);
            return readLength;
        }
        tagged++;
        return VlanTag.insert(buffer, start, readLength, vlanId);
    }

    /**
     * From the role: what to do with a frame read at {@code start}.
     *
     * @param buffer the frame's buffer
     * @param start where its header begins
     * @param length what the read returned (header and frame), positive
     * @param capacity the room the read had
     * @param auxTci the tag's control information the kernel took out of the frame, -1 when it took none
     * @param auxTpid that tag's protocol identifier
     * @return the length to send on from {@code start}, the frame untagged; {@link WireDirection#SKIP} to drop it
     */
    int fromRole(ByteBuffer buffer, int start, int length, int capacity, int auxTci, int auxTpid) {
        if (auxTci >= 0) {
            if (auxTpid != VlanTag.TPID || (auxTci & VlanTag.ID_MASK) != vlanId) {
                droppedOtherVlan++;
                return WireDirection.SKIP;
            }
            untagged++;
            return length;
        }
        if (length < VlanTag.MIN_READ) {
            malformed++;
            return WireDirection.SKIP;
        }
        int etherType = VlanTag.etherType(buffer, start);
        if (!VlanTag.isTag(etherType)) {
            if (nativeMac != NO_NATIVE_MAC && VlanTag.mac(buffer, start, VlanTag.SOURCE_MAC_OFFSET) == nativeMac) {
                native_++;
                return length; // the role's own host's, on its native VLAN
            }
            droppedUntagged++;
            return WireDirection.SKIP;
        }
        if (length > capacity) {
            return length; // cut: the direction counts it oversize
        }
        if (length < VlanTag.MIN_READ + VlanTag.LENGTH) {
            malformed++;
            return WireDirection.SKIP;
        }
        if (etherType != VlanTag.TPID || (VlanTag.tci(buffer, start) & VlanTag.ID_MASK) != vlanId) {
            droppedOtherVlan++;
            return WireDirection.SKIP;
        }
        untagged++;
        return VlanTag.remove(buffer, start, length);
    }

    /** @return the counters now */
    TrunkCounters counters() {
        return new TrunkCounters(vlanId, tagged, untagged, droppedUntagged, droppedOtherVlan, malformed, native_);
    }
}
