package org.migware.sync.internal;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads frames from a stream into one buffer of {@link Frames#MAX_FRAME} bytes: a length field
 * above the limit is refused before any payload is read, so no input makes it allocate more.
 * Checks the header and the tag; the caller checks the sequence.
 */
final class FrameReader {

    /** One received, authentic frame; its payload is a copy. */
    record Received(MessageType type, long sequence, byte[] payload) {
    }

    private final InputStream in;
    private final byte[] buffer = new byte[Frames.MAX_FRAME];

    FrameReader(InputStream in) {
        this.in = in;
    }

    /**
     * @param mac the session's receiving HMAC
     * @return the next frame
     * @throws EOFException at the end of the stream, also in the middle of a frame
     * @throws RejectedFrame when the frame is malformed or its tag does not match
     */
    Received read(SessionMac mac) throws IOException {
        int payloadLength = readUnverified();
        if (!mac.verify(buffer, Frames.HEADER_LENGTH + payloadLength)) {
            throw forged();
        }
        return received(payloadLength);
    }

    /**
     * Reads the serving host's hello, whose tag covers its own payload (the serving host's nonce)
     * as the second half of the session: the nonce is read first, then the tag is checked.
     *
     * @param sessionId the backup's nonce in its first half; the serving host's is written into the second
     */
    Received readServerHello(byte[] key, byte[] sessionId) throws IOException {
        int payloadLength = readUnverified();
        if (Frames.type(buffer) != MessageType.SERVER_HELLO || Frames.sequence(buffer) != 0
                || payloadLength != SessionMac.NONCE_LENGTH) {
            throw new RejectedFrame(RejectedFrame.Kind.UNEXPECTED, "the first message is " + Frames.type(buffer) + " #"
                    + Frames.sequence(buffer) + " of " + payloadLength + " bytes, not the serving host's hello");
        }
        System.arraycopy(buffer, Frames.HEADER_LENGTH, sessionId, SessionMac.NONCE_LENGTH, SessionMac.NONCE_LENGTH);
        if (!new SessionMac(key, sessionId).verify(buffer, Frames.HEADER_LENGTH + payloadLength)) {
            throw forged();
        }
        return received(payloadLength);
    }

    /** @return the payload length of the frame now in the buffer, header checked, tag not */
    private int readUnverified() throws IOException {
        readFully(buffer, 0, Frames.HEADER_LENGTH);
        String problem = Frames.headerProblem(buffer);
        if (problem != null) {
            throw new RejectedFrame(RejectedFrame.Kind.MALFORMED, problem);
        }
        int payloadLength = Frames.payloadLength(buffer);
        readFully(buffer, Frames.HEADER_LENGTH, payloadLength + SessionMac.TAG_LENGTH);
        return payloadLength;
    }

    private Received received(int payloadLength) {
        byte[] payload = new byte[payloadLength];
        System.arraycopy(buffer, Frames.HEADER_LENGTH, payload, 0, payloadLength);
        return new Received(Frames.type(buffer), Frames.sequence(buffer), payload);
    }

    private static RejectedFrame forged() {
        return new RejectedFrame(RejectedFrame.Kind.FORGED, "its HMAC does not match (forged, corrupted, or made with another key)");
    }

    private void readFully(byte[] target, int offset, int length) throws IOException {
        int done = 0;
        while (done < length) {
            int n = in.read(target, offset + done, length - done);
            if (n < 0) {
                throw new EOFException(done == 0 && offset == 0 ? "the channel was closed" : "the channel was closed in the middle of a frame");
            }
            done += n;
        }
    }
}
