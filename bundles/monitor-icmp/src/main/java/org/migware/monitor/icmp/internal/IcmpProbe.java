package org.migware.monitor.icmp.internal;

import java.time.Duration;

import org.migware.monitor.support.Probe;
import org.migware.monitor.support.ProbeResult;

/** An echo request per probe, each with the next sequence number. Called by one thread at a time. */
final class IcmpProbe implements Probe {

    private final IcmpSocket socket;
    private int sequence;

    IcmpProbe(IcmpSocket socket) {
        this.socket = socket;
    }

    @Override
    public ProbeResult probe(Duration timeout) {
        sequence = (sequence + 1) & 0xffff;
        return socket.ping(sequence, timeout);
    }
}
