package org.migware.lab.report;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.migware.lab.Args;
import org.migware.lab.network.Impairment;

/**
 * What {@code migware lab} runs; {@link #toArgs()} and {@link #parse} convert to and from its
 * command line. The defaults are the thesis's workload (a 64-byte record every 500 ms per
 * connection, N from 1 to 200, the 500 ms ping) with shorter phases than the thesis's 40 records
 * before the failure, so that the whole default run, MigWare and the baseline for seven values
 * of N, takes about four minutes on two cores.
 */
public final class JobOptions {

    /** The default connection counts: the thesis's chapter 6. */
    public static final List<Integer> DEFAULT_CONNECTIONS = List.of(1, 10, 20, 50, 100, 150, 200);
    /** The connections open before the first failover of a --roles run when no --connections is given: the thesis's largest N. */
    public static final int DEFAULT_ROLES_CONNECTIONS = 200;
    /** The delay behind --reorder when no --delay is given: reordering needs one (as in netem). */
    public static final long REORDER_DELAY_MILLIS = 10;

    /** What the job runs: the thesis's push workload, or one of issue 9's real-server scenarios. */
    public enum Scenario {
        /** The thesis's push clients, N from --connections, MigWare beside HAProxy (the default). */
        PUSH,
        /** nginx on primary and backup, rate-limited curl downloads of a large file. */
        DOWNLOAD,
        /** mosquitto on primary and backup, QoS 1 publishers and a subscriber on long-lived sessions. */
        SESSION;

        /** @return the name on the command line */
        public String option() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Where loss, delay and reordering are injected. */
    public enum FaultLink {
        /** The client's own link: both directions of everything the client sends and receives. */
        CLIENT,
        /** The backup's link from the hub: what MigWare captures (a lossy or late mirror port). */
        MIRROR
    }

    private Path distribution;
    private List<Integer> connections = DEFAULT_CONNECTIONS;
    private long intervalMillis = 500;
    private long beforeMillis = 4000;
    private long afterMillis = 6000;
    private String monitorProfile = "thesis";
    private String framing = "none";
    private boolean baseline = true;
    private double lossPercent;
    private long delayMillis;
    private double reorderPercent;
    private FaultLink faultLink = FaultLink.CLIENT;
    private Path out;
    private String prefix = "mwrlab";
    private boolean removeLeftovers;
    private Scenario scenario = Scenario.PUSH;
    /** Downloads or MQTT sessions; 0: the scenario's default. */
    private int clients;
    private long fileMib = 200;
    private long rateKib = 4096;
    private boolean roles;

    /**
     * @param dir the MigWare distribution the lab runs (bin/migware passes its own home)
     * @return this
     */
    public JobOptions distribution(Path dir) {
        this.distribution = dir;
        return this;
    }

    /**
     * @param counts connection counts, one experiment each
     * @return this
     */
    public JobOptions connections(List<Integer> counts) {
        this.connections = List.copyOf(counts);
        return this;
    }

    /**
     * @param millis time between two records of one connection (default 500, the thesis's)
     * @return this
     */
    public JobOptions intervalMillis(long millis) {
        this.intervalMillis = millis;
        return this;
    }

    /**
     * @param millis from the clients' start to the pull of the primary's link (default 4000)
     * @return this
     */
    public JobOptions beforeMillis(long millis) {
        this.beforeMillis = millis;
        return this;
    }

    /**
     * @param millis from the pull to the clients' end (default 6000)
     * @return this
     */
    public JobOptions afterMillis(long millis) {
        this.afterMillis = millis;
        return this;
    }

    /**
     * @param profile "thesis" (ICMP every 500 ms, DOWN after one miss) or "fast" (10 ms, 5 misses)
     * @return this
     */
    public JobOptions monitorProfile(String profile) {
        this.monitorProfile = profile;
        return this;
    }

    /**
     * @param mode the proxy's record framing: none, newline, length-prefixed-2, length-prefixed-4
     * @return this
     */
    public JobOptions framing(String mode) {
        this.framing = mode;
        return this;
    }

