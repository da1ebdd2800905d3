package org.migware.capture.shared.internal;

/**
 * The reasons under which the live capture counts a frame in
 * {@link org.migware.api.packet.CaptureStatistics#droppedByUs()}; the file source uses the same
 * words for the same causes.
 */
public final class DropReasons {

    /** A listener threw; the frame still went to every other listener. Counted once per listener. */
    public static final String LISTENER_FAILED = "listener-failed";

    /**
     * The frame was longer than the snapshot length, so its end is missing. With GRO/LRO on the
     * capture interface the kernel hands over merged segments of up to 64 KiB (more with BIG TCP):
     * raise {@code snapshotLength} to 262144 or turn GRO off ({@code ethtool -K IF gro off}).
     */
    public static final String LONGER_THAN_SNAPLEN = "longer-than-snaplen";

    private DropReasons() {
    }
}
