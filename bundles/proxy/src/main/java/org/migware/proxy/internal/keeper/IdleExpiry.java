package org.migware.proxy.internal.keeper;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import org.migware.proxy.internal.mapping.ConnectionKey;

/**
 * When a kept stream ends although no FIN or RST ended it (issue 10, "the keeper never expires a
 * stream"): its client vanished silently, or the tracker forgot its connection. A stream the
 * tracker no longer holds can never be re-created at a failover (recovery starts from the
 * tracker's table), so it goes once it has been silent for {@link #UNTRACKED_GRACE_NANOS}; a
 * stream the tracker holds as closed, or when no tracker runs, goes after the keeper's own idle or
 * half-open time; a stream whose connection the tracker holds as live is never expired.
 *
 * <p>Also the sweep's working set: the candidates of one sweep, in arrays of its own that grow to
 * {@link #CANDIDATES_PER_SWEEP} once and are reused. Used by the one sweeping thread only.
 */
public final class IdleExpiry {

    /** What the tracker says of a connection. */
    public enum Tracked {
        /** Held, in a state that may still carry data: never expired. */
        LIVE,
        /** Held, closed or reset (lingering): expired after the keeper's own time, as without a tracker. */
        NOT_LIVE,
        /** Not held: the connection cannot be re-created at a failover. */
        FORGOTTEN,
        /** No tracker runs (it is being updated, or stopped): the keeper's own time decides. */
        UNKNOWN
    }

    /** The tracker's view, asked off the capture thread and outside the keeper's lock. */
    @FunctionalInterface
    public interface Tracker {
        Tracked of(int clientAddress, int clientPort, int serviceAddress, int servicePort);
    }

    /**
     * @param idleNanos how long a kept stream the tracker does not hold as live may see no frame
     *     either way before it is freed
     * @param halfOpenNanos the same for a stream whose client never sent anything after its SYN
     */
    public record Bounds(long idleNanos, long halfOpenNanos) {
        /** The tracker's own defaults: 7,200 s idle, 63 s half-open (Linux's SYN-RECV gives up then). */
        public static final Bounds DEFAULTS = new Bounds(TimeUnit.SECONDS.toNanos(7200), TimeUnit.SECONDS.toNanos(63));

        public Bounds {
            if (idleNanos <= 0 || halfOpenNanos <= 0) {
                throw new IllegalArgumentException("keepIdleSeconds and keepHalfOpenSeconds must be positive");
            }
        }
    }

    /**
     * How long a stream the tracker does not hold must have been silent before it goes: longer
     * than the tracker needs to take in the same frame (each listener of the capture sees it in
     * turn), and than a hot-swapped tracker needs to restore its table.
     */
    static final long UNTRACKED_GRACE_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** Slots of each keeper table looked at per sweep: the keeper's lock is held for a bounded time. */
    static final int SLOTS_PER_SWEEP = 1 << 16;
    /** Connections asked of the tracker per sweep: each question takes the tracker's lock once. */
    static final int CANDIDATES_PER_SWEEP = 4096;

    private final Bounds bounds;
    /** Where the next sweep goes on in each table. */
    int streamsCursor;
    int replayCursor;
    // One sweep's candidates, by index below count.
    long[] addresses = new long[64];
    long[] ports = new long[64];
    long[] quiet = new long[64];
    boolean[] halfOpen = new boolean[64];
    /** After {@link #decide}: how long each candidate must still have been silent to go, -1 to stay. */
    long[] needQuiet = new long[64];
    int count;

    public IdleExpiry(Bounds bounds) {
        this.bounds = bounds;
    }

    /** @return the shortest silence after which any stream may go: shorter ones are not even looked up */
    long shortestQuiet() {
        return Math.min(UNTRACKED_GRACE_NANOS, Math.min(bounds.idleNanos(), bounds.halfOpenNanos()));
    }

    void clear() {
        count = 0;
    }

    boolean full() {
        return count >= CANDIDATES_PER_SWEEP;
    }

    void add(long addresses, long ports, long quietNanos, boolean halfOpen) {
        if (count == this.addresses.length) {
            int size = Math.min(CANDIDATES_PER_SWEEP, count * 2);
            this.addresses = Arrays.copyOf(this.addresses, size);
            this.ports = Arrays.copyOf(this.ports, size);
            this.quiet = Arrays.copyOf(this.quiet, size);
            this.halfOpen = Arrays.copyOf(this.halfOpen, size);
            this.needQuiet = Arrays.copyOf(this.needQuiet, size);
        }
        this.addresses[count] = addresses;
        this.ports[count] = ports;
        this.quiet[count] = quietNanos;
        this.halfOpen[count] = halfOpen;
        this.needQuiet[count] = -1;
        count++;
    }

    /** Asks the tracker about every candidate and notes which go. */
    void decide(Tracker tracker) {
        for (int i = 0; i < count; i++) {
            Tracked tracked = tracker.of(ConnectionKey.clientAddress(addresses[i]), ConnectionKey.clientPort(ports[i]),
                    ConnectionKey.serviceAddress(addresses[i]), ConnectionKey.servicePort(ports[i]));
            long need = needQuiet(tracked, halfOpen[i], bounds);
            needQuiet[i] = need >= 0 && quiet[i] >= need ? need : -1;
        }
    }

    /** @return how long a stream must have been silent to go, -1 when it stays whatever its silence */
    static long needQuiet(Tracked tracked, boolean halfOpen, Bounds bounds) {
        return switch (tracked) {
            case LIVE -> -1;
            case FORGOTTEN -> UNTRACKED_GRACE_NANOS;
            case NOT_LIVE, UNKNOWN -> halfOpen ? bounds.halfOpenNanos() : bounds.idleNanos();
        };
    }

    /** @return the bounds in force */
    public Bounds bounds() {
        return bounds;
    }
}
