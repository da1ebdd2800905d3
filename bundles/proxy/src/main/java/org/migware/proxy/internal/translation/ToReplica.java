package org.migware.proxy.internal.translation;

import java.io.IOException;

import org.migware.proxy.internal.events.DeferredLog;
import org.migware.proxy.internal.mapping.DropReason;
import org.migware.proxy.internal.mapping.MigrationCounters;
import org.migware.proxy.internal.wire.PacketPort;





/** Writes IP packets into the TUN, towards the replica; a failed write counts as a drop. */
public final class ToReplica {

    private final PacketPort tun;
    private final MigrationCounters counters;
    private final DeferredLog log;

    public ToReplica(PacketPort tun, MigrationCounters counters, DeferredLog log) {
        this.tun = tun;
        this.counters = counters;
        this.log = log;
    }

    public void write(byte[] packet, int offset, int length) {
        try {
            tun.write(packet, offset, length);
        } catch (IOException e) {
            counters.drop(DropReason.TUN_WRITE_FAILED);
            log.warn("proxy: cannot write to the TUN: {}", e.toString());
        }
    }
}
