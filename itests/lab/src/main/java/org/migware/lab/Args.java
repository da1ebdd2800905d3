package org.migware.lab;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Parses {@code --name value}, {@code --name=value} and {@code --flag}; no dependency for a few mains. */
public final class Args {

    private final Map<String, String> values = new LinkedHashMap<>();

    private Args() {
    }

    /**
     * @param args the command line
     * @param flags options that take no value
     * @param options options that take a value
     * @throws IllegalArgumentException on an unknown option or a missing value
     */
    public static Args parse(String[] args, Set<String> flags, Set<String> options) {
        Args parsed = new Args();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument: " + arg);
            }
            String name = arg.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (flags.contains(name)) {
                parsed.values.put(name, value == null ? "true" : value);
            } else if (options.contains(name)) {
                if (value == null) {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException("--" + name + " needs a value");
                    }
                    value = args[++i];
                }
                parsed.values.put(name, value);
            } else {
                throw new IllegalArgumentException("unknown option: --" + name);
            }
        }
        return parsed;
    }

    /** @return whether the option was given */
    public boolean has(String name) {
        return values.containsKey(name);
    }

    /** @return the option's value, or {@code fallback} */
    public String string(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    /** @return the option's value as a path, or null when it was not given */
    public Path path(String name) {
        String value = values.get(name);
        return value == null ? null : Path.of(value);
    }

    /** @return the option's whole-number value, or {@code fallback} */
    public long number(String name, long fallback) {
        String value = values.get(name);
        if (value == null) {
            return fallback;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " needs a whole number: " + value);
        }
    }

    /** @return the option's decimal value, or {@code fallback} */
    public double decimal(String name, double fallback) {
        String value = values.get(name);
        if (value == null) {
            return fallback;
        }
        try {
            return Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " needs a number: " + value);
        }
    }

    /** @return whether the flag was given */
    public boolean flag(String name) {
        return Boolean.parseBoolean(values.getOrDefault(name, "false"));
    }
}
