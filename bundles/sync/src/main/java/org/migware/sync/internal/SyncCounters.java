package org.migware.sync.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** What the sync channel counted, on either side; shown by {@code migware:sync}. */
final class SyncCounters {

    final AtomicLong forged = new AtomicLong();
    final AtomicLong replayed = new AtomicLong();
    final AtomicLong malformed = new AtomicLong();
    final AtomicLong unexpected = new AtomicLong();
    final AtomicLong gaps = new AtomicLong();
    final AtomicLong resyncRequests = new AtomicLong();
    final AtomicLong transfers = new AtomicLong();
    final AtomicLong overflowDrops = new AtomicLong();
    final AtomicLong sessions = new AtomicLong();
    final AtomicLong messagesSent = new AtomicLong();
    final AtomicLong messagesReceived = new AtomicLong();
    final AtomicLong added = new AtomicLong();
    final AtomicLong handshakesFilled = new AtomicLong();
    final AtomicLong alreadyKnown = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
    final AtomicLong removed = new AtomicLong();

    void rejected(RejectedFrame.Kind kind) {
        switch (kind) {
            case FORGED -> forged.incrementAndGet();
            case REPLAYED -> replayed.incrementAndGet();
            case MALFORMED -> malformed.incrementAndGet();
            default -> unexpected.incrementAndGet();
        }
    }

    long rejected() {
        return forged.get() + replayed.get() + malformed.get() + unexpected.get();
    }

    /** @return every counter by name, in a stable order */
    Map<String, Long> asMap() {
        Map<String, Long> map = new LinkedHashMap<>();
        map.put("sessions", sessions.get());
        map.put("messagesSent", messagesSent.get());
        map.put("messagesReceived", messagesReceived.get());
        map.put("transfers", transfers.get());
        map.put("resyncRequests", resyncRequests.get());
        map.put("gaps", gaps.get());
        map.put("overflowDrops", overflowDrops.get());
        map.put("rejectedForged", forged.get());
        map.put("rejectedReplayed", replayed.get());
        map.put("rejectedMalformed", malformed.get());
        map.put("rejectedUnexpected", unexpected.get());
        map.put("importedAdded", added.get());
        map.put("importedHandshakeFilled", handshakesFilled.get());
        map.put("importedAlreadyKnown", alreadyKnown.get());
        map.put("importRefused", refused.get());
        map.put("removedAsGone", removed.get());
        return map;
    }
}
