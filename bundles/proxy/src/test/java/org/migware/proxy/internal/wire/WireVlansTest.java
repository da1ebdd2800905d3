package org.migware.proxy.internal.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What {@link WireVlans} answers for a frame to a client: the client's VLAN first, the service address's when the client is unknown. */
class WireVlansTest {

    private static final int SERVICE = 0x0a4d_0002;
    private static final int CLIENT = 0x0a4d_0001;
    private static final int BACKUP_HOST = 0x0a4d_0003;

    @Test
    void anUntaggedNetworkNeverTags() {
        WireVlans vlans = new WireVlans();
        vlans.note(SERVICE, CLIENT, WireVlans.UNTAGGED);
        assertFalse(vlans.any());
        assertEquals(WireVlans.UNTAGGED, vlans.vlanFor(SERVICE, CLIENT));
    }

    /**
     * The service address seen with a client in VLAN 100 and with another host untagged (the backup
     * host's own monitor, on its native VLAN, as in the lab): each client keeps its own, whichever
     * came last; a client never seen gets the service address's last.
     */
    @Test
    void eachClientKeepsItsOwnVlanWhateverTheServiceAddressWasLastSeenWith() {
        WireVlans vlans = new WireVlans();
        vlans.note(SERVICE, CLIENT, 100);
        vlans.note(SERVICE, BACKUP_HOST, WireVlans.UNTAGGED);
        assertTrue(vlans.any());
        assertEquals(100, vlans.vlanFor(SERVICE, CLIENT));
        assertEquals(WireVlans.UNTAGGED, vlans.vlanFor(SERVICE, BACKUP_HOST));
        assertEquals(WireVlans.UNTAGGED, vlans.vlanFor(SERVICE, 0x0a4d_0099), "unknown client: the service's last");
        vlans.note(SERVICE, CLIENT, 100);
        assertEquals(100, vlans.vlanFor(SERVICE, 0x0a4d_0099), "unknown client: the service's last, now 100");
        vlans.note(SERVICE, CLIENT, 4094);
        assertEquals(4094, vlans.vlanFor(SERVICE, CLIENT), "a client that moved");
    }

    /** More clients than slots: every answer is the client's own VLAN or its service address's, never another client's. */
    @Test
    void aCollisionFallsBackToTheServiceAddressNeverToAnotherClientsVlan() {
        WireVlans vlans = new WireVlans();
        int clients = 3 * WireVlans.CLIENT_SLOTS;
        for (int i = 0; i < clients; i++) {
            vlans.note(SERVICE, 0x0b00_0000 + i, 1 + i % 4000);
        }
        vlans.note(0x0a4d_0020, 0x0c00_0000, 7); // another service address, last: not the fallback of SERVICE
        int own = 0;
        for (int i = 0; i < clients; i++) {
            int vlan = vlans.vlanFor(SERVICE, 0x0b00_0000 + i);
            int last = 1 + (clients - 1) % 4000;
            assertTrue(vlan == 1 + i % 4000 || vlan == last, "client " + i + ": " + vlan);
            if (vlan == 1 + i % 4000) {
                own++;
            }
        }
        assertTrue(own >= WireVlans.CLIENT_SLOTS / 2, "most slots hold a client: " + own);
    }

    @Test
    void theTagIsReadFromOneEightOTwoDotOneQTagOnly() {
        byte[] frame = new byte[64];
        frame[12] = (byte) 0x81;
        frame[14] = 0x2f; // PCP 1, VLAN 0xfff... masked
        frame[15] = (byte) 0xfe;
        frame[16] = 0x08;
        assertEquals(0xffe, WireVlans.outerVlanId(frame, 0, frame.length));
        frame[16] = (byte) 0x81; // a second tag: QinQ, not MigWare's to put back
        assertEquals(WireVlans.UNTAGGED, WireVlans.outerVlanId(frame, 0, frame.length));
        frame[12] = 0x08;
        frame[13] = 0x00;
        assertEquals(WireVlans.UNTAGGED, WireVlans.outerVlanId(frame, 0, frame.length));
    }
}
