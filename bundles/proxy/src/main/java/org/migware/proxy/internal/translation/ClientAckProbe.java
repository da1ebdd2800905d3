package org.migware.proxy.internal.translation;

import java.io.IOException;

import org.migware.api.wire.Ipv4Header;
import org.migware.api.wire.TcpHeader;
import org.migware.proxy.internal.events.DeferredLog;
import org.migware.proxy.internal.mapping.RecoveryCandidate;
import org.migware.proxy.internal.wire.Ipv4Address;
import org.migware.proxy.internal.wire.Ipv4TcpWriter;
import org.migware.proxy.internal.wire.WirePort;

/**
 * Asks a resumed connection's client for its acknowledgement at once, from the service: a segment
 * of no data one byte before the client's next expected byte as the capture saw it. For the
 * client that is old data (RFC 9293 3.10.7.4: an unacceptable segment is answered with an ACK), so
 * it answers with its true next expected byte, as TCP keep-alive probes are answered. That answer
 * confirms or corrects the connection's offset before the replica's first byte goes out; for a
 * connection reset at the failover, it is answered with an exact reset (a reset at the byte the
 * capture saw may land elsewhere in the client's window, and RFC 5961 makes the client ignore it).
 */
public final class ClientAckProbe {

    private static final int ETHERNET_HEADER = 14;

    private final Ipv4TcpWriter writer = new Ipv4TcpWriter();
    private final byte[] frame = new byte[ETHERNET_HEADER + Ipv4Header.MIN_HEADER_LENGTH + TcpHeader.MIN_HEADER_LENGTH];
    private final WirePort wire;
    private final DeferredLog log;

    public ClientAckProbe(WirePort wire, DeferredLog log) {
        this.wire = wire;
        this.log = log;
    }

    /**
     * Asks the client of {@code c} for its acknowledgement.
     *
     * <p>The segment's window is the primary's last one to the client, as it sent it: the client
     * discards the probe as old data, so it moves nothing.
     */
    public void ask(RecoveryCandidate c) {
        int length = writer.begin(frame, ETHERNET_HEADER)
                .source(c.primaryAddress(), c.primaryPort())
                .destination(c.clientAddress(), c.clientPort())
                .sequence(c.clientAck() - 1).acknowledgement(c.clientResume()).flags(TcpHeader.ACK)
                .window(Math.max(0, Math.min(c.snapshot().serverToClient().lastWindow(), 0xffff))).finish();
        Ipv4TcpWriter.ethernetHeader(frame, c.clientMac(), c.primaryMac());
        try {
            wire.send(frame, 0, ETHERNET_HEADER + length);
        } catch (IOException e) {
            log.warn("proxy: {}:{}: cannot ask the client for its acknowledgement: {}", Ipv4Address.text(c.clientAddress()),
                    c.clientPort(), e.toString());
        }
    }
}
