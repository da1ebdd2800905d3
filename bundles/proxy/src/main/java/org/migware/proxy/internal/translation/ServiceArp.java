package org.migware.proxy.internal.translation;

import java.io.IOException;

import org.migware.proxy.internal.events.DeferredLog;
import org.migware.proxy.internal.mapping.MappingTable;
import org.migware.proxy.internal.wire.WirePort;





/** Answers ARP requests for the service addresses the mappings stand for, with the primary's MAC. */
public final class ServiceArp {

    private final byte[] reply = new byte[64];
    private final MappingTable table;
    private final WirePort wire;
    private final DeferredLog log;

    public ServiceArp(MappingTable table, WirePort wire, DeferredLog log) {
        this.table = table;
        this.wire = wire;
        this.log = log;
    }

    /** @return whether {@code frame} is long enough for an ARP packet and says it is one */
    public static boolean isArp(byte[] frame, int offset, int length) {
        return length >= ArpResponder.FRAME_LENGTH && frame[offset + 12] == 0x08 && frame[offset + 13] == 0x06;
    }

    public void answer(byte[] frame, int offset, int length) {
        // Answer for every service address a mapping stands for; there are one or a few.
        long[] answered = {Long.MIN_VALUE};
        table.forEachByClient(mapping -> {
            if (answered[0] == mapping.primaryAddress) {
                return;
            }
            int replyLength = ArpResponder.reply(frame, offset, length, mapping.primaryAddress, mapping.primaryMac, reply);
            if (replyLength > 0) {
                answered[0] = mapping.primaryAddress;
                try {
                    wire.send(reply, 0, replyLength);
                } catch (IOException e) {
                    log.warn("proxy: cannot answer ARP: {}", e.toString());
                }
            }
        });
    }
}
