package org.migware.api.failover;

/**
 * What a failover now would do with one connection, as far as its delivery goes.
 *
 * @since 2.1
 */
public enum ReplayReadiness {
    /** Its whole client stream is kept and its delivery is {@code replay} or {@code auto}: it would be replayed. */
    REPLAYABLE,
    /** It would be resumed: its delivery is {@code resume}, or {@code auto} and it cannot be replayed. */
    RESUMABLE_ONLY,
    /** Its delivery is {@code replay} but it cannot be replayed: the client would get a reset at failover. */
    NOT_MIGRATABLE
}
