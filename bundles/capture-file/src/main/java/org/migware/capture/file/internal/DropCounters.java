package org.migware.capture.file.internal;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Frames dropped by MigWare itself, counted by reason; safe for many counting threads. */
final class DropCounters {

    private final ConcurrentHashMap<String, LongAdder> byReason = new ConcurrentHashMap<>();

    void count(String reason) {
        byReason.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    long get(String reason) {
        LongAdder adder = byReason.get(reason);
        return adder == null ? 0 : adder.sum();
    }

    /** @return a sorted copy, for statistics and logs */
    Map<String, Long> snapshot() {
        Map<String, Long> copy = new TreeMap<>();
        byReason.forEach((reason, adder) -> copy.put(reason, adder.sum()));
        return copy;
    }
}
