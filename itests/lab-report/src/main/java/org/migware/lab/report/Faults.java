package org.migware.lab.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.migware.lab.ExecResult;
import org.migware.lab.network.ImpairedLink;
import org.migware.lab.network.Impairment;
import org.migware.lab.LabException;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LinkEnd;
import org.migware.lab.network.Role;
import org.migware.lab.network.WireCounters;

/**
 * Loss, delay and reordering on the client's link or on the mirror (the backup's link from the
 * hub, what MigWare captures).
 *
 * <p>Loss is made with nftables ({@code numgen random mod 1000 < k drop}). On the client link the
 * rules sit in the client's namespace on its input and output hooks, so a dropped packet is lost
 * for every listener. On the mirror they sit on the hub's bridge, forward hook, frames leaving
 * towards the backup: the primary still gets them, MigWare does not — a lossy mirror port.
 *
 * <p>Delay and reordering are made by the lab's wire-impairment box ({@link LabNetwork#impair}, a
 * userspace forwarder on packet sockets in the hub) with netem's meaning: every frame is held
 * back for the delay, except the reordered share, which goes at once and overtakes. On the client
 * link both directions are impaired, each by the whole delay, as netem on both ends of the link
 * would be: {@code --delay 20} adds 20 ms each way, 40 ms to a round trip. On the mirror only the
 * frames towards the backup are (what MigWare captures, and later what the clients send it); the
 * backup's own frames pass undelayed, as with netem on the hub's end of the backup's link.
 *
 * <p>The box is used also where the kernel has netem: one mechanism on every machine, so that a
 * run on a kernel without netem (this project's CI and lab machines) and one on a workstation
 * measure the same thing, the path the reports rely on is the one CI tests, and the report can
 * show what the box did (frames held back, reordered, dropped by a full queue, how late they
 * left). The cost, a userspace hop of some tens of microseconds per frame on the impaired link,
 * is small against the delays asked for (milliseconds) and against the 500 ms records.
 */
final class Faults {

    private static final String TABLE = "mwr_fault";
    private static final Pattern COUNTER = Pattern.compile("counter packets (\\d+)");

    private final JobOptions options;
    private final JobOptions.FaultLink link;
    private boolean lossOn;
    private ImpairedLink box;

    /**
     * @param options the faults asked for
     * @param link where to put them in this run (the baseline has no mirror: it passes CLIENT or skips)
     */
    Faults(JobOptions options, JobOptions.FaultLink link) {
        this.options = options;
        this.link = link;
    }

