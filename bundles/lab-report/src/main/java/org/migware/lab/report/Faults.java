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
import org.migware.lab.LabNetwork;
import org.migware.lab.LinkEnd;
import org.migware.lab.Role;

/**
 * Loss, delay and reordering on the client's link or on the mirror (the backup's link from the
 * hub, what MigWare captures). Loss is made with nftables ({@code numgen random mod 1000 < k
 * drop}), because kernels without netem are common (this project's CI kernel has none); delay
 * and reordering need netem and {@link Preflight} refuses them where it is missing.
 *
 * <p>On the client link the rules sit in the client's namespace on its input and output hooks,
 * so a dropped packet is lost for every listener. On the mirror they sit on the hub's bridge,
 * forward hook, frames leaving towards the backup: the primary still gets them, MigWare does not
 * — a lossy mirror port.
 */
final class Faults {

    private static final String TABLE = "mwr_fault";
    private static final Pattern COUNTER = Pattern.compile("counter packets (\\d+)");

    private final JobOptions options;
    private final JobOptions.FaultLink link;
    private boolean lossOn;
    private boolean netemOn;

    /**
     * @param options the faults asked for
     * @param link where to put them in this run (the baseline has no mirror: it passes CLIENT or skips)
     */
    Faults(JobOptions options, JobOptions.FaultLink link) {
        this.options = options;
        this.link = link;
    }

    /** @return a one-line description for the report, e.g. "2 % loss, 20 ms delay on the client link" */
    static String describe(JobOptions o) {
        List<String> parts = new ArrayList<>();
        if (o.lossPercent() > 0) {
            parts.add(String.format(Locale.ROOT, "%s %% random loss", trim(o.lossPercent())));
        }
        if (o.delayMillis() > 0) {
            parts.add(o.delayMillis() + " ms delay");
        }
        if (o.reorderPercent() > 0) {
            parts.add(String.format(Locale.ROOT, "%s %% reordered", trim(o.reorderPercent())));
        }
        if (parts.isEmpty()) {
            return "none";
        }
        return String.join(", ", parts) + (o.faultLink() == JobOptions.FaultLink.CLIENT ? " on the client's link"
                : " on the mirror (the backup's capture link)");
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    /**
     * Puts the faults on the lab.
     *
     * @param lab the lab
     */
    void apply(LabNetwork lab) {
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
                script = "table bridge " + TABLE + " {\n"
                        + " chain toward { type filter hook forward priority 0; oifname \"" + lab.hubInterface(Role.BACKUP)
                        + "\" counter; oifname \"" + lab.hubInterface(Role.BACKUP) + "\" numgen random mod 1000 < " + perMille
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
        if (options.needsNetem()) {
            List<String> args = new ArrayList<>(List.of("delay", Math.max(options.delayMillis(), options.reorderPercent() > 0
                    ? 10 : 0) + "ms"));
            if (options.reorderPercent() > 0) {
                // netem sends reorder-% of packets at once and delays the rest: reordering needs a delay
                args.addAll(List.of("reorder", trim(options.reorderPercent()) + "%"));
            }
            if (link == JobOptions.FaultLink.CLIENT) {
                lab.addNetem(Role.CLIENT, LinkEnd.BOTH, args.toArray(String[]::new));
            } else {
                lab.addNetem(Role.BACKUP, LinkEnd.HUB, args.toArray(String[]::new));
            }
            netemOn = true;
        }
    }

    /**
     * @param lab the lab, still up
     * @return what the loss rules counted (packets seen and dropped), empty without loss
     */
    Map<String, Object> counters(LabNetwork lab) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (!lossOn) {
            return m;
        }
        ExecResult r = nft(lab, List.of("list", "table", link == JobOptions.FaultLink.CLIENT ? "inet" : "bridge", TABLE));
        if (!r.ok()) {
            m.put("error", r.describeFailure());
            return m;
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
        m.put("netem", netemOn);
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
