package org.migware.lab.experiments;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code migware:status} parsed: the failover state with the instant it was entered, and each
 * health monitor's verdict with the instant of its last change.
 *
 * @param state e.g. {@code NORMAL} or {@code RECOVERY}; {@code unknown} when the core does not run
 * @param since when that state was entered, or null
 * @param reason why (the decision's reason after a failover)
 * @param policy the {@code policy:} line, or empty
 * @param monitors one entry per {@code monitor:} line, in order
 * @param text the whole output
 */
public record MigwareStatus(String state, Instant since, String reason, String policy, List<Verdict> monitors, String text) {

    private static final Pattern STATE = Pattern.compile("^state:\\s+(\\S+)(?: since (\\S+))?(?: \\((.*)\\))?\\s*$");
    private static final Pattern MONITOR = Pattern.compile(
            "^monitor:\\s+(\\S+) (UP|DOWN|UNKNOWN) target=(.*?) at (\\d{4}-\\d\\d-\\d\\dT\\S+Z) \\((.*)\\)\\s*$");

    /**
     * One monitor's verdict.
     *
     * @param monitor its name: {@code icmp}, {@code tcp:<port>}, {@code traffic}, {@code exec:<name>}, ...
     * @param status UP, DOWN or UNKNOWN
     * @param target what it probes
     * @param at when the verdict last changed
     * @param reason why
     */
    public record Verdict(String monitor, String status, String target, Instant at, String reason) {

        /** @return true when the monitor's name is {@code kind} or starts with {@code kind:} */
        public boolean is(String kind) {
            return monitor.equals(kind) || monitor.startsWith(kind + ":");
        }

        public boolean down() {
            return status.equals("DOWN");
        }

        public boolean up() {
            return status.equals("UP");
        }
    }

    /** @return the parsed output; lines it does not know are kept only in {@link #text()} */
    public static MigwareStatus parse(String text) {
        String state = "unknown";
        Instant since = null;
        String reason = "";
        String policy = "";
        List<Verdict> monitors = new ArrayList<>();
        for (String line : text.split("\n")) {
            Matcher m = STATE.matcher(line);
            if (m.matches()) {
                state = m.group(1);
                since = m.group(2) == null ? null : Instant.parse(m.group(2));
                reason = m.group(3) == null ? "" : m.group(3);
                continue;
            }
            if (line.startsWith("policy:")) {
                policy = line.substring("policy:".length()).trim();
                continue;
            }
            Matcher v = MONITOR.matcher(line);
            if (v.matches()) {
                monitors.add(new Verdict(v.group(1), v.group(2), v.group(3), Instant.parse(v.group(4)), v.group(5)));
            }
        }
        return new MigwareStatus(state, since, reason, policy, List.copyOf(monitors), text);
    }

    /** @return true in the NORMAL state */
    public boolean normal() {
        return state.equals("NORMAL");
    }

    /** @return the verdict of the first monitor of that kind ({@code icmp}, {@code tcp}, ...) */
    public Optional<Verdict> monitor(String kind) {
        return monitors.stream().filter(v -> v.is(kind)).findFirst();
    }

    /** @return true when a monitor of that kind is listed and says {@code status} */
    public boolean says(String kind, String status) {
        return monitor(kind).map(v -> v.status().equals(status)).orElse(false);
    }

    /** @return the monitors saying DOWN */
    public List<Verdict> down() {
        return monitors.stream().filter(Verdict::down).toList();
    }

    /** @return true when a capture source is listed as running */
    public boolean capturing() {
        return text.lines().anyMatch(l -> l.startsWith("capture:") && l.contains(" running"));
    }

    @Override
    public String toString() {
        return text;
    }
}