    /** @return a one-line description for the report, e.g. "2 % random loss, 20 ms delay each way on the client's link" */
    static String describe(JobOptions o) {
        List<String> parts = new ArrayList<>();
        if (o.lossPercent() > 0) {
            parts.add(String.format(Locale.ROOT, "%s %% random loss", trim(o.lossPercent())));
        }
        if (o.impairsWire()) {
            parts.add(o.impairment().delay().toMillis() + " ms delay"
                    + (o.faultLink() == JobOptions.FaultLink.CLIENT ? " each way" : " towards the backup"));
        }
        if (o.reorderPercent() > 0) {
            parts.add(String.format(Locale.ROOT, "%s %% reordered", trim(o.reorderPercent())));
        }
        if (parts.isEmpty()) {
            return "none";
        }
        return String.join(", ", parts) + (o.faultLink() == JobOptions.FaultLink.CLIENT ? " on the client's link"
                : " on the mirror (the backup's capture link)") + (o.impairsWire() ? " (wire-impairment box)" : "");
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    /**
     * Puts the faults on the lab: the box first, so that a loss rule on the bridge names the port
     * the backup has then.
     *
     * @param lab the lab
     * @throws LabException when the box cannot start (its reason: no packet sockets, no JNA, ...)
     */
    void apply(LabNetwork lab) {
        if (options.impairsWire()) {
            box = link == JobOptions.FaultLink.CLIENT ? lab.impair(Role.CLIENT, LinkEnd.BOTH, options.impairment())
                    : lab.impair(Role.BACKUP, LinkEnd.HUB, options.impairment());
        }
        if (options.lossPercent() > 0) {
            int perMille = (int) Math.round(options.lossPercent() * 10);
            String script;
            if (link == JobOptions.FaultLink.CLIENT) {
                script = "table inet " + TABLE + " {\n"
                        + " chain in { type filter hook input priority 0; counter; numgen random mod 1000 < " + perMille
                        + " counter drop; }\n"
                        + " chain out { type filter hook output priority 0; counter; numgen random mod 1000 < " + perMille
                        + " counter drop; }\n}\n";
            } else {
                String port = lab.bridgePort(Role.BACKUP);
                script = "table bridge " + TABLE + " {\n"
                        + " chain toward { type filter hook forward priority 0; oifname \"" + port
                        + "\" counter; oifname \"" + port + "\" numgen random mod 1000 < " + perMille
                        + " counter drop; }\n}\n";
            }
            Path file = lab.workDir().resolve("fault-loss.nft");
            try {
                Files.writeString(file, script);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            nft(lab, List.of("-f", file.toString())).requireSuccess();
            lossOn = true;
        }
    }

    /**
     * @param lab the lab, still up
     * @return what the loss rules counted (packets seen and dropped) and what the box did (per
     *         direction: frames held back, reordered, dropped, how late), empty without faults
     */
    Map<String, Object> counters(LabNetwork lab) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (lossOn) {
            lossCounters(lab, m);
        }
        if (box != null) {
            m.put("wire", wireCounters());
        }
        return m;
    }

    private void lossCounters(LabNetwork lab, Map<String, Object> m) {
        ExecResult r = nft(lab, List.of("list", "table", link == JobOptions.FaultLink.CLIENT ? "inet" : "bridge", TABLE));
        if (!r.ok()) {
            m.put("error", r.describeFailure());
            return;
        }
        List<Long> values = new ArrayList<>();
        Matcher matcher = COUNTER.matcher(r.stdout());
        while (matcher.find()) {
            values.add(Long.parseLong(matcher.group(1)));
        }
        long seen = 0;
        long dropped = 0;
        for (int i = 0; i + 1 < values.size(); i += 2) {
            seen += values.get(i);
            dropped += values.get(i + 1);
        }
        m.put("packetsSeen", seen);
        m.put("packetsDropped", dropped);
        m.put("lossPercentApplied", seen == 0 ? Double.NaN : 100.0 * dropped / seen);
    }

    /** The box's counters, each direction named after the role ("towardsClient", "fromBackup", ...). */
    private Map<String, Object> wireCounters() {
        Map<String, Object> wire = new LinkedHashMap<>();
        wire.put("mechanism", "wire-impairment box");
        String role = box.role() == Role.CLIENT ? "Client" : "Backup";
        try {
            ImpairedLink.Counters c = box.counters();
            wire.put("towards" + role, direction(box.towardsRole(), c.towardsRole()));
            wire.put("from" + role, direction(box.fromRole(), c.fromRole()));
        } catch (LabException e) {
            wire.put("error", e.getMessage());
        }
        return wire;
    }

    private static Map<String, Object> direction(Impairment asked, WireCounters counted) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("delayMillis", asked.delay().toMillis());
        m.put("reorderPercent", asked.reorderPercent());
        m.putAll(counted.toMap());
        // what a held frame really waited: the delay and how late the box sent it
        m.put("delayMillisApplied", counted.delayed() <= 0 ? Double.NaN
                : asked.delay().toNanos() / 1e6 + counted.lateMeanMicros() / 1000.0);
        return m;
    }

    /** Runs nft where this run's rules live: the client's namespace, or the hub's for the mirror. */
    private ExecResult nft(LabNetwork lab, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Preflight.tool("nft"));
        cmd.addAll(args);
        String ns = link == JobOptions.FaultLink.CLIENT ? lab.namespace(Role.CLIENT) : lab.hubNamespace();
        return lab.execIn(ns, Duration.ofSeconds(10), cmd);
    }
}
