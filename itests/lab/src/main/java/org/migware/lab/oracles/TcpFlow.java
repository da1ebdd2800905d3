package org.migware.lab.oracles;

/**
 * One TCP connection as decoded from a capture by {@link TsharkDecoder}.
 *
 * @param key the 4-tuple, oriented client to server
 * @param client what the client sent
 * @param server what the server sent
 * @param packets captured packets of the connection, both ways
 * @param firstSeenEpochSeconds capture time of its first packet
 * @param lastSeenEpochSeconds capture time of its last packet
 */
public record TcpFlow(FlowKey key, Side client, Side server, long packets, double firstSeenEpochSeconds,
                      double lastSeenEpochSeconds) {

    /** @return true when both the SYN and the SYN-ACK were captured, so both ISNs and option sets are known */
    public boolean handshakeSeen() {
        return client.synSeen() && server.synSeen();
    }

    /**
     * One direction of the connection: what one side sent, counted in sequence space (so
     * retransmissions and segments the capture missed in the middle do not change the count).
     *
     * @param synSeen whether this side's SYN (or SYN-ACK) was captured
     * @param isn its initial sequence number, -1 when the SYN was not captured
     * @param synOptions the options of its SYN; {@link SynOptions#NONE} when not captured
     * @param payloadBytes payload bytes sent: highest (seq + len) minus (ISN + 1), modulo 2^32;
     *        without a captured SYN, counted from the first captured segment
     * @param segments captured segments from this side
     * @param highestAck the highest acknowledgment number it sent (raw), -1 if none
     * @param ackedBytes how much of the peer's sequence space it acknowledged: highestAck minus
     *        (peer ISN + 1), so it includes 1 for an acknowledged FIN; -1 when unknown
     * @param lastTsval the TSval of its last captured segment, -1 without timestamps
     * @param finSeen whether it sent a FIN
     * @param resetSeen whether it sent a RST
     */
    public record Side(boolean synSeen, long isn, SynOptions synOptions, long payloadBytes, long segments, long highestAck,
                       long ackedBytes, long lastTsval, boolean finSeen, boolean resetSeen) {
    }
}