    /**
     * @param on whether to run the HAProxy baseline (default true)
     * @return this
     */
    public JobOptions baseline(boolean on) {
        this.baseline = on;
        return this;
    }

    /**
     * @param percent random loss on the fault link, 0..100 (nftables; no netem needed)
     * @return this
     */
    public JobOptions lossPercent(double percent) {
        this.lossPercent = percent;
        return this;
    }

    /**
     * @param millis delay added on the fault link: to each direction of the client's link, to the
     *        frames towards the backup on the mirror (the wire-impairment box; no netem needed)
     * @return this
     */
    public JobOptions delayMillis(long millis) {
        this.delayMillis = millis;
        return this;
    }

    /**
     * @param percent packets reordered on the fault link: they go at once, past the delayed ones
     *        (the wire-impairment box, netem's meaning)
     * @return this
     */
    public JobOptions reorderPercent(double percent) {
        this.reorderPercent = percent;
        return this;
    }

    /**
     * @param link where faults are injected (default the client's link)
     * @return this
     */
    public JobOptions faultLink(FaultLink link) {
        this.faultLink = link;
        return this;
    }

    /**
     * @param dir where the report goes (default lab-results/&lt;timestamp&gt;/)
     * @return this
     */
    public JobOptions out(Path dir) {
        this.out = dir;
        return this;
    }

    /**
     * @param namePrefix the lab's namespace prefix; the baseline's lab uses it with "h" appended
     * @return this
     */
    public JobOptions prefix(String namePrefix) {
        this.prefix = namePrefix;
        return this;
    }

    /**
     * @param remove remove namespaces a crashed run left behind instead of stopping with an error
     * @return this
     */
    public JobOptions removeLeftovers(boolean remove) {
        this.removeLeftovers = remove;
        return this;
    }

    /**
     * @param on run issue 13's round trip (failover, rejoin, failover back) instead of the push experiment
     * @return this
     */
    public JobOptions roles(boolean on) {
        this.roles = on;
        return this;
    }

    /** @return whether the job runs the round trip of {@code --roles} */
    public boolean roles() {
        return roles;
    }

    /**
     * @return a --roles run's connections opened between the failovers (before the rejoin) and again
     *         after the rejoin: 10 % of those open before the first failover each, at least one
     */
    public int rolesLaterConnections() {
        return Math.max(1, connections.get(0) / 10);
    }

    public Path distribution() {
        return distribution;
    }

    public List<Integer> connections() {
        return connections;
    }

    public long intervalMillis() {
        return intervalMillis;
    }

    public long beforeMillis() {
        return beforeMillis;
    }

    public long afterMillis() {
        return afterMillis;
    }

    public String monitorProfile() {
        return monitorProfile;
    }

    public String framing() {
        return framing;
    }

    public boolean baseline() {
        return baseline;
    }

    public double lossPercent() {
        return lossPercent;
    }

    public long delayMillis() {
        return delayMillis;
    }

    public double reorderPercent() {
        return reorderPercent;
    }

    public FaultLink faultLink() {
        return faultLink;
    }

    public Path out() {
        return out;
    }

    public String prefix() {
        return prefix;
    }

    /** @return the baseline lab's namespace prefix */
    public String baselinePrefix() {
        return prefix + "h";
    }

    public boolean removeLeftovers() {
        return removeLeftovers;
    }

    public Scenario scenario() {
        return scenario;
    }

    /** @return the downloads (default 4) or MQTT publishers (default 10) of a scenario */
    public int clients() {
        return clients > 0 ? clients : scenario == Scenario.SESSION ? 10 : 4;
    }

    /** @return the download's file size in MiB (default 200) */
    public long fileMib() {
        return fileMib;
    }

    /** @return each download's rate limit in KiB/s (default 4096) */
    public long rateKib() {
        return rateKib;
    }

