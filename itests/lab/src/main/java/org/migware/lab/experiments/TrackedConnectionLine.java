package org.migware.lab.experiments;

import java.util.HashMap;
import java.util.Map;

/**
 * One line of MigWare's {@code migware:connections} output, split into its {@code key=value}
 * words. The lab reads the product's answer as text, exactly as an operator would.
 *
 * @param clientIp the client address
 * @param clientPort the client port
 * @param fields every {@code key=value} word of the line
 */
public record TrackedConnectionLine(String clientIp, int clientPort, Map<String, String> fields) {

    /** @return the line parsed, or null when it is not a connection line (the count at the end) */
    public static TrackedConnectionLine parse(String line) {
        String[] words = line.trim().split("\\s+");
        if (words.length < 4 || !words[1].equals("->")) {
            return null;
        }
        int colon = words[0].lastIndexOf(':');
        if (colon < 0) {
            return null;
        }
        Map<String, String> fields = new HashMap<>();
        for (int i = 3; i < words.length; i++) {
            int equals = words[i].indexOf('=');
            if (equals > 0) {
                fields.put(words[i].substring(0, equals), words[i].substring(equals + 1));
            }
        }
        String ip = words[0].substring(0, colon).replace("[", "").replace("]", "");
        return new TrackedConnectionLine(ip, Integer.parseInt(words[0].substring(colon + 1)), fields);
    }

    /** @return the field's value, or {@code -} when absent */
    public String get(String key) {
        return fields.getOrDefault(key, "-");
    }

    /** @return the field as a number, or -1 when absent or unknown ({@code -}) */
    public long number(String key) {
        String value = get(key);
        return value.equals("-") ? -1 : Long.parseLong(value);
    }
}
