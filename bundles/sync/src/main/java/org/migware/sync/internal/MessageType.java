package org.migware.sync.internal;

/**
 * The sync channel's messages. The serving host sends the table; the backup says hello, asks
 * for full transfers (at the start of every session and after a gap, as conntrackd's FT-FW
 * asks for a resync) and says it is alive.
 */
enum MessageType {
    /** Backup -> serving host, sequence 0: the backup's fresh nonce (16 bytes). */
    CLIENT_HELLO(1, false),
    /** Serving host -> backup, sequence 0: the serving host's fresh nonce (16 bytes); authenticated with both nonces. */
    SERVER_HELLO(2, true),
    /** Backup -> serving host: send me the whole table (empty payload). */
    RESYNC_REQUEST(3, false),
    /** A full transfer begins: the number of connections that follow (4 bytes). */
    TRANSFER_BEGIN(4, true),
    /** One connection of a full transfer. */
    TRANSFER_ENTRY(5, true),
    /** The full transfer ends: the number of connections sent (4 bytes). */
    TRANSFER_END(6, true),
    /** A connection the serving host's table now holds, established with its handshake known. */
    CONNECTION_NEW(7, true),
    /** A connection the serving host's table no longer holds as established (closed, reset, expired). */
    CONNECTION_GONE(8, true),
    /** Nothing to say: the channel and its sender are alive (empty payload); either direction. */
    ALIVE(9, true);

    final int code;
    /** Whether the serving host sends it (the backup sends ALIVE too). */
    final boolean fromServer;

    MessageType(int code, boolean fromServer) {
        this.code = code;
        this.fromServer = fromServer;
    }

    private static final MessageType[] BY_CODE = new MessageType[16];

    static {
        for (MessageType type : values()) {
            BY_CODE[type.code] = type;
        }
    }

    /** @return the type with this code, or {@code null} */
    static MessageType of(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
