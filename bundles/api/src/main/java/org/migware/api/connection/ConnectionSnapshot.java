package org.migware.api.connection;

import java.time.Instant;
import java.util.Objects;

/**
 * An immutable copy of one tracked connection at one moment.
 *
 * @param client the client end, with the MAC it sends from
 * @param server the service end (the primary), with the MAC it sends from
 * @param clientToServer what the client sent
 * @param serverToClient what the server sent
 * @param state the connection's TCP state
 * @param handshakeSeen false when the connection was first seen mid-stream, so its ISNs and
 *     options are unknown
 * @param firstSeen when the first frame of the connection was captured
 * @param lastActivity when the last frame of the connection was captured
 */
public record ConnectionSnapshot(
        Endpoint client,
        Endpoint server,
        DirectionState clientToServer,
        DirectionState serverToClient,
        TcpState state,
        boolean handshakeSeen,
        Instant firstSeen,
        Instant lastActivity) {

    /** Validates the fields. */
    public ConnectionSnapshot {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(clientToServer, "clientToServer");
        Objects.requireNonNull(serverToClient, "serverToClient");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(firstSeen, "firstSeen");
        Objects.requireNonNull(lastActivity, "lastActivity");
    }

    /** @return the 4-tuple */
    public ConnectionKey key() {
        return new ConnectionKey(client.address(), client.port(), server.address(), server.port());
    }

    /** @return whether both SYNs carried SACK-permitted */
    public boolean sackNegotiated() {
        return clientToServer.sackPermitted() && serverToClient.sackPermitted();
    }

    /** @return whether both SYNs carried timestamps */
    public boolean timestampsNegotiated() {
        return clientToServer.timestamps() && serverToClient.timestamps();
    }

    /** @return whether both SYNs carried a window scale (RFC 7323: otherwise neither side scales) */
    public boolean windowScalingNegotiated() {
        return clientToServer.windowScale() >= 0 && serverToClient.windowScale() >= 0;
    }
}
