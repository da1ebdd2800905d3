package org.migware.api.sync;

import java.util.Map;

import org.migware.api.connection.ConnectionKey;
import org.migware.api.connection.ConnectionSnapshot;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The connection table's door for connections learnt from another host's table rather than from
 * this host's capture. The tracker provides it beside its
 * {@link org.migware.api.connection.ConnectionTable}; the sync bundle's backup side calls it.
 *
 * <p>This host's own capture keeps tracking every connection: an import fills in what the capture
 * could not see (the handshake), and never moves the sequence positions of a connection the
 * capture already follows.
 *
 * @since 1.0
 */
@ProviderType
public interface ConnectionImport {

    /**
     * Takes in one connection of the serving host's table.
     *
     * <p>A connection the table does not hold is added with the handshake and positions sent; as
     * with one restored from a state file, the first segment each side sends next is believed as it
     * comes (the positions are as old as the message). A connection held without its handshake gets
     * the handshake filled in. A connection whose handshake is known is left as it is.
     *
     * @param connection the serving host's snapshot; both sides' initial sequences must be known
     * @return what was done
     */
    ImportOutcome importHandshake(ConnectionSnapshot connection);

    /**
     * The serving host says that this connection is gone (closed, reset or expired there).
     *
     * @param key the connection
     * @param clientInitialSequence the client's ISN of the incarnation that is gone (unsigned 32 bits),
     *     or {@link org.migware.api.connection.DirectionState#UNKNOWN}: a later incarnation of the
     *     same 4-tuple, with another ISN, is kept
     * @return whether the table held that incarnation and removed it
     */
    boolean importClosed(ConnectionKey key, long clientInitialSequence);

    /** @return for every connection in the table, where its handshake came from */
    Map<ConnectionKey, HandshakeOrigin> handshakeOrigins();

    /**
     * @return a count that moves whenever a connection is added or removed, changes its TCP state
     *     or gets its handshake; equal counts mean the same connections in the same states, so a
     *     reader that compares tables (the serving side of sync) can skip an unchanged one
     */
    long changeCount();
}
