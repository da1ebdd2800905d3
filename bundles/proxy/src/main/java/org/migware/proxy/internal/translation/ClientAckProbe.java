package org.migware.proxy.internal.translation;

import java.io.IOException;

import org.migware.api.wire.Ipv4Header;
import org.migware.api.wire.TcpHeader;
import org.migware.proxy.internal.events.DeferredLog;
import org.migware.proxy.internal.mapping.Mapping;
import org.migware.proxy.internal.wire.Ipv4TcpWriter;
import org.migware.proxy.internal.wire.WirePort;

/**
 * Asks a resumed connection's client for its acknowledgement at once, from the service: a segment
 * of no data one byte before the client's next expected byte as the capture saw it. For the
 * client that is old data (RFC 9293 3.10.7.4: an unacceptable segment is answered with an ACK), so
 * it answers with its true next expected byte, as TCP keep-alive probes are answered. That answer
 * confirms or corrects the connection's offset before the replica's first byte goes out.
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
     * @param seenClientAck the client's next expected byte as the capture saw it
     * @param primaryAck the primary's last acknowledgement of the client's bytes
     * @param window the primary's last window to the client, as it sent it (the client discards
     *     the probe as old data, so it moves nothing)
     */
    public void ask(Mapping mapping, int seenClientAck, int primaryAck, int window) {
        int length = writer.begin(frame, ETHERNET_HEADER)
                .source(mapping.primaryAddress, mapping.primaryPort)
                .destination(mapping.clientAddress, mapping.clientPort)
                .sequence(seenClientAck - 1).acknowledgement(primaryAck).flags(TcpHeader.ACK)
                .window(Math.max(0, Math.min(window, 0xffff))).finish();
        Ipv4TcpWriter.ethernetHeader(frame, mapping.clientMac, mapping.primaryMac);
        try {
            wire.send(frame, 0, ETHERNET_HEADER + length);
        } catch (IOException e) {
            log.warn("proxy: {}: cannot ask the client for its acknowledgement: {}", mapping, e.toString());
        }
    }
}
