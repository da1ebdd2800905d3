package org.migware.api.failover;

import java.util.Objects;

import org.migware.api.connection.Endpoint;

/**
 * A tracked connection that was left alone at failover, and why.
 *
 * @param client the client's end
 * @param server the primary's end
 * @param reason why
 * @param detail the particulars in words (for example the TCP state), or {@code null}
 * @since 1.2
 */
public record NotRecoverableConnection(Endpoint client, Endpoint server, NotRecoverableReason reason, String detail) {

    /** Validates the fields. */
    public NotRecoverableConnection {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(reason, "reason");
    }
}