    /** @return whether any fault is injected */
    public boolean faults() {
        return lossPercent > 0 || delayMillis > 0 || reorderPercent > 0;
    }

    /** @return whether a fault needs the wire-impairment box (a delay or reordering) */
    public boolean impairsWire() {
        return delayMillis > 0 || reorderPercent > 0;
    }

    /**
     * @return the delay and reordering of each impaired direction: --delay, or
     *         {@value #REORDER_DELAY_MILLIS} ms when only --reorder is given
     */
    public Impairment impairment() {
        long millis = delayMillis > 0 || reorderPercent == 0 ? delayMillis : REORDER_DELAY_MILLIS;
        return new Impairment(Duration.ofMillis(millis), reorderPercent);
    }

    /** @return the command line that {@link #parse} turns back into these options */
    public List<String> toArgs() {
        List<String> args = new ArrayList<>();
        if (distribution != null) {
            args.addAll(List.of("--distribution", distribution.toString()));
        }
        if (roles) {
            // the push experiment's other options have no meaning for the round trip: parse refuses them
            args.addAll(List.of("--roles", "--connections", Integer.toString(connections.get(0)), "--interval-ms",
                    Long.toString(intervalMillis), "--prefix", prefix));
            if (out != null) {
                args.addAll(List.of("--out", out.toString()));
            }
            if (removeLeftovers) {
                args.add("--remove-leftovers");
            }
            return args;
        }
        StringBuilder counts = new StringBuilder();
        for (int n : connections) {
            counts.append(counts.length() == 0 ? "" : ",").append(n);
        }
        args.addAll(List.of("--connections", counts.toString(), "--interval-ms", Long.toString(intervalMillis),
                "--before-ms", Long.toString(beforeMillis), "--after-ms", Long.toString(afterMillis),
                "--monitor-profile", monitorProfile, "--framing", framing, "--baseline", baseline ? "on" : "off",
                "--loss", decimal(lossPercent), "--delay", Long.toString(delayMillis), "--reorder", decimal(reorderPercent),
                "--fault-link", faultLink.name().toLowerCase(Locale.ROOT), "--prefix", prefix));
        if (out != null) {
            args.addAll(List.of("--out", out.toString()));
        }
        if (removeLeftovers) {
            args.add("--remove-leftovers");
        }
        if (scenario != Scenario.PUSH) {
            args.addAll(List.of("--scenario", scenario.option(), "--clients", Integer.toString(clients()), "--file-mib",
                    Long.toString(fileMib), "--rate-kib", Long.toString(rateKib)));
        }
        return args;
    }

    private static String decimal(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    /** @return the options as a JSON object for the report */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("distribution", distribution == null ? null : distribution.toString());
        m.put("connections", connections);
        m.put("intervalMillis", intervalMillis);
        m.put("beforeMillis", beforeMillis);
        m.put("afterMillis", afterMillis);
        m.put("monitorProfile", monitorProfile);
        m.put("framing", framing);
        m.put("baseline", baseline);
        m.put("lossPercent", lossPercent);
        m.put("delayMillis", delayMillis);
        m.put("reorderPercent", reorderPercent);
        m.put("faultLink", faultLink.name().toLowerCase(Locale.ROOT));
        m.put("prefix", prefix);
        m.put("scenario", scenario.option());
        m.put("roles", roles);
        if (roles) {
            m.put("betweenConnections", rolesLaterConnections());
            m.put("afterRejoinConnections", rolesLaterConnections());
        }
        if (scenario != Scenario.PUSH) {
            m.put("clients", clients());
            m.put("fileMib", fileMib);
            m.put("rateKib", rateKib);
        }
        return m;
    }

