package org.migware.observability.internal.logging;

import java.util.Dictionary;
import java.util.Enumeration;
import java.util.Hashtable;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The levels in Pax Logging's log4j2 configuration (PID {@code org.ops4j.pax.logging}, the
 * properties of {@code etc/org.ops4j.pax.logging.cfg}): the root level, and one pair of keys per
 * named logger, {@code log4j2.logger.<id>.name} and {@code log4j2.logger.<id>.level}, as log4j2's
 * properties format has them. Reads them and writes a change into a copy of the properties; every
 * other key (appenders, layout, rotation) is left as it is.
 */
public final class LogLevels {

    /** The name that stands for the root logger, as in Karaf's {@code log:set}. */
    public static final String ROOT = "ROOT";
    /** The level that removes a logger's own level: it inherits its parent's again. */
    public static final String DEFAULT = "DEFAULT";

    static final String ROOT_LEVEL = "log4j2.rootLogger.level";
    private static final String LOGGER = "log4j2.logger.";
    private static final Set<String> LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF");

    private LogLevels() {
    }

    /**
     * @return the root level (under {@link #ROOT}) and each named logger's, sorted by name; an empty
     *         map when {@code properties} is null (no configuration)
     */
    public static Map<String, String> levels(Dictionary<String, ?> properties) {
        Map<String, String> levels = new TreeMap<>();
        if (properties == null) {
            return levels;
        }
        Object root = properties.get(ROOT_LEVEL);
        if (root != null) {
            levels.put(ROOT, root.toString().trim());
        }
        for (Enumeration<String> keys = properties.keys(); keys.hasMoreElements();) {
            String key = keys.nextElement();
            if (key.startsWith(LOGGER) && key.endsWith(".name")) {
                String id = key.substring(LOGGER.length(), key.length() - ".name".length());
                Object level = properties.get(LOGGER + id + ".level");
                levels.put(properties.get(key).toString().trim(), level == null ? "(inherited)" : level.toString().trim());
            }
        }
        return levels;
    }

    /**
     * @param level TRACE, DEBUG, INFO, WARN, ERROR, FATAL, OFF, or DEFAULT (a logger inherits its
     *        parent's level again); any case
     * @param logger a logger's name (a class or package, or Events.Bundle, ...), or ROOT
     * @return a copy of {@code properties} with that level set
     * @throws IllegalArgumentException for an unknown level, or DEFAULT for the root
     */
    public static Hashtable<String, Object> with(Dictionary<String, ?> properties, String level, String logger) {
        String wanted = level.trim().toUpperCase(Locale.ROOT);
        if (!LEVELS.contains(wanted) && !DEFAULT.equals(wanted)) {
            throw new IllegalArgumentException("unknown level '" + level + "': use one of TRACE, DEBUG, INFO, WARN, ERROR, "
                    + "FATAL, OFF, or DEFAULT (the logger inherits its parent's level)");
        }
        Hashtable<String, Object> changed = new Hashtable<>();
        if (properties != null) {
            for (Enumeration<String> keys = properties.keys(); keys.hasMoreElements();) {
                String key = keys.nextElement();
                changed.put(key, properties.get(key));
            }
        }
        if (ROOT.equalsIgnoreCase(logger.trim())) {
            if (DEFAULT.equals(wanted)) {
                throw new IllegalArgumentException("the root logger has no parent to inherit from: give it a level");
            }
            changed.put(ROOT_LEVEL, wanted);
            return changed;
        }
        String name = logger.trim();
        String id = idOf(changed, name);
        if (DEFAULT.equals(wanted)) {
            if (id != null) {
                changed.remove(LOGGER + id + ".name");
                changed.remove(LOGGER + id + ".level");
            }
            return changed;
        }
        if (id == null) {
            id = freeId(changed, name);
            changed.put(LOGGER + id + ".name", name);
        }
        changed.put(LOGGER + id + ".level", wanted);
        return changed;
    }

    /** @return the id of the logger entry named {@code name}, or null */
    private static String idOf(Dictionary<String, Object> properties, String name) {
        for (Enumeration<String> keys = properties.keys(); keys.hasMoreElements();) {
            String key = keys.nextElement();
            if (key.startsWith(LOGGER) && key.endsWith(".name") && name.equals(properties.get(key).toString().trim())) {
                return key.substring(LOGGER.length(), key.length() - ".name".length());
            }
        }
        return null;
    }

    /** @return an id made of the name's letters and digits that no entry uses yet */
    private static String freeId(Dictionary<String, Object> properties, String name) {
        String base = name.replaceAll("[^A-Za-z0-9]+", "_");
        String id = base;
        for (int n = 2; properties.get(LOGGER + id + ".name") != null || properties.get(LOGGER + id + ".level") != null; n++) {
            id = base + "_" + n;
        }
        return id;
    }
}
