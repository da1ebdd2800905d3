package org.migware.sync.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;

import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.DirectionState;
import org.migware.api.connection.Endpoint;
import org.migware.api.connection.TcpState;

/** Connections of 10.9.0.1:port to the service 10.9.0.2:7000, as a serving host's table holds them. */
final class Connections {

    private Connections() {
    }

    static ConnectionSnapshot established(int clientPort, long clientIsn, long serverIsn) {
        return of(clientPort, clientIsn, serverIsn, TcpState.ESTABLISHED, true);
    }

    static ConnectionSnapshot of(int clientPort, long clientIsn, long serverIsn, TcpState state, boolean handshakeSeen) {
        DirectionState client = new DirectionState(clientIsn, 1460, 7, true, true, (serverIsn + 101) & 0xffffffffL,
                (clientIsn + 1 + clientPort) & 0xffffffffL, 123_456, 502, clientPort, 3, 0, 0, DirectionState.ECE | DirectionState.CWR);
        DirectionState server = new DirectionState(serverIsn, 1400, 9, true, true, (clientIsn + 1 + clientPort) & 0xffffffffL,
                (serverIsn + 101) & 0xffffffffL, 0xfffffffeL, 65535, 100, 2, 0, 0, DirectionState.ECE);
        Instant seen = Instant.parse("2026-12-07T04:00:00.123Z");
        return new ConnectionSnapshot(new Endpoint(address("10.9.0.1"), clientPort, "02:00:00:00:00:01"),
                new Endpoint(address("10.9.0.2"), 7000, "02:00:00:00:0a:ff"), client, server, state, handshakeSeen, seen, seen);
    }

    static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
