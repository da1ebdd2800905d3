package org.migware.api.connection;

/** The life of a tracked connection as seen on the wire. */
public enum TcpState {
    /** SYN (and perhaps SYN-ACK) seen, the handshake's final ACK not yet. */
    HANDSHAKE,
    /** Data may flow both ways; also the state of a connection first seen mid-stream. */
    ESTABLISHED,
    /** At least one FIN seen, not both acknowledged. */
    CLOSING,
    /** Both FINs seen and acknowledged. */
    CLOSED,
    /** A RST was accepted. */
    RESET;

    /** @return whether the connection may still carry data */
    public boolean isLive() {
        return this == HANDSHAKE || this == ESTABLISHED || this == CLOSING;
    }
}
