package org.migware.capture.shared.internal;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Frames dropped by MigWare itself, counted by reason; safe for many counting threads. Both
 * capture bundles carry a private copy of this package (bnd {@code -conditionalpackage}).
 */
public final class DropCounters {

    private final ConcurrentHashMap<String, LongAdder> byReason = new ConcurrentHashMap<>();

    public void count(String reason) {
        byReason.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    public long get(String reason) {
        LongAdder adder = byReason.get(reason);
        return adder == null ? 0 : adder.sum();
    }

    /** @return a sorted copy, for statistics and logs */
    public Map<String, Long> snapshot() {
        Map<String, Long> copy = new TreeMap<>();
        byReason.forEach((reason, adder) -> copy.put(reason, adder.sum()));
        return copy;
    }
}
