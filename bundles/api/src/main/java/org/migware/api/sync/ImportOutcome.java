package org.migware.api.sync;

/**
 * What {@link ConnectionImport#importHandshake} did with one connection.
 *
 * @since 1.0
 */
public enum ImportOutcome {
    /** The table did not hold the connection: it does now, its handshake and positions as sent. */
    ADDED,
    /** The table held the connection without its handshake (seen mid-stream): the handshake is filled in, the positions stay. */
    HANDSHAKE_FILLED,
    /** The table already knew the handshake: nothing changed (this host's own view wins). */
    ALREADY_KNOWN,
    /** The connection is not to a service this host protects. */
    REFUSED_NOT_SERVICE,
    /** The sent connection lacks an ISN of either side: there is no handshake to import. */
    REFUSED_NO_HANDSHAKE,
    /** The table is full of established connections. */
    REFUSED_TABLE_FULL
}
