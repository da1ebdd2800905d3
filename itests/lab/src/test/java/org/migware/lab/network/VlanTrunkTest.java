package org.migware.lab.network;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The trunk's tagging and untagging on byte buffers as the box reads them (a virtio_net_hdr, then
 * the frame), the header's offsets included, and what it drops.
 */
class VlanTrunkTest {

    private static final int VLAN = 100;

    /** A TSO frame's virtio_net_hdr: checksum to fill in, TCPv4 segmentation. */
    private static final byte[] TSO_HEADER = {
        0x01, // flags: NEEDS_CSUM
        0x01, // gso_type: TCPV4
        0x42, 0x00, // hdr_len 66 (little-endian): Ethernet 14 + IPv4 20 + TCP 32
        (byte) 0xa8, 0x05, // gso_size 1448
        0x22, 0x00, // csum_start 34: the TCP header
        0x10, 0x00, // csum_offset 16: TCP's checksum field
    };

    /** The Ethernet header and the start of an IPv4 packet. */
    private static final byte[] FRAME = {
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, // destination MAC
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // source MAC
        0x08, 0x00, // EtherType IPv4
        0x45, 0x00, 0x00, 0x54, // IPv4: version, IHL, DSCP, total length 84
        0x12, 0x34, 0x40, 0x00, // identification, DF
        0x40, 0x06, 0x00, 0x00, // TTL 64, TCP, checksum
        0x0a, 0x4d, 0x00, 0x01, // 10.77.0.1
        0x0a, 0x4d, 0x00, 0x02, // 10.77.0.2
    };

