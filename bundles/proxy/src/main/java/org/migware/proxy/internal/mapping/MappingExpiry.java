package org.migware.proxy.internal.mapping;

import java.util.ArrayList;
import java.util.List;

/**
 * Bounds the mappings of PROXY, as conntrack bounds its table: a new connection passed to the
 * replica whose client never completed its handshake (a spoofed SYN, a client gone) ends after
 * {@code halfOpenNanos}; any mapping that saw no segment either way for {@code idleNanos} ends;
 * and no new connection is taken once {@code maxMappings} are held. An established connection
 * is never ended to make room for a new one: the new SYN is dropped and counted, and its client
 * retries, as behind a full SYN backlog. Swept at most once a second, under the engine's lock.
 */
public final class MappingExpiry {

    private static final long SWEEP_EVERY_NANOS = 1_000_000_000L;

    private final Bounds bounds;
    private long lastSweepNanos;
    /** New connections refused because the table was full. */
    public long refusedFull;
    /** Mappings ended after their half-open or idle time. */
    public long expiredHalfOpen;
    public long expiredIdle;

    /**
     * @param maxMappings the most mappings held; a new connection beyond it is refused
     * @param halfOpenNanos how long a passed-through connection may wait for its client's first segment after the SYN
     * @param idleNanos how long any mapping may see no segment at all
     */
    public record Bounds(int maxMappings, long halfOpenNanos, long idleNanos) {
        /** 250,000 mappings; 60 s half-open (Linux gives up a SYN-RECV after about 63 s); 5 days idle (conntrack's established timeout). */
        public static final Bounds DEFAULTS = new Bounds(250_000, 60_000_000_000L, 432_000_000_000_000L);
    }

    public MappingExpiry(Bounds bounds) {
        this.bounds = bounds;
    }

    /** @return whether a new connection may get a mapping; counts the refusal when not */
    public boolean admits(int mappings) {
        if (mappings < bounds.maxMappings()) {
            return true;
        }
        refusedFull++;
        return false;
    }

    /** Ends the mappings whose time is up; cheap when called more often than once a second. */
    public void sweep(long now, MappingTable table) {
        if (now - lastSweepNanos < SWEEP_EVERY_NANOS) {
            return;
        }
        lastSweepNanos = now;
        List<Mapping> halfOpen = new ArrayList<>();
        List<Mapping> idle = new ArrayList<>();
        table.forEachByClient(m -> {
            long quiet = now - m.lastSeenNanos;
            if (m.candidate == null && !m.clientCompletedHandshake && quiet >= bounds.halfOpenNanos()) {
                halfOpen.add(m);
            } else if (quiet >= bounds.idleNanos()) {
                idle.add(m);
            }
        });
        for (Mapping m : halfOpen) {
            table.closeQuietly(m);
        }
        for (Mapping m : idle) {
            table.close(m, "no segment either way for " + bounds.idleNanos() / 1_000_000_000L + " s");
        }
        expiredHalfOpen += halfOpen.size();
        expiredIdle += idle.size();
    }
}
