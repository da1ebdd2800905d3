package org.migware.sync.internal;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 of one session: every frame's tag covers the session's two nonces, then the
 * frame's header and payload. A frame recorded in another session (other nonces) therefore
 * fails here, and one replayed within its session fails the sequence check. Not thread-safe:
 * one instance per sending side and one per receiving side.
 */
final class SessionMac {

    static final int TAG_LENGTH = 32;
    static final int NONCE_LENGTH = 16;
    /** Both nonces, the backup's first. */
    static final int SESSION_LENGTH = 2 * NONCE_LENGTH;

    private final Mac mac;
    private final byte[] session;
    private final byte[] expected = new byte[TAG_LENGTH];

    /**
     * @param key the shared key
     * @param session the backup's nonce then the serving host's; all zeros for the backup's hello,
     *     before the serving host's nonce is known
     */
    SessionMac(byte[] key, byte[] session) {
        if (session.length != SESSION_LENGTH) {
            throw new IllegalArgumentException("a session is " + SESSION_LENGTH + " bytes, not " + session.length);
        }
        try {
            mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is in every Java 17 runtime", e);
        }
        this.session = session.clone();
    }

    /** Writes the tag of {@code frame[0, length)} at {@code frame[length]}. */
    void sign(byte[] frame, int length) {
        mac.update(session);
        mac.update(frame, 0, length);
        try {
            mac.doFinal(frame, length);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the frame has room for the tag", e);
        }
    }

    /** @return whether {@code frame[length, length + 32)} is the tag of {@code frame[0, length)}; in constant time */
    boolean verify(byte[] frame, int length) {
        mac.update(session);
        mac.update(frame, 0, length);
        try {
            mac.doFinal(expected, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the buffer has room for the tag", e);
        }
        byte[] received = new byte[TAG_LENGTH];
        System.arraycopy(frame, length, received, 0, TAG_LENGTH);
        return MessageDigest.isEqual(expected, received);
    }
}