    /** The same frame tagged with VLAN 100. */
    private static final byte[] TAGGED_FRAME = concat(Arrays.copyOf(FRAME, 12), new byte[] {
        (byte) 0x81, 0x00, // TPID 802.1Q
        0x00, 0x64, // PCP 0, DEI 0, VLAN 100
    }, Arrays.copyOfRange(FRAME, 12, FRAME.length));

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] p : parts) {
            length += p.length;
        }
        byte[] all = new byte[length];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    private static byte[] header(int flags, int gsoType, int hdrLen, int csumStart) {
        byte[] h = TSO_HEADER.clone();
        h[0] = (byte) flags;
        h[1] = (byte) gsoType;
        h[2] = (byte) hdrLen;
        h[3] = (byte) (hdrLen >>> 8);
        h[6] = (byte) csumStart;
        h[7] = (byte) (csumStart >>> 8);
        return h;
    }

    /** A buffer as the box's arena, the read placed at {@code at}, in the native (little-endian) order JNA gives. */
    private static ByteBuffer arena(int at, byte[] read) {
        ByteBuffer b = ByteBuffer.allocateDirect(at + read.length + 16).order(ByteOrder.nativeOrder());
        for (int i = 0; i < b.capacity(); i++) {
            b.put(i, (byte) 0xee);
        }
        b.put(at, read);
        return b;
    }

    private static byte[] bytes(ByteBuffer b, int at, int length) {
        byte[] out = new byte[length];
        b.get(at, out);
        return out;
    }

    @Test
    void aFrameTowardsTheRoleGetsTheTagAndATsoHeaderPointsFourBytesFurther() {
        VlanTrunk trunk = new VlanTrunk(VLAN);
        byte[] read = concat(TSO_HEADER, FRAME);
        int start = 64;
        ByteBuffer b = arena(start + VlanTag.LENGTH, read);

        int length = trunk.towardsRole(b, start, read.length, 1000);

        assertEquals(read.length + 4, length);
        assertArrayEquals(concat(header(0x01, 0x01, 70, 38), TAGGED_FRAME), bytes(b, start, length));
        assertEquals((byte) 0xee, b.get(start - 1), "nothing written before the slot");
        assertEquals(new TrunkCounters(VLAN, 1, 0, 0, 0, 0, 0), trunk.counters());
    }

    /**
     * With the role's own host on the native VLAN ({@link LabNetwork#trunkWithNativeHost}): a frame
     * to its MAC stays untagged, moved back to the slot's start unchanged; an untagged frame from its
     * MAC passes; every other frame is tagged or dropped as on a trunk without one.
     */
    @Test
    void theRolesOwnHostsFramesStayUntaggedBothWaysOnItsNativeVlan() {
        long roleMac = 0x02_00_00_00_00_02L; // FRAME's destination
        VlanTrunk trunk = new VlanTrunk(VLAN, roleMac);
        byte[] read = concat(TSO_HEADER, FRAME);
        ByteBuffer b = arena(VlanTag.LENGTH, read);
        assertEquals(read.length, trunk.towardsRole(b, 0, read.length, 1000), "to the host: not tagged");
        assertArrayEquals(read, bytes(b, 0, read.length), "the frame as read, header untouched, at the slot's start");

        byte[] fromHost = concat(TSO_HEADER, Arrays.copyOfRange(FRAME, 6, 12), Arrays.copyOfRange(FRAME, 0, 6),
                Arrays.copyOfRange(FRAME, 12, FRAME.length)); // the host's answer: its MAC the source
        ByteBuffer h = arena(0, fromHost);
        assertEquals(fromHost.length, trunk.fromRole(h, 0, fromHost.length, 1000, -1, 0), "from the host, untagged: passes");
        assertArrayEquals(fromHost, bytes(h, 0, fromHost.length));

        ByteBuffer other = arena(0, read); // untagged, from a MAC that is not the host's
        assertEquals(WireDirection.SKIP, trunk.fromRole(other, 0, read.length, 1000, -1, 0), "another untagged frame: dropped");

        byte[] toOther = concat(TSO_HEADER, Arrays.copyOfRange(FRAME, 6, 12), Arrays.copyOfRange(FRAME, 0, 6),
                Arrays.copyOfRange(FRAME, 12, FRAME.length)); // to the client's MAC
        ByteBuffer t = arena(VlanTag.LENGTH, toOther);
        assertEquals(toOther.length + 4, trunk.towardsRole(t, 0, toOther.length, 1000), "to another MAC: tagged");
        assertEquals(new TrunkCounters(VLAN, 1, 0, 1, 0, 0, 2), trunk.counters());
    }

    @Test
    void aPlainFramesHeaderIsLeftAlone() {
        VlanTrunk trunk = new VlanTrunk(VLAN);
        // no checksum to fill in, no segmentation: csum_start and hdr_len mean nothing and stay
        byte[] read = concat(header(0, 0, 14, 0), FRAME);
        ByteBuffer b = arena(VlanTag.LENGTH, read);

        int length = trunk.towardsRole(b, 0, read.length, 1000);

        assertArrayEquals(concat(header(0, 0, 14, 0), TAGGED_FRAME), bytes(b, 0, length));
    }

    @Test
    void onlyTheChecksumStartMovesWhenTheFrameIsNotSegmented() {
        VlanTrunk trunk = new VlanTrunk(VLAN);
        byte[] read = concat(header(0x01, 0, 0, 34), FRAME);
        ByteBuffer b = arena(VlanTag.LENGTH, read);

        int length = trunk.towardsRole(b, 0, read.length, 1000);

        assertArrayEquals(concat(header(0x01, 0, 0, 38), TAGGED_FRAME), bytes(b, 0, length));
    }

    @Test
    void aTagInTheBytesWithTheTrunksVlanIsTakenOutAndTheHeaderPointsBack() {
        VlanTrunk trunk = new VlanTrunk(VLAN);
        byte[] read = concat(header(0x01, 0x01, 70, 38), TAGGED_FRAME);
        ByteBuffer b = arena(8, read);

        int length = trunk.fromRole(b, 8, read.length, 1000, -1, 0);

        assertEquals(read.length - 4, length);
        assertArrayEquals(concat(TSO_HEADER, FRAME), bytes(b, 8, length));
        assertEquals(new TrunkCounters(VLAN, 0, 1, 0, 0, 0, 0), trunk.counters());
    }

    @Test
    void taggingThenUntaggingGivesTheFrameBackWhateverItsLength() {
        for (int payload = 0; payload < 40; payload++) {
            byte[] frame = new byte[FRAME.length + payload];
            System.arraycopy(FRAME, 0, frame, 0, FRAME.length);
            for (int i = FRAME.length; i < frame.length; i++) {
                frame[i] = (byte) (i * 7);
            }
            byte[] read = concat(TSO_HEADER, frame);
            ByteBuffer b = arena(VlanTag.LENGTH, read);
            VlanTrunk trunk = new VlanTrunk(VLAN);
            int tagged = trunk.towardsRole(b, 0, read.length, 1000);
            int untagged = trunk.fromRole(b, 0, tagged, 1000, -1, 0);
            assertArrayEquals(read, bytes(b, 0, untagged), "payload " + payload);
        }
    }

    @Test
    void aFrameTheKernelUntaggedPassesAsReadWhenItsTagWasTheTrunksVlan() {
        VlanTrunk trunk = new VlanTrunk(VLAN);
        byte[] read = concat(TSO_HEADER, FRAME);
        ByteBuffer b = arena(0, read);

        // PCP 5 on the tag: the VLAN id is the lower 12 bits
        assertEquals(read.length, trunk.fromRole(b, 0, read.length, 1000, 0xa000 | VLAN, VlanTag.TPID));

        assertArrayEquals(read, bytes(b, 0, read.length), "the frame as read: the kernel took the tag out");
        assertEquals(new TrunkCounters(VLAN, 0, 1, 0, 0, 0, 0), trunk.counters());
    }

    @Test
    void untaggedFramesAndOtherVlansFromTheRoleAreDroppedAndCounted() {
        VlanTrunk trunk = new VlanTrunk(VLAN);
        byte[] plain = concat(TSO_HEADER, FRAME);
        ByteBuffer b = arena(0, plain);
        assertEquals(WireDirection.SKIP, trunk.fromRole(b, 0, plain.length, 1000, -1, 0), "untagged");
        assertEquals(WireDirection.SKIP, trunk.fromRole(b, 0, plain.length, 1000, 101, VlanTag.TPID), "VLAN 101");
        assertEquals(WireDirection.SKIP, trunk.fromRole(b, 0, plain.length, 1000, VLAN, VlanTag.SERVICE_TPID),
                "an 802.1ad tag of the same number");

        byte[] otherInBytes = concat(TSO_HEADER, TAGGED_FRAME);
        otherInBytes[PacketSocket.VNET_HEADER + 15] = (byte) 200;
        ByteBuffer c = arena(0, otherInBytes);
        assertEquals(WireDirection.SKIP, trunk.fromRole(c, 0, otherInBytes.length, 1000, -1, 0), "VLAN 200 in the bytes");

        assertEquals(new TrunkCounters(VLAN, 0, 0, 1, 3, 0, 0), trunk.counters());
    }

    @Test
    void framesShorterThanAnEthernetHeaderAreDroppedAsMalformed() {
        VlanTrunk trunk = new VlanTrunk(VLAN);
        byte[] runt = Arrays.copyOf(concat(TSO_HEADER, FRAME), PacketSocket.VNET_HEADER + 13);
        assertEquals(WireDirection.SKIP, trunk.towardsRole(arena(4, runt), 0, runt.length, 1000));
        assertEquals(WireDirection.SKIP, trunk.fromRole(arena(0, runt), 0, runt.length, 1000, -1, 0));
        byte[] tagOnly = Arrays.copyOf(concat(TSO_HEADER, TAGGED_FRAME), PacketSocket.VNET_HEADER + 16);
        assertEquals(WireDirection.SKIP, trunk.fromRole(arena(0, tagOnly), 0, tagOnly.length, 1000, -1, 0));
        assertEquals(new TrunkCounters(VLAN, 0, 0, 0, 0, 3, 0), trunk.counters());
    }

    @Test
    void aFrameCutByTheReadIsLeftForTheDirectionToCountOversize() {
        VlanTrunk trunk = new VlanTrunk(VLAN);
        byte[] read = concat(TSO_HEADER, FRAME);
        ByteBuffer b = arena(4, read);
        assertEquals(70_000 + 4, trunk.towardsRole(b, 0, 70_000, read.length));
        assertArrayEquals(read, bytes(b, 4, read.length), "not touched");
        assertEquals(new TrunkCounters(VLAN, 0, 0, 0, 0, 0, 0), trunk.counters());
    }

    @Test
    void aTrunkNeedsAVlanIdOf1To4094() {
        assertThrows(IllegalArgumentException.class, () -> new VlanTrunk(0));
        assertThrows(IllegalArgumentException.class, () -> new VlanTrunk(4095));
        assertEquals(4094, new VlanTrunk(4094).vlanId());
    }

    @Test
    void theBoxTakesTheTrunkFromItsCommandLine() {
        assertEquals(100, WireBox.Options.parse("--role-side", "a", "--hub-side", "b", "--trunk-vlan", "100").trunkVlan);
        assertEquals(0, WireBox.Options.parse("--role-side", "a", "--hub-side", "b").trunkVlan);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WireBox.Options.parse("--role-side", "a", "--hub-side", "b", "--trunk-vlan", "4095"));
        assertTrue(e.getMessage().contains("--trunk-vlan"), e.getMessage());
    }

    @Test
    void theStatsFileCarriesTheTrunksCountersAndABoxWithoutOneHasNone() throws Exception {
        StringBuilder text = new StringBuilder();
        new TrunkCounters(VLAN, 5, 4, 3, 2, 1, 0).appendTo(text);
        java.util.Properties p = new java.util.Properties();
        p.load(new java.io.StringReader(text.toString()));
        assertEquals(new TrunkCounters(VLAN, 5, 4, 3, 2, 1, 0), TrunkCounters.from(p).orElseThrow());
        assertTrue(TrunkCounters.from(new java.util.Properties()).isEmpty());
    }
}
