package org.migware.api.failover;

import java.util.Objects;

import org.migware.api.connection.Endpoint;

/**
 * One connection as the migration bundle keeps it before failover: what a failover now would do
 * with it, and why it could not be replayed.
 *
 * @param client the client's end
 * @param server the service's end
 * @param delivery the delivery configured for its port
 * @param readiness what a failover now would do with it
 * @param reason why it cannot be replayed; {@code null} when it can, or when nothing is kept
 *     for replay ({@link Delivery#RESUME})
 * @param clientBytesKept client bytes kept from its first byte on
 * @param serverBytesDigested server bytes seen, whose digest is kept
 * @param serverBytesAcknowledged server bytes the client acknowledged
 * @since 2.1
 */
public record KeptConnection(Endpoint client, Endpoint server, Delivery delivery, ReplayReadiness readiness,
        NotReplayableReason reason, long clientBytesKept, long serverBytesDigested, long serverBytesAcknowledged) {

    /** Validates the fields. */
    public KeptConnection {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(delivery, "delivery");
        Objects.requireNonNull(readiness, "readiness");
    }
}
