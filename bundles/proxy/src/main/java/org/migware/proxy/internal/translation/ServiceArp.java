package org.migware.proxy.internal.translation;

import java.io.IOException;
import java.util.function.IntToLongFunction;

import org.migware.proxy.internal.events.DeferredLog;
import org.migware.proxy.internal.mapping.MappingTable;
import org.migware.proxy.internal.mapping.MigrationCounters;
import org.migware.proxy.internal.wire.WireVlans;
import org.migware.proxy.internal.wire.WirePort;


/**
 * Answers ARP requests for the service's addresses with the primary's MAC: for every configured
 * address the primary was seen sending from, whether or not a connection was carried (after a
 * failover with nothing to recover, new clients must still find the service once their neighbour
 * cache forgets it), and for the addresses of the mappings.
 */
public final class ServiceArp {

    private final byte[] reply = new byte[64];
    private final MappingTable table;
    /** The MAC a service address was last seen sending from in NORMAL, -1 when never. */
    private final IntToLongFunction learnedMac;
    /** Learns from the request the VLAN its asker expects the answer in (after a restart in PROXY, nothing else teaches it). */
    private final WireVlans vlans;
    private final WirePort wire;
    private final DeferredLog log;

    private final MigrationCounters counters;

    public ServiceArp(MappingTable table, IntToLongFunction learnedMac, WireVlans vlans, WirePort wire, MigrationCounters counters,
            DeferredLog log) {
        this.table = table;
        this.vlans = vlans;
        this.counters = counters;
        this.learnedMac = learnedMac;
        this.wire = wire;
        this.log = log;
    }

    /** @return whether {@code frame} is long enough for an ARP packet and says it is one */
    public static boolean isArp(byte[] frame, int offset, int length) {
        return ArpResponder.isArp(frame, offset, length);
    }

    public void answer(byte[] frame, int offset, int length) {
        int asked = ArpResponder.requestedAddress(frame, offset, length);
        if (asked == 0) {
            return;
        }
        long mac = learnedMac.applyAsLong(asked);
        if (mac < 0) {
            mac = table.primaryMacOf(asked);
        }
        if (mac < 0) {
            return; // not the service's: somebody else answers
        }
        vlans.note(asked, ArpResponder.senderAddress(frame, offset, length), WireVlans.outerVlanId(frame, offset, length));
        int replyLength = ArpResponder.reply(frame, offset, length, asked, mac, reply);
        if (replyLength > 0) {
            try {
                wire.send(reply, 0, replyLength);
                counters.arpAnswers++;
            } catch (IOException e) {
                log.warn("proxy: cannot answer ARP: {}", e.toString());
            }
        }
    }
}
