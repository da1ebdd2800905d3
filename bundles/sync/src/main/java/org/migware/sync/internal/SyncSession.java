package org.migware.sync.internal;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.migware.api.connection.ConnectionKey;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.DirectionState;
import org.migware.api.sync.ConnectionImport;
import org.migware.api.sync.HandshakeOrigin;
import org.migware.api.sync.ImportOutcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one session of the backup does with the serving host's authentic messages: checks their
 * sequence, imports the connections, and after a complete full transfer reconciles: a connection
 * this host knows only through sync and that the transfer no longer holds was closed on the
 * serving host while the channel was down, and goes. One instance per session; the read thread's.
 */
final class SyncSession {

    private static final Logger LOG = LoggerFactory.getLogger(SyncSession.class);

    private final ConnectionImport table;
    private final SyncCounters counters;
    private final String peer;
    private final SequenceCheck sequence = new SequenceCheck(1);
    /** The keys of the full transfer under way, or {@code null} outside one (or after a gap inside one). */
    private Set<ConnectionKey> transfer;
    private int transferAdded;
    private boolean transferEnded;
    private int transfers;

    SyncSession(ConnectionImport table, SyncCounters counters, String peer) {
        this.table = table;
        this.counters = counters;
        this.peer = peer;
    }

    /**
     * @return whether messages were lost before this one, so that a full transfer must be asked for
     * @throws RejectedFrame for a replayed message, a backup's message, or a payload that is not a connection
     */
    boolean accept(FrameReader.Received message) throws RejectedFrame {
        transferEnded = false;
        SequenceCheck.Verdict verdict = sequence.accept(message.sequence());
        if (verdict == SequenceCheck.Verdict.REPLAY) {
            throw new RejectedFrame(RejectedFrame.Kind.REPLAYED, "message #" + message.sequence()
                    + " was already received (the next is #" + (sequence.expected()) + "): a replay");
        }
        boolean gap = verdict == SequenceCheck.Verdict.GAP;
        if (gap) {
            counters.gaps.incrementAndGet();
            transfer = null; // a transfer with a hole in it proves nothing about what is gone
        }
        counters.messagesReceived.incrementAndGet();
        switch (message.type()) {
            case TRANSFER_BEGIN -> {
                transfer = new HashSet<>();
                transferAdded = 0;
            }
            case TRANSFER_ENTRY -> {
                ConnectionSnapshot c = entry(message);
                if (record(table.importHandshake(c)) == ImportOutcome.ADDED) {
                    transferAdded++;
                }
                if (transfer != null) {
                    transfer.add(c.key());
                }
            }
            case TRANSFER_END -> {
                if (transfer != null) {
                    reconcile();
                }
                transfer = null;
            }
            case CONNECTION_NEW -> record(table.importHandshake(entry(message)));
            case CONNECTION_GONE -> {
                ConnectionCodec.Decoded<ConnectionCodec.Gone> gone = ConnectionCodec.decodeGone(message.payload());
                if (gone.problem() != null) {
                    throw new RejectedFrame(RejectedFrame.Kind.MALFORMED, "a gone connection that is not one: " + gone.problem());
                }
                if (table.importClosed(gone.value().key(), gone.value().clientInitialSequence())) {
                    counters.removed.incrementAndGet();
                }
            }
            case ALIVE -> {
                // the serving host is there
            }
            default -> throw new RejectedFrame(RejectedFrame.Kind.UNEXPECTED,
                    message.type() + " is a backup's message, not the serving host's");
        }
        return gap;
    }

    private void reconcile() {
        int removed = 0;
        for (Map.Entry<ConnectionKey, HandshakeOrigin> e : table.handshakeOrigins().entrySet()) {
            if (e.getValue() == HandshakeOrigin.SYNC && !transfer.contains(e.getKey())
                    && table.importClosed(e.getKey(), DirectionState.UNKNOWN)) {
                removed++;
            }
        }
        counters.removed.addAndGet(removed);
        counters.transfers.incrementAndGet();
        transfers++;
        transferEnded = true;
        LOG.info("sync: the table of {}: {} connections, {} of them new here; {} known only through sync and no longer"
                + " there removed", peer, transfer.size(), transferAdded, removed);
    }

    private static ConnectionSnapshot entry(FrameReader.Received message) throws RejectedFrame {
        ConnectionCodec.Decoded<ConnectionSnapshot> decoded = ConnectionCodec.decodeEntry(message.payload());
        if (decoded.problem() != null) {
            throw new RejectedFrame(RejectedFrame.Kind.MALFORMED, "a connection that is not one: " + decoded.problem());
        }
        return decoded.value();
    }

    private ImportOutcome record(ImportOutcome outcome) {
        switch (outcome) {
            case ADDED -> counters.added.incrementAndGet();
            case HANDSHAKE_FILLED -> counters.handshakesFilled.incrementAndGet();
            case ALREADY_KNOWN -> counters.alreadyKnown.incrementAndGet();
            default -> counters.refused.incrementAndGet();
        }
        return outcome;
    }

    /** @return whether the last accepted message ended a complete full transfer */
    boolean transferEnded() {
        return transferEnded;
    }

    /** @return the complete full transfers of this session */
    int transfers() {
        return transfers;
    }

    long lastGap() {
        return sequence.lastGap();
    }
}
