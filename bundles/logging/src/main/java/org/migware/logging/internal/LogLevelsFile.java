package org.migware.logging.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The levels in a log4j2 properties file ({@code etc/log4j2.properties}): the root's
 * ({@code rootLogger.level}) and one pair of keys per named logger ({@code logger.<id>.name},
 * {@code logger.<id>.level}), as log4j2's properties format has them. Reads them, and changes one
 * line by line, so every other line (appenders, rotation, the operator's comments) stays as it was.
 * Immutable: a change gives a new instance.
 */
public final class LogLevelsFile {

    /** The name that stands for the root logger, as in Karaf's {@code log:set}. */
    public static final String ROOT = "ROOT";
    /** The level that removes a logger's own level: it inherits its parent's again. */
    public static final String DEFAULT = "DEFAULT";

    static final String ROOT_LEVEL = "rootLogger.level";
    private static final String LOGGER = "logger.";
    /** From the most to the least severe; OFF writes nothing. */
    static final List<String> LEVELS = List.of("OFF", "FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE");
    /** log4j2's root level when a configuration gives none. */
    private static final String LOG4J2_DEFAULT_ROOT = "ERROR";
    /** A simple {@code key = value} (or {@code key: value}) line; comments and blank lines never match. */
    private static final Pattern PROPERTY = Pattern.compile("^\\s*([^#!\\s=:][^\\s=:]*)\\s*[=:]\\s*(.*?)\\s*$");
    private static final Set<String> LEVEL_OR_NAME = Set.of("level", "name");

    private final List<String> lines;

    private LogLevelsFile(List<String> lines) {
        this.lines = List.copyOf(lines);
    }

    public static LogLevelsFile of(List<String> lines) {
        return new LogLevelsFile(lines);
    }

    public List<String> lines() {
        return lines;
    }

    /** @return the root level (under {@link #ROOT}) and each named logger's, sorted by name */
    public Map<String, String> levels() {
        Map<String, String> levels = new TreeMap<>();
        String root = value(ROOT_LEVEL);
        if (root != null) {
            levels.put(ROOT, root);
        }
        for (String key : keys()) {
            if (key.startsWith(LOGGER) && key.endsWith(".name")) {
                String level = value(key.substring(0, key.length() - "name".length()) + "level");
                levels.put(value(key), level == null ? "(inherited)" : level);
            }
        }
        return levels;
    }

    /**
     * @return the level log4j2 gives {@code logger} with this file: its own, else its nearest
     *         ancestor's ({@code a.b} for {@code a.b.c}), else the root's
     */
    public String effectiveLevel(String logger) {
        Map<String, String> levels = levels();
        for (String name = logger; !name.isEmpty(); name = name.contains(".") ? name.substring(0, name.lastIndexOf('.')) : "") {
            String level = levels.get(name);
            if (level != null && !level.equals("(inherited)")) {
                return level.toUpperCase(Locale.ROOT);
            }
        }
        String root = levels.get(ROOT);
        return root == null ? LOG4J2_DEFAULT_ROOT : root.toUpperCase(Locale.ROOT);
    }

    /**
     * @param level TRACE, DEBUG, INFO, WARN, ERROR, FATAL, OFF, or DEFAULT (a logger inherits its
     *        parent's level again); any case
     * @param logger a logger's name (a class or package, or Events.Bundle, ...), or ROOT
     * @return this file with that level set
     * @throws IllegalArgumentException for an unknown level, or DEFAULT for the root
     */
    public LogLevelsFile with(String level, String logger) {
        String wanted = level.trim().toUpperCase(Locale.ROOT);
        if (!LEVELS.contains(wanted) && !DEFAULT.equals(wanted)) {
            throw new IllegalArgumentException("unknown level '" + level + "': use one of TRACE, DEBUG, INFO, WARN, ERROR, "
                    + "FATAL, OFF, or DEFAULT (the logger inherits its parent's level)");
        }
        List<String> changed = new ArrayList<>(lines);
        if (ROOT.equalsIgnoreCase(logger.trim())) {
            if (DEFAULT.equals(wanted)) {
                throw new IllegalArgumentException("the root logger has no parent to inherit from: give it a level");
            }
            put(changed, ROOT_LEVEL, wanted, changed.size());
            return new LogLevelsFile(changed);
        }
        String name = logger.trim();
        String id = idOf(name);
        if (DEFAULT.equals(wanted)) {
            if (id != null) {
                remove(changed, LOGGER + id + ".level");
                if (onlyNameAndLevel(id)) {
                    remove(changed, LOGGER + id + ".name");
                }
            }
            return new LogLevelsFile(changed);
        }
        if (id == null) {
            id = freeId(name);
            changed.add(LOGGER + id + ".name = " + name);
            changed.add(LOGGER + id + ".level = " + wanted);
            return new LogLevelsFile(changed);
        }
        put(changed, LOGGER + id + ".level", wanted, lineOf(changed, LOGGER + id + ".name") + 1);
        return new LogLevelsFile(changed);
    }

    /** Sets {@code key}'s value where its line is, or adds the line at {@code insertAt}. */
    private static void put(List<String> lines, String key, String value, int insertAt) {
        int at = lineOf(lines, key);
        if (at >= 0) {
            lines.set(at, key + " = " + value);
        } else {
            lines.add(insertAt, key + " = " + value);
        }
    }

    private static void remove(List<String> lines, String key) {
        int at = lineOf(lines, key);
        if (at >= 0) {
            lines.remove(at);
        }
    }

    /** @return the index of the last line that sets {@code key} (the one java.util.Properties keeps), or -1 */
    private static int lineOf(List<String> lines, String key) {
        for (int i = lines.size() - 1; i >= 0; i--) {
            Matcher m = PROPERTY.matcher(lines.get(i));
            if (m.matches() && m.group(1).equals(key)) {
                return i;
            }
        }
        return -1;
    }

    private String value(String key) {
        int at = lineOf(lines, key);
        if (at < 0) {
            return null;
        }
        Matcher m = PROPERTY.matcher(lines.get(at));
        m.matches();
        return m.group(2);
    }

    private List<String> keys() {
        List<String> keys = new ArrayList<>();
        for (String line : lines) {
            Matcher m = PROPERTY.matcher(line);
            if (m.matches()) {
                keys.add(m.group(1));
            }
        }
        return keys;
    }

    /** @return the id of the logger entry named {@code name}, or null */
    private String idOf(String name) {
        for (String key : keys()) {
            if (key.startsWith(LOGGER) && key.endsWith(".name") && name.equals(value(key))) {
                return key.substring(LOGGER.length(), key.length() - ".name".length());
            }
        }
        return null;
    }

    /** An entry with an appender or additivity of its own keeps its name when its level goes. */
    private boolean onlyNameAndLevel(String id) {
        String prefix = LOGGER + id + ".";
        return keys().stream().filter(key -> key.startsWith(prefix))
                .allMatch(key -> LEVEL_OR_NAME.contains(key.substring(prefix.length())));
    }

    /** @return an id made of the name's letters and digits that no entry uses yet */
    private String freeId(String name) {
        String base = name.replaceAll("[^A-Za-z0-9]+", "_");
        List<String> keys = keys();
        String id = base;
        for (int n = 2; keys.contains(LOGGER + id + ".name") || keys.contains(LOGGER + id + ".level"); n++) {
            id = base + "_" + n;
        }
        return id;
    }
}
