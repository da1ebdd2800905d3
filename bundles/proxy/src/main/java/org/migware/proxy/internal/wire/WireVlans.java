package org.migware.proxy.internal.wire;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLongArray;

import org.migware.api.wire.EthernetHeader;

/**
 * The VLAN each client, and each service address, was last seen in on the capture: on a trunk or
 * a tagged mirror port, what MigWare sends to a client (the replica's answers, resets, the probe,
 * ARP replies) must carry the tag the client's switch port expects, or the switch drops it.
 *
 * <p>By client first: a client's frames to the service, and the service's to it, tell its VLAN.
 * By service address when the client was never seen (a reset after a restart, before the client's
 * next frame). Frames of the service address with others (the primary's ARP and ICMP with the
 * backup host, which may be in another VLAN) teach nothing. Learned in NORMAL and in PROXY alike,
 * so that a restarted MigWare learns it again from the clients' next frames.
 *
 * <p>Bounded and allocation-free per frame: clients in a direct-mapped table of {@value #CLIENT_SLOTS}
 * slots (hashed with a per-table random seed, so forged addresses cannot aim at one slot; a
 * collision replaces the older client, which then falls back to its service address's VLAN), each
 * slot one {@code long} (address and VLAN) written and read atomically; service addresses in
 * arrays replaced only when one is new or moves (only configured service addresses are noted).
 * Written by the capture thread, read by whichever thread sends.
 */
public final class WireVlans {

    /** No tag: seen untagged, or never. */
    public static final int UNTAGGED = -1;
    /** Clients remembered. */
    static final int CLIENT_SLOTS = 4096;

    private record ServiceTable(int[] addresses, int[] vlans) {
    }

    private final AtomicLongArray clients = new AtomicLongArray(CLIENT_SLOTS);
    private final int seed = new SecureRandom().nextInt() | 1;
    private volatile ServiceTable services = new ServiceTable(new int[0], new int[0]);
    /** Whether a tagged frame was ever noted: until then nothing sent needs looking at. */
    private volatile boolean tagged;

    /**
     * Notes a frame of the conversation between a client and a service address.
     *
     * @param serviceAddress the service's side
     * @param clientAddress the client's side
     * @param vlanId the frame's VLAN, or {@link #UNTAGGED}
     */
    public void note(int serviceAddress, int clientAddress, int vlanId) {
        if (vlanId != UNTAGGED && !tagged) {
            tagged = true;
        }
        if (!tagged) {
            return; // an untagged network: nothing to remember
        }
        int slot = slot(clientAddress);
        long entry = entry(clientAddress, vlanId);
        if (clients.get(slot) != entry) {
            clients.set(slot, entry);
        }
        noteService(serviceAddress, vlanId);
    }

    private void noteService(int address, int vlanId) {
        ServiceTable t = services;
        int[] addresses = t.addresses;
        for (int i = 0; i < addresses.length; i++) {
            if (addresses[i] == address) {
                if (t.vlans[i] != vlanId) {
                    int[] vlans = t.vlans.clone();
                    vlans[i] = vlanId;
                    services = new ServiceTable(addresses, vlans);
                }
                return;
            }
        }
        int[] grownAddresses = Arrays.copyOf(addresses, addresses.length + 1);
        int[] grownVlans = Arrays.copyOf(t.vlans, addresses.length + 1);
        grownAddresses[addresses.length] = address;
        grownVlans[addresses.length] = vlanId;
        services = new ServiceTable(grownAddresses, grownVlans);
    }

    /**
     * @return the VLAN a frame from {@code serviceAddress} to {@code clientAddress} goes in: the
     *     client's, else the service address's, else {@link #UNTAGGED}
     */
    public int vlanFor(int serviceAddress, int clientAddress) {
        if (!tagged) {
            return UNTAGGED;
        }
        long entry = clients.get(slot(clientAddress));
        if (entry != 0 && (int) (entry >>> 32) == clientAddress) {
            return (int) (entry & 0xffff) - 1;
        }
        ServiceTable t = services;
        int[] addresses = t.addresses;
        for (int i = 0; i < addresses.length; i++) {
            if (addresses[i] == serviceAddress) {
                return t.vlans[i];
            }
        }
        return UNTAGGED;
    }

    /** @return whether a tagged frame was ever seen: only then does a frame sent need looking at */
    public boolean any() {
        return tagged;
    }

    /** An address and its VLAN + 1 (0 for untagged), never 0 as a whole: 0 is an empty slot. */
    private static long entry(int address, int vlanId) {
        return (long) address << 32 | 1L << 16 | (vlanId + 1) & 0xffff;
    }

    private int slot(int address) {
        int h = address * seed;
        return (h ^ h >>> 16) & (CLIENT_SLOTS - 1);
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

    /** Network byte order: the frame's 16 bits at {@code at}. */
    static int u16(byte[] b, int at) {
        return (b[at] & 0xff) << 8 | b[at + 1] & 0xff;
    }

    /** Network byte order: the frame's 32 bits at {@code at}. */
    static int i32(byte[] b, int at) {
        return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | b[at + 3] & 0xff;
    }
}
