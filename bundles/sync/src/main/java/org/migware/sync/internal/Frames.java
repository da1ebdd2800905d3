package org.migware.sync.internal;

/**
 * The sync channel's frame (all fields big-endian):
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          magic 'M' 'S'        |    version    |     type      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 sequence number (64 bits, per direction        |
 * |                 and session; the hellos are 0)                 |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 payload length (0 to MAX_PAYLOAD)              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 payload ...                                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 HMAC-SHA256 (32 bytes) of the session's nonces,|
 * |                 the header and the payload                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
final class Frames {

    static final int MAGIC = 0x4D53;
    static final int VERSION = 1;
    static final int MAGIC_OFFSET = 0;
    static final int VERSION_OFFSET = 2;
    static final int TYPE_OFFSET = 3;
    static final int SEQUENCE_OFFSET = 4;
    static final int LENGTH_OFFSET = 12;
    static final int HEADER_LENGTH = 16;
    /** Far above one connection's entry (about 130 bytes): a length above it is refused before anything is read. */
    static final int MAX_PAYLOAD = 1024;
    static final int MAX_FRAME = HEADER_LENGTH + MAX_PAYLOAD + SessionMac.TAG_LENGTH;

    private Frames() {
    }

    /** @return a whole signed frame */
    static byte[] encode(MessageType type, long sequence, byte[] payload, SessionMac mac) {
        if (payload.length > MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload of " + payload.length + " bytes, above " + MAX_PAYLOAD);
        }
        byte[] frame = new byte[HEADER_LENGTH + payload.length + SessionMac.TAG_LENGTH];
        frame[MAGIC_OFFSET] = (byte) (MAGIC >>> 8);
        frame[MAGIC_OFFSET + 1] = (byte) MAGIC;
        frame[VERSION_OFFSET] = VERSION;
        frame[TYPE_OFFSET] = (byte) type.code;
        putLong(frame, SEQUENCE_OFFSET, sequence);
        putInt(frame, LENGTH_OFFSET, payload.length);
        System.arraycopy(payload, 0, frame, HEADER_LENGTH, payload.length);
        mac.sign(frame, HEADER_LENGTH + payload.length);
        return frame;
    }

    /**
     * @return why the 16 header bytes at {@code frame[0]} are not a frame's header of this version,
     *     or {@code null} when they are; the payload length is then at most {@link #MAX_PAYLOAD}
     */
    static String headerProblem(byte[] frame) {
        int magic = (frame[MAGIC_OFFSET] & 0xff) << 8 | frame[MAGIC_OFFSET + 1] & 0xff;
        if (magic != MAGIC) {
            return String.format("not a sync frame (magic %04x)", magic);
        }
        if ((frame[VERSION_OFFSET] & 0xff) != VERSION) {
            return "sync protocol version " + (frame[VERSION_OFFSET] & 0xff) + ", this host speaks " + VERSION;
        }
        if (MessageType.of(frame[TYPE_OFFSET] & 0xff) == null) {
            return "unknown message type " + (frame[TYPE_OFFSET] & 0xff);
        }
        long length = getInt(frame, LENGTH_OFFSET) & 0xffffffffL;
        if (length > MAX_PAYLOAD) {
            return "payload length " + length + " above the limit of " + MAX_PAYLOAD;
        }
        return null;
    }

    static MessageType type(byte[] frame) {
        return MessageType.of(frame[TYPE_OFFSET] & 0xff);
    }

    static long sequence(byte[] frame) {
        return getLong(frame, SEQUENCE_OFFSET);
    }

    static int payloadLength(byte[] frame) {
        return getInt(frame, LENGTH_OFFSET);
    }

    static void putLong(byte[] b, int offset, long value) {
        for (int i = 0; i < 8; i++) {
            b[offset + i] = (byte) (value >>> (56 - 8 * i));
        }
    }

    static void putInt(byte[] b, int offset, int value) {
        for (int i = 0; i < 4; i++) {
            b[offset + i] = (byte) (value >>> (24 - 8 * i));
        }
    }

    static long getLong(byte[] b, int offset) {
        long value = 0;
        for (int i = 0; i < 8; i++) {
            value = value << 8 | b[offset + i] & 0xff;
        }
        return value;
    }

    static int getInt(byte[] b, int offset) {
        return (b[offset] & 0xff) << 24 | (b[offset + 1] & 0xff) << 16 | (b[offset + 2] & 0xff) << 8 | b[offset + 3] & 0xff;
    }
}
