package org.migware.core.internal.check;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code etc/*.cfg} as FileInstall reads it: properties, either all plain strings or all in
 * the typed syntax of Felix's configuration files ({@code key = "text"}, {@code I"80"},
 * {@code ["a","b"]}, {@code L["1","2"]}); a file with one plain value next to typed ones is read
 * as plain strings throughout.
 */
final class CfgFile {

    /**
     * One value.
     *
     * @param typeCode the typed syntax's type letter ({@code I}, {@code L}, {@code B} ...; {@code T} for
     *     text), or {@code null} for a plain string
     * @param elements the value, or each element of a list
     * @param list whether it was written as a list
     */
    record Value(Character typeCode, List<String> elements, boolean list) {
    }

    private static final Pattern TYPED = Pattern.compile("\\s*([TILFDXSCB])?\\s*([\\[(\"]).*", Pattern.DOTALL);
    private static final Pattern ELEMENT = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");

    final String pid;
    final String factoryPid;
    final Map<String, Value> values = new LinkedHashMap<>();

    private CfgFile(String pid, String factoryPid) {
        this.pid = pid;
        this.factoryPid = factoryPid;
    }

    /** Reads {@code file}, named {@code PID.cfg} or {@code FACTORYPID-NAME.cfg}. */
    static CfgFile read(Path file) throws IOException {
        String name = file.getFileName().toString();
        String pid = name.substring(0, name.length() - ".cfg".length());
        int dash = pid.indexOf('-');
        CfgFile cfg = new CfgFile(pid, dash > 0 ? pid.substring(0, dash) : null);
        Properties raw = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            raw.load(in);
        }
        boolean typed = !raw.isEmpty() && raw.values().stream().allMatch(v -> TYPED.matcher(v.toString()).matches());
        for (String key : new java.util.TreeSet<>(raw.stringPropertyNames())) {
            String text = raw.getProperty(key).strip();
            cfg.values.put(key, typed ? typedValue(text) : new Value(null, List.of(text), false));
        }
        return cfg;
    }

    private static Value typedValue(String text) {
        Matcher m = TYPED.matcher(text);
        m.matches();
        Character code = m.group(1) == null ? null : m.group(1).charAt(0);
        boolean list = !m.group(2).equals("\"");
        List<String> elements = new ArrayList<>();
        Matcher element = ELEMENT.matcher(text);
        while (element.find()) {
            elements.add(element.group(1).replaceAll("\\\\(.)", "$1"));
            if (!list) {
                break;
            }
        }
        return new Value(code == null ? 'T' : code, elements, list);
    }
}
