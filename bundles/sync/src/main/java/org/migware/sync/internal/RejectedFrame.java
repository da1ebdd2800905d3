package org.migware.sync.internal;

import java.io.IOException;

/** A frame that is not taken: malformed, forged, replayed or out of place. The channel is closed after it. */
final class RejectedFrame extends IOException {

    private static final long serialVersionUID = 1L;

    /** Why, for the counters. */
    enum Kind {
        /** Not a frame of this protocol: bad magic, version, type or length. */
        MALFORMED,
        /** The HMAC does not match: forged, corrupted, or made with another key. */
        FORGED,
        /** Authentic, but its sequence number was already used in this session. */
        REPLAYED,
        /** Authentic, but not a message that may come now (a backup's message from the serving host, a second hello). */
        UNEXPECTED
    }

    final Kind kind;

    RejectedFrame(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }
}
