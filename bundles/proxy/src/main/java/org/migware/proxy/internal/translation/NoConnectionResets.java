package org.migware.proxy.internal.translation;

import java.io.IOException;
import java.util.function.LongSupplier;

import org.migware.api.packet.RewritablePacket;
import org.migware.proxy.internal.events.DeferredLog;
import org.migware.proxy.internal.mapping.MigrationCounters;
import org.migware.proxy.internal.wire.Ipv4Address;
import org.migware.proxy.internal.wire.Ipv4TcpWriter;
import org.migware.proxy.internal.wire.WirePort;
import org.migware.api.wire.Ipv4Header;
import org.migware.api.wire.TcpHeader;

/**
 * The reset a host sends for a segment of no connection (RFC 9293 3.10.7.1), from the service's
 * address and MAC: the client of a connection MigWare could not recover learns at once, instead
 * of retransmitting into silence until its timeout, and can reconnect. At most
 * {@value #MAX_RESETS_PER_WINDOW} a second: a flood of segments for no connection gets no flood
 * of resets back.
 */
public final class NoConnectionResets {

    private static final int ETHERNET_HEADER = 14;
    private static final long RESET_WINDOW_NANOS = 1_000_000_000L;
    private static final int MAX_RESETS_PER_WINDOW = 1000;

    private final Ipv4TcpWriter writer = new Ipv4TcpWriter();
    private final byte[] resetFrame = new byte[ETHERNET_HEADER + Ipv4Header.MIN_HEADER_LENGTH + TcpHeader.MIN_HEADER_LENGTH];
    private final WirePort wire;
    private final LongSupplier nanos;
    private final MigrationCounters counters;
    private final DeferredLog log;
    private long resetWindowStartNanos;
    private int resetsInWindow;

    public NoConnectionResets(WirePort wire, LongSupplier nanos, MigrationCounters counters, DeferredLog log) {
        this.wire = wire;
        this.nanos = nanos;
        this.counters = counters;
        this.log = log;
    }

    /** Answers {@code segment} (a client's, to the service) with a reset, unless the rate is used up. */
    public void reset(RewritablePacket segment) {
        if (!withinRate()) {
            return;
        }
        writer.begin(resetFrame, ETHERNET_HEADER)
                .source(segment.destinationIpv4(), segment.destinationPort())
                .destination(segment.sourceIpv4(), segment.sourcePort());
        if (segment.hasFlags(RewritablePacket.ACK)) {
            writer.sequence(segment.acknowledgementNumber()).acknowledgement(0).flags(TcpHeader.RST);
        } else {
            int length = segment.payloadLength() + (segment.hasFlags(RewritablePacket.SYN) ? 1 : 0)
                    + (segment.hasFlags(RewritablePacket.FIN) ? 1 : 0);
            writer.sequence(0).acknowledgement(segment.sequenceNumber() + length).flags(TcpHeader.RST | TcpHeader.ACK);
        }
        send(segment.sourceMac(), segment.destinationMac(), segment.sourceIpv4(), segment.sourcePort());
    }

    /**
     * Resets one client's connection from the service: a replayed connection whose replica
     * diverged, or one that cannot be replayed at failover. The sequence number is the client's
     * next expected byte (its newest acknowledgement), which RFC 5961 requires for a reset to be
     * taken at once; should the client expect another, it answers with a challenge ACK, which
     * reaches MigWare as a segment of no connection and is answered with an exact reset.
     */
    public void resetClient(int serviceAddress, int servicePort, long serviceMac, int clientAddress, int clientPort, long clientMac,
            int clientExpects) {
        writer.begin(resetFrame, ETHERNET_HEADER)
                .source(serviceAddress, servicePort)
                .destination(clientAddress, clientPort)
                .sequence(clientExpects).acknowledgement(0).flags(TcpHeader.RST);
        send(clientMac, serviceMac, clientAddress, clientPort);
    }

    /**
     * Answers a client segment of a connection that had closed both ways at the failover as the
     * primary's TIME_WAIT would: an ACK at the primary's sequence number after its FIN,
     * acknowledging the client's FIN. Within the same rate as the resets.
     */
    public void acknowledgeClosed(RewritablePacket segment, int serverNext, int clientNext, long clientMac, long primaryMac) {
        if (!withinRate()) {
            return;
        }
        int length = writer.begin(resetFrame, ETHERNET_HEADER)
                .source(segment.destinationIpv4(), segment.destinationPort())
                .destination(segment.sourceIpv4(), segment.sourcePort())
                .sequence(serverNext).acknowledgement(clientNext).flags(TcpHeader.ACK).window(0).finish();
        Ipv4TcpWriter.ethernetHeader(resetFrame, clientMac, primaryMac);
        try {
            wire.send(resetFrame, 0, ETHERNET_HEADER + length);
        } catch (IOException e) {
            log.warn("proxy: cannot acknowledge {}:{}: {}", Ipv4Address.text(segment.sourceIpv4()), segment.sourcePort(), e.toString());
        }
    }

    /** @return whether one more answer fits this second's budget (counted when it does) */
    private boolean withinRate() {
        long now = nanos.getAsLong();
        if (now - resetWindowStartNanos >= RESET_WINDOW_NANOS) {
            resetWindowStartNanos = now;
            resetsInWindow = 0;
        }
        if (resetsInWindow >= MAX_RESETS_PER_WINDOW) {
            return false;
        }
        resetsInWindow++;
        return true;
    }

    private void send(long toMac, long fromMac, int clientAddress, int clientPort) {
        int length = writer.window(0).finish();
        Ipv4TcpWriter.ethernetHeader(resetFrame, toMac, fromMac);
        try {
            wire.send(resetFrame, 0, ETHERNET_HEADER + length);
            counters.resetsSent++;
        } catch (IOException e) {
            log.warn("proxy: cannot reset {}:{}: {}", Ipv4Address.text(clientAddress), clientPort, e.toString());
        }
    }
}
