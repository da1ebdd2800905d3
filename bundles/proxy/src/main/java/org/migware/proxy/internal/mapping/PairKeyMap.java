package org.migware.proxy.internal.mapping;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * An open-addressing map from a key of two primitive longs to a value: the proxy looks up a
 * connection by its packed 4-tuple ({@link ConnectionKey}) on every packet, and a
 * {@code HashMap<Long, V>} would box each key. One long is too narrow for two IPv4 addresses and
 * two ports.
 *
 * <p>The hash is seeded per map from a secure random source: the keys come from frames anyone on
 * the segment can forge, and a fixed hash would let crafted tuples build long probe chains on
 * the capture thread. Not thread-safe; the engine guards it.
 */
public final class PairKeyMap<V> {

    private static final SecureRandom SEEDS = new SecureRandom();

    private final long seed = SEEDS.nextLong() | 1L;
    private long[] highs;
    private long[] lows;
    private boolean[] used;
    private Object[] values;
    private int size;

    public PairKeyMap() {
        allocate(64);
    }

    public int size() {
        return size;
    }

    @SuppressWarnings("unchecked")
    public V get(long high, long low) {
        int mask = used.length - 1;
        for (int i = slot(high, low, mask); used[i]; i = (i + 1) & mask) {
            if (highs[i] == high && lows[i] == low) {
                return (V) values[i];
            }
        }
        return null;
    }

    public void put(long high, long low, V value) {
        if ((size + 1) * 2 > used.length) {
            grow();
        }
        int mask = used.length - 1;
        int i = slot(high, low, mask);
        for (; used[i]; i = (i + 1) & mask) {
            if (highs[i] == high && lows[i] == low) {
                values[i] = value;
                return;
            }
        }
        used[i] = true;
        highs[i] = high;
        lows[i] = low;
        values[i] = value;
        size++;
    }

    public void remove(long high, long low) {
        int mask = used.length - 1;
        int i = slot(high, low, mask);
        for (; highs[i] != high || lows[i] != low; i = (i + 1) & mask) {
            if (!used[i]) {
                return;
            }
        }
        if (!used[i]) {
            return; // a freed slot that still holds the key's numbers
        }
        used[i] = false;
        values[i] = null;
        size--;
        // Backward-shift the cluster after the hole so lookups never stop early.
        for (int j = (i + 1) & mask; used[j]; j = (j + 1) & mask) {
            int home = slot(highs[j], lows[j], mask);
            if (((j - home) & mask) >= ((j - i) & mask)) {
                used[i] = true;
                highs[i] = highs[j];
                lows[i] = lows[j];
                values[i] = values[j];
                used[j] = false;
                values[j] = null;
                i = j;
            }
        }
    }

    @SuppressWarnings("unchecked")
    public void forEachValue(Consumer<V> action) {
        for (int i = 0; i < used.length; i++) {
            if (used[i]) {
                action.accept((V) values[i]);
            }
        }
    }

    /** What {@link #forEach} hands each entry to. */
    public interface EntryAction<V> {
        void accept(long high, long low, V value);
    }

    @SuppressWarnings("unchecked")
    public void forEach(EntryAction<V> action) {
        for (int i = 0; i < used.length; i++) {
            if (used[i]) {
                action.accept(highs[i], lows[i], (V) values[i]);
            }
        }
    }

    /** What {@link #forEachFrom} hands each entry to; false stops the walk at that entry. */
    public interface SlotVisitor<V> {
        boolean visit(long high, long low, V value);
    }

    /**
     * Walks at most {@code slots} slots from {@code start} on (wrapping), handing each entry to
     * {@code visitor} until it says stop, so that a periodic sweep can go through a large map a
     * bounded piece at a time. The visitor must not change the map. The position is a hint: after
     * the map grew, or lost entries, an entry may be visited twice or skipped until the next round.
     *
     * @return the slot to start the next walk at: the one the visitor stopped at, else the one after the last visited
     */
    @SuppressWarnings("unchecked")
    public int forEachFrom(int start, int slots, SlotVisitor<V> visitor) {
        int mask = used.length - 1;
        int i = start & mask;
        for (int visited = Math.min(slots, used.length); visited > 0; visited--) {
            if (used[i] && !visitor.visit(highs[i], lows[i], (V) values[i])) {
                return i;
            }
            i = (i + 1) & mask;
        }
        return i;
    }

    private void allocate(int capacity) {
        highs = new long[capacity];
        lows = new long[capacity];
        used = new boolean[capacity];
        values = new Object[capacity];
        size = 0;
    }

    @SuppressWarnings("unchecked")
    private void grow() {
        long[] oldHighs = highs;
        long[] oldLows = lows;
        boolean[] oldUsed = used;
        Object[] oldValues = values;
        allocate(oldUsed.length * 2);
        for (int i = 0; i < oldUsed.length; i++) {
            if (oldUsed[i]) {
                put(oldHighs[i], oldLows[i], (V) oldValues[i]);
            }
        }
    }

    private int slot(long high, long low, int mask) {
        long h = (high * seed + low) * 0x9E3779B97F4A7C15L;
        h ^= h >>> 29;
        h *= seed;
        return (int) (h ^ (h >>> 32)) & mask;
    }
}
