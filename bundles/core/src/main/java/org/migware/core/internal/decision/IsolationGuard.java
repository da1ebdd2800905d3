package org.migware.core.internal.decision;

/**
 * Tells the primary's failure from the backup's own isolation. When the backup's capture link is
 * down, or the capture interface has seen no frame at all for a while, the monitors' DOWN says
 * nothing about the primary: the backup may be the one cut off, and taking over next to a living
 * primary would break every connection. Then no takeover happens.
 *
 * <p>Isolation also leaves stale verdicts behind: when the link comes back, the monitors still
 * say DOWN until their next probe succeeds. So the guard stays closed for a settle time after
 * the isolation ends, long enough for fresh verdicts.
 */
public final class IsolationGuard {

    private final long silenceNanos;
    private final long settleNanos;
    private long lastReceived = -1;
    private long lastChangeNanos;
    private long lastIsolatedNanos = -1;
    private String lastIsolation;

    /**
     * @param silenceNanos how long the capture may see nothing before the backup counts as isolated
     * @param settleNanos how long after an isolation ends verdicts are not trusted
     */
    public IsolationGuard(long silenceNanos, long settleNanos) {
        this.silenceNanos = silenceNanos;
        this.settleNanos = settleNanos;
    }

    /**
     * Records what the backup sees; call it on every evaluation, so that an isolation is noticed
     * even while no decision is being taken.
     *
     * @param received the capture sources' total of frames received, or -1 when no source runs
     * @param linkUp whether the capture interface has carrier, or null when unknown
     */
    public void observe(long received, Boolean linkUp, long nowNanos) {
        if (received != lastReceived) {
            lastReceived = received;
            lastChangeNanos = nowNanos;
        }
        String isolation = currentIsolation(linkUp, nowNanos);
        if (isolation != null) {
            lastIsolatedNanos = nowNanos;
            lastIsolation = isolation;
        }
    }

    /** @return why the backup looks isolated now or did so a moment ago, or null when it does not */
    public String isolation(Boolean linkUp, long nowNanos) {
        String now = currentIsolation(linkUp, nowNanos);
        if (now != null) {
            return now;
        }
        if (lastIsolatedNanos >= 0 && nowNanos - lastIsolatedNanos < settleNanos) {
            return lastIsolation + " until " + (nowNanos - lastIsolatedNanos) / 1_000_000
                    + " ms ago; waiting " + settleNanos / 1_000_000 + " ms for fresh verdicts";
        }
        return null;
    }

    private String currentIsolation(Boolean linkUp, long nowNanos) {
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
