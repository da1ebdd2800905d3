package org.migware.core.internal.decision;

/**
 * Tells the primary's failure from the backup's own isolation. When the backup's capture link is
 * down, or the capture interface has seen no frame at all for a while, the monitors' DOWN says
 * nothing about the primary: the backup may be the one cut off, and taking over next to a living
 * primary would break every connection. Then no takeover happens.
 */
public final class IsolationGuard {

    private final long silenceNanos;
    private long lastReceived = -1;
    private long lastChangeNanos;

    /** @param silenceNanos how long the capture may see nothing before the backup counts as isolated */
    public IsolationGuard(long silenceNanos) {
        this.silenceNanos = silenceNanos;
    }

    /**
     * Records the capture's frame counter; call it regularly.
     *
     * @param received the capture sources' total of frames received, or -1 when no source runs
     */
    public void observe(long received, long nowNanos) {
        if (received != lastReceived) {
            lastReceived = received;
            lastChangeNanos = nowNanos;
        }
    }

    /**
     * @param linkUp whether the capture interface has carrier, or null when unknown
     * @return why the backup looks isolated, or null when it does not
     */
    public String isolation(Boolean linkUp, long nowNanos) {
        if (Boolean.FALSE.equals(linkUp)) {
            return "the backup's own capture link is down";
        }
        if (lastReceived < 0) {
            return "no capture source is running, so the backup cannot see the clients";
        }
        if (nowNanos - lastChangeNanos >= silenceNanos) {
            return "the capture interface has seen no frame for " + (nowNanos - lastChangeNanos) / 1_000_000 + " ms";
        }
        return null;
    }
}