    /**
     * @param args a command line (see {@link #usage()})
     * @return the options it gives
     * @throws IllegalArgumentException on unknown options or bad values, with the reason
     */
    public static JobOptions parse(String... args) {
        Args a = Args.parse(args, Set.of("remove-leftovers", "help", "roles"),
                Set.of("distribution", "connections", "interval-ms", "duration-s", "before-s", "after-s", "before-ms", "after-ms",
                        "monitor-profile", "framing", "baseline", "loss", "delay", "reorder", "fault-link", "out", "prefix",
                        "scenario", "clients", "file-mib", "rate-kib"));
        JobOptions o = new JobOptions();
        o.roles = a.flag("roles");
        if (o.roles) {
            for (String option : List.of("scenario", "clients", "file-mib", "rate-kib", "duration-s", "before-s", "after-s", "before-ms",
                    "after-ms", "monitor-profile", "framing", "baseline", "loss", "delay", "reorder", "fault-link")) {
                if (a.has(option)) {
                    throw new IllegalArgumentException("--" + option + " is not for --roles: the round trip runs MigWare with"
                            + " keepalived and the fast ICMP monitor, without faults or a baseline, and pulls each link when"
                            + " the run before it is done (it takes --connections N, --interval-ms, --out, --prefix)");
                }
            }
            o.connections = List.of(DEFAULT_ROLES_CONNECTIONS);
            o.baseline = false;
        }
        String scenario = a.string("scenario", "push").toUpperCase(Locale.ROOT);
        try {
            o.scenario = Scenario.valueOf(scenario);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--scenario takes push, download or session: " + scenario.toLowerCase(Locale.ROOT));
        }
        if (o.scenario != Scenario.PUSH) {
            o.clients = (int) a.number("clients", 0);
            if (a.has("clients") && o.clients < 1) {
                throw new IllegalArgumentException("--clients must be 1..100");
            }
            o.fileMib = a.number("file-mib", o.fileMib);
            o.rateKib = a.number("rate-kib", o.rateKib);
            o.defaultPhases();
        } else if (a.has("clients") || a.has("file-mib") || a.has("rate-kib")) {
            throw new IllegalArgumentException("--clients, --file-mib and --rate-kib are for --scenario download or session;"
                    + " the push scenario takes --connections");
        }
        String dist = a.string("distribution", System.getProperty("migware.home"));
        o.distribution = dist == null ? null : Path.of(dist);
        if (a.has("connections")) {
            List<Integer> counts = new ArrayList<>();
            for (String item : a.string("connections", "").split(",")) {
                if (item.isBlank()) {
                    continue;
                }
                try {
                    counts.add(Integer.parseInt(item.trim()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--connections takes whole numbers separated by commas, e.g. 1,10,20: "
                            + a.string("connections", ""));
                }
            }
            o.connections = List.copyOf(counts);
        }
        o.intervalMillis = a.number("interval-ms", o.intervalMillis);
        o.beforeMillis = a.has("before-s") ? Math.round(a.decimal("before-s", 0) * 1000) : a.number("before-ms", o.beforeMillis);
        o.afterMillis = a.has("after-s") ? Math.round(a.decimal("after-s", 0) * 1000) : a.number("after-ms", o.afterMillis);
        if (a.has("duration-s")) {
            // the whole client run per N; what is not before the pull is after it
            long total = Math.round(a.decimal("duration-s", 0) * 1000);
            if (total <= o.beforeMillis) {
                throw new IllegalArgumentException("--duration-s (" + total / 1000.0 + " s) must be longer than the time before"
                        + " the pull (" + o.beforeMillis / 1000.0 + " s)");
            }
            o.afterMillis = total - o.beforeMillis;
        }
        o.monitorProfile = a.string("monitor-profile", o.monitorProfile).toLowerCase(Locale.ROOT);
        o.framing = a.string("framing", o.framing).toLowerCase(Locale.ROOT);
        String baseline = a.string("baseline", o.roles ? "off" : "on").toLowerCase(Locale.ROOT);
        if (!baseline.equals("on") && !baseline.equals("off")) {
            throw new IllegalArgumentException("--baseline takes on or off: " + baseline);
        }
        o.baseline = baseline.equals("on");
        o.lossPercent = a.decimal("loss", 0);
        o.delayMillis = a.number("delay", 0);
        o.reorderPercent = a.decimal("reorder", 0);
        String link = a.string("fault-link", "client").toUpperCase(Locale.ROOT);
        try {
            o.faultLink = FaultLink.valueOf(link);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--fault-link takes client or mirror: " + link.toLowerCase(Locale.ROOT));
        }
        String outDir = a.string("out", null);
        o.out = outDir == null ? null : Path.of(outDir);
        o.prefix = a.string("prefix", o.prefix);
        o.removeLeftovers = a.flag("remove-leftovers");
        o.validate();
        return o;
    }

    /**
     * The scenario's phases when none are given: a download is pulled 8 s in (well inside the file)
     * and may run as long as the whole file takes at its rate plus 30 s before it counts as hung;
     * sessions are pulled 5 s in and watched for 10 s after.
     */
    private void defaultPhases() {
        if (scenario == Scenario.DOWNLOAD) {
            beforeMillis = 8000;
            afterMillis = fileMib * 1024 * 1000 / Math.max(1, rateKib) + 30_000;
        } else {
            beforeMillis = 5000;
            afterMillis = 10_000;
        }
    }

    void validate() {
        require(!connections.isEmpty(), "--connections needs at least one count");
        if (roles) {
            require(connections.size() == 1, "--roles takes one count: --connections N, the connections open before the first"
                    + " failover (10 % more open between the failovers and again after the rejoin)");
            require(connections.get(0) <= 1000, "--roles: --connections must be 1..1000, not " + connections.get(0));
        }
        for (int n : connections) {
            require(n > 0 && n <= 10_000, "--connections: each count must be 1..10000, not " + n);
        }
        require(intervalMillis >= 10 && intervalMillis <= 60_000, "--interval-ms must be 10..60000");
        require(beforeMillis >= 1000, "the time before the pull (--before-s) must be at least 1 s, so that the clients are connected");
        require(afterMillis >= 2000, "the time after the pull (--after-s) must be at least 2 s, so that the failover can end");
        require(monitorProfile.equals("thesis") || monitorProfile.equals("fast"), "--monitor-profile takes thesis or fast: "
                + monitorProfile);
        require(List.of("none", "newline", "length-prefixed-2", "length-prefixed-4").contains(framing),
                "--framing takes none, newline, length-prefixed-2 or length-prefixed-4: " + framing);
        require(lossPercent >= 0 && lossPercent < 100, "--loss takes a percentage 0..<100");
        require(delayMillis >= 0 && delayMillis <= 10_000, "--delay takes milliseconds 0..10000");
        require(reorderPercent >= 0 && reorderPercent <= 100, "--reorder takes a percentage 0..100");
        if (scenario != Scenario.PUSH) {
            require(clients() >= 1 && clients() <= 100, "--clients must be 1..100");
            require(fileMib >= 1 && fileMib <= 4096, "--file-mib must be 1..4096");
            require(rateKib >= 16 && rateKib <= 1 << 20, "--rate-kib must be 16..1048576");
            require(!faults(), "--loss, --delay and --reorder are for the push scenario");
        }
        require(prefix.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,30}"), "--prefix must be 1-31 characters of [A-Za-z0-9_.-]");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** @return the command's help text */
    public static String usage() {
        return String.join("\n",
                "Usage: bin/migware lab [OPTIONS]",
                "",
                "The thesis's experiment (chapter 6) on the built-in lab, beside a conventional failover:",
                "for each N, N clients push a 64-byte record every interval to the primary; after --before-s",
                "the primary's link is pulled. MigWare (in the backup) detects it, re-creates every connection",
                "against the replica and carries it on. The same workload then runs through HAProxy (TCP mode,",
                "health checks every 100 ms, the backup as 'backup' server) whose clients reconnect on error.",
                "Prints a result table and writes lab-results/<timestamp>/: results.json, *.csv, summary.md,",
                "report.html (self-contained) and raw/ (captures, reports, logs). Needs root.",
                "",
                "Options:",
                "  --connections N,N,...   connection counts (default 1,10,20,50,100,150,200)",
                "  --interval-ms MS        time between two records of a connection (default 500)",
                "  --before-s S            clients' start to the pull (default 4; the thesis: 40 records = 20 s)",
                "  --after-s S             the pull to the clients' end (default 6)",
                "  --duration-s S          the whole client run per N; sets --after-s to S minus --before-s",
                "  --monitor-profile P     thesis (ICMP every 500 ms, DOWN after 1 miss; default) or fast (10 ms x 5);",
                "                          not the shipped default (safe: 100 ms x 8), which 1 lost ping cannot trip",
                "  --framing MODE          the proxy's record framing: none (default), newline, length-prefixed-2|4",
                "  --baseline on|off       run the HAProxy baseline (default on)",
                "  --loss PCT              random loss on the fault link (nftables)",
                "  --delay MS              delay on the fault link: on the client's link MS each way (a round trip",
                "                          +2 x MS), on the mirror MS on the frames towards the backup only",
                "  --reorder PCT           PCT % of the frames go at once, past the delayed ones (netem's meaning;",
                "                          behind --delay, or behind 10 ms without it)",
                "                          Delay and reordering: a userspace forwarder in the hub (packet sockets),",
                "                          no netem needed; its counters are in results.json",
                "  --fault-link L          client (default: the client's link) or mirror (the backup's capture link;",
                "                          MigWare runs only: HAProxy has no mirror)",
                "  --out DIR               where the report goes (default lab-results/<timestamp>)",
                "  --prefix P              namespace name prefix (default mwrlab; the baseline uses Ph)",
                "  --remove-leftovers      first remove namespaces a crashed run of this prefix left behind",
                "",
                "The round trip (issue 13), keepalived on primary and backup owning the service address:",
                "  --roles                 instead of the experiment above: N push clients (--connections N, one",
                "                          count, default 200; records every --interval-ms) on the primary; its",
                "                          link pulled, the backup takes over (failover); 10 % more connections",
                "                          opened, on the backup's kernel; the old primary rebooted, its",
                "                          application restarted, rejoins as the backup and learns the table",
                "                          through state sync (rejoin); 10 % more opened; the new master's link",
                "                          pulled, the rejoined host takes every connection over (failover back).",
                "                          Writes results.json, summary.md and report.html (both failovers drawn)",
                "                          and raw/ (the client's capture, the applications' and clients' reports,",
                "                          both MigWares' logs). Needs keepalived. No baseline, no faults; the",
                "                          ICMP monitor's fast profile (10 ms x 5)",
                "",
                "Scenarios (issue 9): real servers on primary and backup, each run three ways side by side:",
                "MigWare with delivery=resume, MigWare with delivery=replay, and the HAProxy baseline. The",
                "report counts what the clients themselves saw (curl's exit and the SHA-256 of its file;",
                "mosquitto_pub's acknowledgements, errors and reconnects, the subscriber's messages).",
                "  --scenario S            push (default: the experiment above), download or session",
                "                          download: nginx serving a seeded file, --clients curls (default 4) at",
                "                          --rate-kib each, the pull after --before-s (default 8); a curl still",
                "                          running --after-s after the pull (default: the file's time + 30 s) hung",
                "                          session: mosquitto, --clients QoS 1 publishers (default 10, 10 messages",
                "                          a second each) and a subscriber; pull after 5 s, watched 10 s after",
                "  --clients N             downloads or publishers of a scenario",
                "  --file-mib M            the download's size (default 200)",
                "  --rate-kib K            each download's rate limit (default 4096: 4 MiB/s)",
                "",
                "The default run takes about 3 minutes on 2 cores, --roles about 1 minute. Exit status: 0 every",
                "MigWare connection survived (a scenario: every replayed client carried on; --roles: both",
                "failovers), 1 some did not, 2 bad usage or the machine cannot run the lab, 130 interrupted.");
    }
}
