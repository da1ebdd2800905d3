package org.migware.lab.network;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Named counters as the wire box's stats file holds them, {@code prefix.name=value} lines, and as
 * a map for a JSON report: what {@link WireCounters} and {@link TrunkCounters} share.
 */
final class CounterLines {

    private CounterLines() {
    }

    /** @return the counters by name, in the order of {@code keys} */
    static Map<String, Object> toMap(String[] keys, long[] values) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keys.length; i++) {
            m.put(keys[i], values[i]);
        }
        return m;
    }

    /** Appends one {@code prefix.key=value} line per counter. */
    static void append(String prefix, String[] keys, long[] values, StringBuilder out) {
        for (int i = 0; i < keys.length; i++) {
            out.append(prefix).append('.').append(keys[i]).append('=').append(values[i]).append('\n');
        }
    }

    /** @return the counters {@link #append} wrote, in the order of {@code keys}; a missing one reads as -1 */
    static long[] read(String prefix, String[] keys, Properties p) {
        long[] v = new long[keys.length];
        for (int i = 0; i < keys.length; i++) {
            String value = p.getProperty(prefix + "." + keys[i]);
            v[i] = value == null ? -1 : Long.parseLong(value.trim());
        }
        return v;
    }
}
