package org.migware.api.packet;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Receives captured Ethernet frames from a {@link PacketSource}.
 *
 * <p>Called on the source's capture thread, one frame at a time, in capture order. An
 * implementation must return quickly, must not throw (a throwing listener is counted and the
 * frame dropped, but it costs the capture thread dearly), and must not keep a reference to
 * {@code frame} after returning: a source may reuse the array.
 */
@ConsumerType
public interface PacketListener {

    /**
     * One captured frame.
     *
     * @param frame the bytes; valid only during this call
     * @param offset where the Ethernet header starts in {@code frame}
     * @param length the captured length from {@code offset}
     * @param timestampNanos capture time in nanoseconds since the Unix epoch
     */
    void onPacket(byte[] frame, int offset, int length, long timestampNanos);
}
