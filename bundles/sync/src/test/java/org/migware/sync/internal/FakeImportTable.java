package org.migware.sync.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.migware.api.connection.ConnectionKey;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.DirectionState;
import org.migware.api.sync.ConnectionImport;
import org.migware.api.sync.HandshakeOrigin;
import org.migware.api.sync.ImportOutcome;

/**
 * A backup's table as ConnectionImport documents it (the tracker's own behaviour is tested in
 * the tracker's ConnectionImportTest): held connections with where their handshake came from.
 */
final class FakeImportTable implements ConnectionImport {

    record Held(ConnectionSnapshot connection, HandshakeOrigin origin) {
    }

    final Map<ConnectionKey, Held> held = new ConcurrentHashMap<>();

    /** This host's capture saw the connection, with (CAPTURE) or without (MISSED) its handshake. */
    void captured(ConnectionSnapshot c, HandshakeOrigin origin) {
        held.put(c.key(), new Held(c, origin));
    }

    @Override
    public synchronized ImportOutcome importHandshake(ConnectionSnapshot c) {
        Held before = held.get(c.key());
        if (before == null) {
            held.put(c.key(), new Held(c, HandshakeOrigin.SYNC));
            return ImportOutcome.ADDED;
        }
        if (before.origin() == HandshakeOrigin.MISSED) {
            held.put(c.key(), new Held(c, HandshakeOrigin.SYNC));
            return ImportOutcome.HANDSHAKE_FILLED;
        }
        return ImportOutcome.ALREADY_KNOWN;
    }

    @Override
    public synchronized boolean importClosed(ConnectionKey key, long clientInitialSequence) {
        Held before = held.get(key);
        if (before == null || clientInitialSequence != DirectionState.UNKNOWN
                && before.connection().clientToServer().initialSequence() != clientInitialSequence) {
            return false;
        }
        held.remove(key);
        return true;
    }

    @Override
    public long changeCount() {
        throw new UnsupportedOperationException("a backup's table: the serving side's count is ServingTable's");
    }

    @Override
    public synchronized Map<ConnectionKey, HandshakeOrigin> handshakeOrigins() {
        Map<ConnectionKey, HandshakeOrigin> origins = new LinkedHashMap<>();
        held.forEach((key, h) -> origins.put(key, h.origin()));
        return origins;
    }
}
