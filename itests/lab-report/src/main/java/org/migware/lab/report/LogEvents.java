package org.migware.lab.report;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The instants MigWare and HAProxy log about a failover, read from their logs: the core's DOWN
 * verdict and decision (state NORMAL -> RECOVERY), the proxy's "recovery finished ... in X ms",
 * the move to PROXY; HAProxy's "Server servers/primary is DOWN".
 */
final class LogEvents {

    private static final Pattern VERDICT_DOWN = Pattern.compile("core: verdict (\\S+) DOWN for \\S+ at (\\S+Z)");
    private static final Pattern TO_RECOVERY = Pattern.compile("core: state NORMAL -> RECOVERY at (\\S+Z)");
    private static final Pattern TO_PROXY = Pattern.compile("core: state RECOVERY -> PROXY at (\\S+Z)");
    private static final Pattern RECOVERY_FINISHED = Pattern.compile(
            "proxy: recovery finished: (\\d+) recovered, (\\d+) failed, (\\d+) pending, (\\d+) not recoverable, in (\\d+(?:\\.\\d+)?) ms");
    private static final Pattern HAPROXY_DOWN = Pattern.compile(
            "(\\d{4}-\\d\\d-\\d\\dT[0-9:.]+(?:Z|[+-]\\d\\d:\\d\\d)) .*Server (\\S+)/(\\S+) is DOWN");

    private LogEvents() {
    }

    /**
     * What MigWare's log says about one failover.
     *
     * @param downVerdict the first monitor DOWN verdict at or after {@code after}, or null
     * @param decision when the core moved NORMAL to RECOVERY, or null
     * @param proxy when the core moved RECOVERY to PROXY, or null
     * @param recoveryMillis the proxy's own recovery time ("in X ms"), NaN if not logged
     * @param recovered connections recovered, -1 if not logged
     * @param failed connections whose recovery failed, -1 if not logged
     * @param notRecoverable connections MigWare could not recover, -1 if not logged
     * @param recoveryLine the whole "recovery finished" line, empty if none
     */
    record Migware(Instant downVerdict, Instant decision, Instant proxy, double recoveryMillis, int recovered, int failed,
            int notRecoverable, String recoveryLine) {
    }

    /**
     * @param log MigWare's log
     * @param after the pull: verdicts before it (a start-up UNKNOWN, say) are not the failure's
     * @return the events
     */
    static Migware migware(String log, Instant after) {
        Instant down = null;
        Instant decision = null;
        Instant proxy = null;
        double recovery = Double.NaN;
        int recovered = -1;
        int failed = -1;
        int notRecoverable = -1;
        String line = "";
        for (String l : log.split("\n")) {
            Matcher m = VERDICT_DOWN.matcher(l);
            if (down == null && m.find()) {
                Instant at = instant(m.group(2));
                if (at != null && !at.isBefore(after)) {
                    down = at;
                }
                continue;
            }
            m = TO_RECOVERY.matcher(l);
            if (decision == null && m.find()) {
                decision = instant(m.group(1));
                continue;
            }
            m = TO_PROXY.matcher(l);
            if (proxy == null && m.find()) {
                proxy = instant(m.group(1));
                continue;
            }
            m = RECOVERY_FINISHED.matcher(l);
            if (line.isEmpty() && m.find()) {
                recovered = Integer.parseInt(m.group(1));
                failed = Integer.parseInt(m.group(2));
                notRecoverable = Integer.parseInt(m.group(4));
                recovery = Double.parseDouble(m.group(5));
                line = l.substring(l.indexOf("proxy: recovery finished")).trim();
            }
        }
        return new Migware(down, decision, proxy, recovery, recovered, failed, notRecoverable, line);
    }

    /**
     * @param log HAProxy's log (RFC 5424 lines, microsecond timestamps)
     * @param server the server's name, e.g. "primary"
     * @return when HAProxy marked it DOWN
     */
    static Optional<Instant> haproxyDown(String log, String server) {
        for (String l : log.split("\n")) {
            Matcher m = HAPROXY_DOWN.matcher(l);
            if (m.find() && m.group(3).equals(server)) {
                try {
                    return Optional.of(OffsetDateTime.parse(m.group(1)).toInstant());
                } catch (DateTimeParseException e) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }

    private static Instant instant(String text) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
