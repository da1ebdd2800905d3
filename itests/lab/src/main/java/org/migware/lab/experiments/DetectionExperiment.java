package org.migware.lab.experiments;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.migware.lab.Args;
import org.migware.lab.Await;
import org.migware.lab.Commands;
import org.migware.lab.ExecResult;
import org.migware.lab.LabException;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.LinkEnd;
import org.migware.lab.network.Role;
import org.migware.lab.workloads.PushClient;
import org.migware.lab.workloads.PushClientReport;
import org.migware.lab.workloads.SinkServer;

/**
 * Failure detection on the lab: the thesis's workload (a sink server in the primary, push clients
 * in the client) and MigWare in the backup with chosen health monitors, each deployed from the
 * distribution's {@code monitors/} and configured with a {@link Profile}. The scenarios of the
 * detection issue are methods: pull the primary's link, stop only its service, add random loss
 * on its link, pull the backup's own link; MigWare's answers are read from {@code migware:status}
 * ({@link MigwareStatus}: the state with the instant of the decision, each monitor's verdict with
 * the instant it changed) and from its log.
 *
 * <p>{@link #main} is the detection-latency benchmark ({@code DETECTION-RESULTS.md}).
 */
public final class DetectionExperiment implements AutoCloseable {

    /** The health monitors the distribution ships in {@code monitors/}. */
    public enum Monitor {
        ICMP("icmp", "org.migware.monitor.icmp"),
        TCP("tcp", "org.migware.monitor.tcp"),
        TRAFFIC("traffic", "org.migware.monitor.traffic"),
        /** A ping command run by monitor-exec (factory configuration {@code exec-ping}). */
        EXEC("exec", "org.migware.monitor.exec");

        private final String kind;
        private final String symbolicName;

        Monitor(String kind, String symbolicName) {
            this.kind = kind;
            this.symbolicName = symbolicName;
        }

        /** @return the monitor's name in {@code migware:status} ({@code tcp} is {@code tcp:<port>}) */
        public String kind() {
            return kind;
        }

        /** @return the bundle's symbolic name, also the configuration PID (the factory PID for exec) */
        public String symbolicName() {
            return symbolicName;
        }

        /** @return the PID of the configuration file this lab writes for it */
        public String pid() {
            return this == EXEC ? symbolicName + "-ping" : symbolicName;
        }
    }

    /**
     * A set of monitor settings.
     *
     * @param name short name, used in reports and instance names
     * @param settings per monitor, the keys of its configuration PID (the service's address and
     *        port come from {@code org.migware.service}); a monitor without an entry is not covered
     */
    public record Profile(String name, Map<Monitor, Map<String, String>> settings) {

        /**
         * The thesis's detector on every probe: an echo (or a connect) every 500 ms, 500 ms to
         * answer, DOWN after one miss — the shipped defaults; the passive monitor with its shipped
         * defaults (evaluation every 100 ms, stall 1000 ms, 3 evaluations).
         */
        public static final Profile THESIS = new Profile("thesis", Map.of(
                Monitor.ICMP, probe(500, 500, 1),
                Monitor.TCP, probe(500, 500, 1),
                Monitor.TRAFFIC, traffic(100, 1000, 1, 3),
                Monitor.EXEC, Map.of("intervalMillis", "500", "timeoutMillis", "1500", "misses", "1", "recoveries", "1")));

        /**
         * The shipped default ({@code profile = safe}, the code's default too): a probe every 100 ms,
         * 100 ms to answer, DOWN after 8 misses in a row; the passive monitor is not covered.
         */
        public static final Profile SAFE = new Profile("safe", Map.of(
                Monitor.ICMP, Map.of("profile", "safe"),
                Monitor.TCP, Map.of("profile", "safe")));

        /**
         * The probing monitors exactly as the distribution ships them: nothing written for them (an
         * empty map; {@link MigwareInstance} then leaves no file of the lab's for that PID).
         */
        public static final Profile SHIPPED = new Profile("shipped", Map.of(
                Monitor.ICMP, Map.of(),
                Monitor.TCP, Map.of()));

        /**
         * The fast, loss-tolerant profile: a probe every 10 ms, 10 ms to answer, DOWN after 5 misses
         * in a row (50-60 ms after the primary stops answering); the passive monitor judging every
         * 10 ms, client data unacknowledged and the primary silent for 40 ms, 3 evaluations.
         */
        public static final Profile FAST = new Profile("fast", Map.of(
                Monitor.ICMP, probe(10, 10, 5),
                Monitor.TCP, probe(10, 10, 5),
                Monitor.TRAFFIC, traffic(10, 40, 0, 3)));

        /** The first fast profile measured: 10 ms, 10 ms, 6 misses; traffic silent for 50 ms. */
        public static final Profile FAST_10X6 = new Profile("fast-10x6", Map.of(
                Monitor.ICMP, probe(10, 10, 6),
                Monitor.TCP, probe(10, 10, 6),
                Monitor.TRAFFIC, traffic(10, 50, 0, 3)));

        /** The fast profile documented before this measurement: 20 ms, 20 ms, 3 misses (probes only). */
        public static final Profile FAST_20X3 = new Profile("fast-20x3", Map.of(
                Monitor.ICMP, probe(20, 20, 3),
                Monitor.TCP, probe(20, 20, 3)));

        /** @return whether this profile has settings for the monitor */
        public boolean covers(Monitor monitor) {
            return settings.containsKey(monitor);
        }

        /** @return the monitor's settings */
        public Map<String, String> of(Monitor monitor) {
            Map<String, String> s = settings.get(monitor);
            if (s == null) {
                throw new IllegalArgumentException("profile " + name + " has no settings for " + monitor);
            }
            return s;
        }

        /** @return one short line: {@code icmp 10/10/6, tcp 10/10/6, ...} */
        public String describe() {
            List<String> parts = new ArrayList<>();
            for (Monitor m : Monitor.values()) {
                Map<String, String> s = settings.get(m);
                if (s == null) {
                    continue;
                }
                if (s.isEmpty() || s.containsKey("profile")) {
                    parts.add(m.kind() + (s.isEmpty() ? " as shipped" : " profile " + s.get("profile")));
                    continue;
                }
                parts.add(m == Monitor.TRAFFIC
                        ? "traffic evaluate " + s.get("evaluateMillis") + " ms, stall " + s.get("stallMillis") + " ms, "
                                + s.get("minRetransmissions") + " retransmissions, " + s.get("misses") + " misses"
                        : m.kind() + " " + s.get("intervalMillis") + " ms interval, " + s.get("timeoutMillis") + " ms timeout, "
                                + s.get("misses") + " misses");
            }
            return String.join("; ", parts);
        }

        private static Map<String, String> probe(long interval, long timeout, int misses) {
            return Map.of("intervalMillis", Long.toString(interval), "timeoutMillis", Long.toString(timeout),
                    "misses", Integer.toString(misses), "recoveries", "1");
        }

        private static Map<String, String> traffic(long evaluate, long stall, int retransmissions, int misses) {
            return Map.of("evaluateMillis", Long.toString(evaluate), "stallMillis", Long.toString(stall),
                    "minRetransmissions", Integer.toString(retransmissions), "misses", Integer.toString(misses),
                    "recoveries", "1");
        }
    }

    /**
     * The lab's workload.
     *
     * @param distribution the built distribution ({@code distribution/target/migware})
     * @param prefix the lab's namespace prefix
     * @param port the service's TCP port
     * @param clients push connections (the thesis: 200)
     * @param clientIntervalMillis one record per connection this often (the thesis: 500)
     */
    public record Options(Path distribution, String prefix, int port, int clients, long clientIntervalMillis) {

        /** The thesis's workload: 200 connections, a record every 500 ms. */
        public static Options defaults(Path distribution) {
            return new Options(distribution, "mwd", 7100, 200, 500);
        }

        public Options withPrefix(String newPrefix) {
            return new Options(distribution, newPrefix, port, clients, clientIntervalMillis);
        }

        public Options withClients(int count) {
            return new Options(distribution, prefix, port, count, clientIntervalMillis);
        }
    }

    /**
     * One link-pulled trial.
     *
     * @param monitor the only monitor deployed
     * @param profile its settings
     * @param pulled taken just before the link was set down
     * @param verdict when the monitor said DOWN, or null when it did not within the timeout
     * @param decision when the core left NORMAL ({@code state: RECOVERY since}), or null
     */
    public record Trial(Monitor monitor, Profile profile, Instant pulled, Instant verdict, Instant decision, String reason) {

        public boolean detected() {
            return verdict != null && decision != null;
        }

        /** @return link pulled to the monitor's DOWN verdict, in ms, or -1 */
        public double verdictMillis() {
            return verdict == null ? -1 : Duration.between(pulled, verdict).toNanos() / 1e6;
        }

        /** @return link pulled to the decision, in ms, or -1 */
        public double decisionMillis() {
            return decision == null ? -1 : Duration.between(pulled, decision).toNanos() / 1e6;
        }
    }

    /**
     * A loss run of one instance.
     *
     * @param profile its settings
     * @param downVerdicts DOWN verdicts per monitor during the run (from the core's log)
     * @param decisions times the core left NORMAL during the run
     * @param status {@code migware:status} at the end
     */
    public record LossRun(Profile profile, Map<String, Integer> downVerdicts, int decisions, MigwareStatus status, List<String> downLines,
            LossCounters loss) {

        public int falseDowns() {
            return downVerdicts.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    /**
     * What a stretch of MigWare's log says about the decision.
     *
     * @param downVerdicts DOWN verdicts per monitor ({@code core: verdict <monitor> DOWN for ...})
     * @param downLines those lines
     * @param decisions times the core left NORMAL ({@code core: state NORMAL -> ...})
     */
    public record LogTally(Map<String, Integer> downVerdicts, List<String> downLines, int decisions) {

        /** @return every DOWN verdict of every monitor */
        public int downs() {
            return downVerdicts.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    /** @return the DOWN verdicts and decisions that {@code log} (a part of MigWare's log) records */
    public static LogTally tally(String log) {
        Map<String, Integer> downs = new LinkedHashMap<>();
        List<String> downLines = new ArrayList<>();
        int decisions = 0;
        for (String line : log.split("\n")) {
            Matcher v = VERDICT_LINE.matcher(line);
            if (v.find()) {
                downs.merge(v.group(1), 1, Integer::sum);
                downLines.add(line);
            }
            if (DECISION_LINE.matcher(line).find()) {
                decisions++;
            }
        }
        return new LogTally(downs, downLines, decisions);
    }

    /**
     * How long a trial waits after the instances came up before it pulls the link: longer than
     * the core's isolationSettleMillis (2 s), during which it does not trust a DOWN verdict.
     */
    static final long SETTLE_MILLIS = 2500;

    /** A monitor said DOWN (or the core decided) before the link was pulled: a false DOWN. */
    public static final class FalseDown extends LabException {
        private final Monitor monitor;
        private final Profile profile;

        FalseDown(Monitor monitor, Profile profile, MigwareStatus status) {
            super("false DOWN before the pull: " + monitor.kind() + "/" + profile.name() + ":\n" + status);
            this.monitor = monitor;
            this.profile = profile;
        }

        public Monitor monitor() {
            return monitor;
        }

        public Profile profile() {
            return profile;
        }
    }

    private static final Pattern VERDICT_LINE = Pattern.compile("core: verdict (\\S+) DOWN for .*");
    private static final Pattern DECISION_LINE = Pattern.compile("core: state NORMAL -> \\S+ at .*");

    private final Options options;
    private final LabNetwork lab;
    private final Consumer<String> progress;
    private LabProcess sink;
    private LabProcess client;
    private boolean lossOn;
    private int sinks;

    private DetectionExperiment(Options options, LabNetwork lab, Consumer<String> progress) {
        this.options = options;
        this.lab = lab;
        this.progress = progress;
    }

    /**
     * Builds the lab (replacing leftovers of the same prefix), starts the sink in the primary and
     * the push clients in the client, and waits until every client is connected.
     * {@link #close()} removes it all; on failure here it is removed before the exception leaves.
     */
    public static DetectionExperiment start(Options options, Consumer<String> progress) {
        LabNetwork lab = LabNetwork.builder().prefix(options.prefix()).replaceLeftovers(true).create();
        DetectionExperiment experiment = new DetectionExperiment(options, lab, progress);
        try {
            experiment.startService();
            experiment.startClients();
            progress.accept("lab " + options.prefix() + " up: sink on " + lab.address(Role.PRIMARY) + ":" + options.port()
                    + ", " + options.clients() + " clients pushing every " + options.clientIntervalMillis() + " ms");
            return experiment;
        } catch (RuntimeException | Error e) {
            lab.close();
            throw e;
        }
    }

    private Path clientReport() {
        return lab.workDir().resolve("client.tsv");
    }

    private void startClients() {
        client = lab.startJava(Role.CLIENT, "client", PushClient.class,
                new PushClient.Options().host(lab.address(Role.PRIMARY)).port(options.port())
                        .connections(options.clients()).intervalMillis(options.clientIntervalMillis())
                        .report(clientReport()).toArgs());
        Await.until("the push clients connected", Duration.ofSeconds(30), () -> {
            if (!client.isAlive()) {
                throw new LabException("the push client exited: " + client.stderr());
            }
            return PushClientReport.readIfPresent(clientReport()).map(r -> r.connections().size() >= options.clients()).orElse(false);
        });
    }

    /**
     * Stops the push clients and connects them anew, so that a MigWare started meanwhile has seen
     * every handshake (a connection whose handshake it missed can never be carried).
     */
    public void reconnectClients() {
        client.destroy(Duration.ofSeconds(10));
        try {
            Files.deleteIfExists(clientReport());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        startClients();
    }

    /** @return the push clients' report as they last wrote it */
    public PushClientReport clientReport(String what) {
        return PushClientReport.readIfPresent(clientReport())
                .orElseThrow(() -> new LabException("no push-client report for " + what + " at " + clientReport()));
    }

    /** @return the lab */
    public LabNetwork lab() {
        return lab;
    }

    /** @return the options */
    public Options options() {
        return options;
    }

    // ------------------------------------------------------------------ MigWare

    /** @return the configurations every instance gets: the service, live capture on eth0, no file replay */
    public Map<String, Map<String, String>> baseConfigs() {
        Map<String, Map<String, String>> configs = new LinkedHashMap<>();
        configs.put("org.migware.service", Map.of("addresses", lab.address(Role.PRIMARY), "ports", Integer.toString(options.port())));
        configs.put("org.migware.capture.pcap4j", Map.of("interfaceName", LabNetwork.ROLE_INTERFACE));
        configs.put("org.migware.capture.file", Map.of());
        return configs;
    }

    /**
     * @return the exec monitor's settings besides the profile's: {@code ping -c 1 -W 1 <primary>}
     *         where ping is installed, else a one-second TCP connect to the service with bash's
     *         {@code /dev/tcp} (iputils-ping is not among the lab's prerequisites)
     */
    public Map<String, String> execCommand() {
        String primary = lab.address(Role.PRIMARY);
        boolean ping = Files.isExecutable(Path.of("/usr/bin/ping")) || Files.isExecutable(Path.of("/bin/ping"));
        return Map.of("name", "ping", "command", ping ? "ping -c 1 -W 1 " + primary
                : "timeout 1 bash -c 'exec 3<>/dev/tcp/" + primary + "/" + options.port() + "' 2>/dev/null || { echo no answer from "
                        + primary + "; exit 1; }");
    }

    /**
     * Starts MigWare in the backup with exactly {@code monitors} deployed, each configured from
     * {@code profile}, plus {@code extra} configurations (e.g. {@code org.migware.core.failover}),
     * and waits until it captures, is NORMAL and every one of those monitors says UP.
     *
     * @param name the instance's name (its home; several may run at once)
     */
    public MigwareInstance startMigware(String name, Profile profile, Set<Monitor> monitors, Map<String, Map<String, String>> extra) {
        Map<String, Map<String, String>> configs = baseConfigs();
        for (Monitor monitor : Monitor.values()) {
            if (monitors.contains(monitor) && !profile.of(monitor).isEmpty()) { // empty: its etc/ file as shipped
                Map<String, String> settings = new LinkedHashMap<>(profile.of(monitor));
                if (monitor == Monitor.EXEC) {
                    settings.putAll(execCommand());
                }
                configs.put(monitor.pid(), settings);
            }
        }
        configs.putAll(extra);
        List<String> deployed = monitors.stream().map(Monitor::symbolicName).toList();
        MigwareInstance instance = MigwareInstance.start(lab, Role.BACKUP, name, options.distribution(), configs, deployed,
                Duration.ofSeconds(60));
        try {
            awaitStatus(instance, "MigWare " + name + " capturing, NORMAL, monitors " + monitors + " UP", Duration.ofSeconds(30),
                    s -> s.capturing() && s.tracking() && s.normal() && monitors.stream().allMatch(m -> s.says(m.kind(), "UP")));
        } catch (RuntimeException e) {
            instance.close();
            throw e;
        }
        return instance;
    }

    /**
     * Polls {@code migware:status} until {@code condition} holds.
     *
     * @return the status that satisfied it
     * @throws LabException after the timeout, with the last status
     */
    public static MigwareStatus awaitStatus(MigwareInstance instance, String what, Duration timeout, Predicate<MigwareStatus> condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        MigwareStatus last = null;
        while (true) {
            if (!instance.process().isAlive()) {
                throw new LabException("MigWare exited while waiting for " + what + ": " + tail(instance.log()));
            }
            try {
                last = instance.status();
                if (condition.test(last)) {
                    return last;
                }
            } catch (LabException e) {
                // not answering yet
            }
            if (System.nanoTime() - deadline > 0) {
                throw new LabException("timed out after " + timeout.toMillis() + " ms waiting for " + what + "; last status:\n" + last);
            }
            Await.sleep(50);
        }
    }

    /**
     * Polls for {@code duration} and requires {@code condition} at every poll.
     *
     * @return the last status
     * @throws LabException at the first status that breaks it
     */
    public static MigwareStatus holds(MigwareInstance instance, String what, Duration duration, Predicate<MigwareStatus> condition) {
        long end = System.nanoTime() + duration.toNanos();
        MigwareStatus last;
        do {
            last = instance.status();
            if (!condition.test(last)) {
                throw new LabException("no longer " + what + ":\n" + last);
            }
            Await.sleep(100);
        } while (System.nanoTime() - end < 0);
        return last;
    }

    // ------------------------------------------------------------------ failures

    /**
     * Pulls the primary's cable (its bridge port down).
     *
     * @return the instant the link was down (the `ip` command had returned)
     */
    public Instant pullPrimaryLink() {
        lab.pullPrimaryLink();
        // The instant the `ip` command returned: the link went down just before (its netlink
        // request is the last thing it does). Taking the instant before spawning it would add
        // the JVM's fork and exec, 2-15 ms on a busy host, to every measured latency.
        return Instant.now();
    }

    /** Plugs the primary's cable back in. */
    public void restorePrimaryLink() {
        lab.restorePrimaryLink();
    }

    /**
     * Pulls the backup's own cable (its bridge port down: its eth0 loses carrier).
     *
     * @return the instant taken just before
     */
    public Instant pullBackupLink() {
        Instant before = Instant.now();
        lab.pullLink(Role.BACKUP, LinkEnd.HUB);
        return before;
    }

    /** Plugs the backup's cable back in. */
    public void restoreBackupLink() {
        lab.restoreLink(Role.BACKUP, LinkEnd.BOTH);
    }

    /** Stops only the service process (the sink server) on the primary, which stays up. */
    public void stopService() {
        if (sink != null) {
            sink.destroy(Duration.ofSeconds(10));
            sink = null;
        }
    }

    /** Starts the sink server in the primary (again) and waits until it listens. */
    public void startService() {
        if (sink != null && sink.isAlive()) {
            return;
        }
        sinks++;
        sink = lab.startJava(Role.PRIMARY, "sink", SinkServer.class, new SinkServer.Options().port(options.port()).toArgs());
        sink.awaitOutput(SinkServer.LISTENING, Duration.ofSeconds(20));
    }

    /**
     * Drops one packet in {@code oneIn} at random each way on the primary (nftables input and
     * output hooks in its namespace: {@code numgen random mod oneIn == 0 drop}); 50 gives 2 %.
     * The kernel has no netem, so this stands in for {@code tc netem loss}. Counters on every
     * rule give the loss actually applied ({@link #lossCounters()}).
     */
    public void addLoss(int oneIn) {
        String nft = Commands.tool("nft", "nftables");
        removeLoss();
        lossOn = true;
        String script = "table inet migware_loss {\n"
                + " chain in { type filter hook input priority 0; counter; numgen random mod " + oneIn + " == 0 counter drop; }\n"
                + " chain out { type filter hook output priority 0; counter; numgen random mod " + oneIn + " == 0 counter drop; }\n"
                + "}\n";
        Path file = lab.workDir().resolve("loss.nft");
        try {
            Files.writeString(file, script);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        lab.exec(Role.PRIMARY, nft, "-f", file.toString()).requireSuccess();
    }

    /**
     * The packets the loss rules saw and dropped since {@link #addLoss}.
     *
     * @param inSeen packets arriving at the primary
     * @param inDropped of those, dropped
     * @param outSeen packets the primary sent
     * @param outDropped of those, dropped
     */
    public record LossCounters(long inSeen, long inDropped, long outSeen, long outDropped) {

        public double inPercent() {
            return inSeen == 0 ? Double.NaN : 100.0 * inDropped / inSeen;
        }

        public double outPercent() {
            return outSeen == 0 ? Double.NaN : 100.0 * outDropped / outSeen;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "in %d of %d dropped (%.2f %%), out %d of %d dropped (%.2f %%)",
                    inDropped, inSeen, inPercent(), outDropped, outSeen, outPercent());
        }
    }

    /** @return the counters of the loss rules */
    public LossCounters lossCounters() {
        ExecResult result = lab.exec(Role.PRIMARY, Commands.tool("nft", "nftables"), "list", "table", "inet", "migware_loss");
        result.requireSuccess();
        Matcher m = Pattern.compile("counter packets (\\d+)").matcher(result.stdout());
        List<Long> values = new ArrayList<>();
        while (m.find()) {
            values.add(Long.parseLong(m.group(1)));
        }
        if (values.size() != 4) {
            throw new LabException("expected 4 counters in: " + result.stdout());
        }
        return new LossCounters(values.get(0), values.get(1), values.get(2), values.get(3));
    }

    /** Removes what {@link #addLoss} added; does nothing when there is none. */
    public void removeLoss() {
        if (lossOn) {
            lab.exec(Role.PRIMARY, Commands.tool("nft", "nftables"), "delete", "table", "inet", "migware_loss");
            lossOn = false;
        }
    }

    /**
     * Applies the loss for {@code duration} to the lab's own traffic and removes it again.
     *
     * @return what the rules dropped meanwhile
     */
    public LossCounters calibrateLoss(int oneIn, Duration duration) {
        addLoss(oneIn);
        try {
            Await.sleep(duration.toMillis());
            return lossCounters();
        } finally {
            removeLoss();
        }
    }

    // ------------------------------------------------------------------ the benchmark's parts

    /**
     * One trial: MigWare with only {@code monitor}, configured by {@code profile}; at a random
     * phase of its probing the primary's link is pulled; the monitor's DOWN instant and the
     * decision's instant are read from {@code migware:status}; the link is restored and the
     * instance stopped.
     */
    public Trial detectionTrial(String name, Monitor monitor, Profile profile) {
        try (MigwareInstance instance = startMigware(name, profile, EnumSet.of(monitor), Map.of())) {
            return pullAndMeasure(instance, monitor, profile);
        } finally {
            restorePrimaryLink();
        }
    }

    /**
     * Several single-monitor instances at once, one per monitor (each its own decision), one pull
     * for all of them.
     */
    public List<Trial> detectionTrials(String name, Set<Monitor> monitors, Profile profile) {
        Map<Monitor, MigwareInstance> instances = new LinkedHashMap<>();
        try {
            List<Thread> starters = new ArrayList<>();
            List<RuntimeException> failures = new ArrayList<>();
            for (Monitor monitor : monitors) {
                Thread t = new Thread(() -> {
                    try {
                        MigwareInstance instance = startMigware(name + "-" + monitor.kind(), profile, EnumSet.of(monitor), Map.of());
                        synchronized (instances) {
                            instances.put(monitor, instance);
                        }
                    } catch (RuntimeException e) {
                        synchronized (failures) {
                            failures.add(e);
                        }
                    }
                });
                t.start();
                starters.add(t);
            }
            for (Thread t : starters) {
                t.join();
            }
            if (!failures.isEmpty()) {
                throw failures.get(0);
            }
            long maxInterval = monitors.stream().mapToLong(m -> Long.parseLong(profile.of(m)
                    .getOrDefault("intervalMillis", profile.of(m).getOrDefault("evaluateMillis", "100")))).max().orElse(100);
            // Let the JVMs settle (JIT) after the concurrent starts, then a random phase of the probing.
            Await.sleep(SETTLE_MILLIS + ThreadLocalRandom.current().nextLong(maxInterval + 1));
            for (Map.Entry<Monitor, MigwareInstance> e : instances.entrySet()) {
                MigwareStatus before = e.getValue().status();
                if (!before.normal() || !before.says(e.getKey().kind(), "UP")) {
                    throw new FalseDown(e.getKey(), profile, before);
                }
            }
            Instant pulled = pullPrimaryLink();
            List<Trial> trials = new ArrayList<>();
            for (Monitor monitor : monitors) {
                trials.add(awaitDecision(instances.get(monitor), monitor, profile, pulled));
            }
            return trials;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted", e);
        } finally {
            restorePrimaryLink();
            instances.values().forEach(MigwareInstance::close);
        }
    }

    private Trial pullAndMeasure(MigwareInstance instance, Monitor monitor, Profile profile) {
        long interval = Long.parseLong(profile.of(monitor).getOrDefault("intervalMillis", profile.of(monitor).getOrDefault("evaluateMillis", "100")));
        Await.sleep(ThreadLocalRandom.current().nextLong(interval + 1));
        Instant pulled = pullPrimaryLink();
        return awaitDecision(instance, monitor, profile, pulled);
    }

    private Trial awaitDecision(MigwareInstance instance, Monitor monitor, Profile profile, Instant pulled) {
        Duration budget = Duration.ofSeconds(15).minus(Duration.between(pulled, Instant.now()));
        try {
            MigwareStatus s = awaitStatus(instance, monitor.kind() + " DOWN and a decision", budget.isNegative() ? Duration.ZERO : budget,
                    st -> !st.normal() && st.says(monitor.kind(), "DOWN"));
            return new Trial(monitor, profile, pulled, s.monitor(monitor.kind()).orElseThrow().at(), s.since(), s.reason());
        } catch (LabException e) {
            progress.accept("trial " + monitor.kind() + "/" + profile.name() + ": no decision: " + e.getMessage());
            return new Trial(monitor, profile, pulled, null, null, e.getMessage());
        }
    }

    /**
     * Random loss on the primary's link for {@code duration}, with one instance per profile
     * running at once, each with {@code monitors} (those its profile covers) and the default
     * failover policy; counts the DOWN verdicts and the decisions each logged meanwhile.
     */
    public List<LossRun> lossRun(List<Profile> profiles, Set<Monitor> monitors, Duration duration, int oneIn) {
        List<MigwareInstance> instances = new ArrayList<>();
        List<Integer> logOffsets = new ArrayList<>();
        try {
            for (Profile profile : profiles) {
                Set<Monitor> covered = EnumSet.noneOf(Monitor.class);
                monitors.stream().filter(profile::covers).forEach(covered::add);
                MigwareInstance instance = startMigware("loss-" + profile.name(), profile, covered, Map.of());
                instances.add(instance);
            }
            instances.forEach(i -> logOffsets.add(i.log().length()));
            addLoss(oneIn);
            progress.accept("loss 1 in " + oneIn + " each way on the primary for " + duration.toSeconds() + " s, profiles "
                    + profiles.stream().map(Profile::name).toList());
            Await.sleep(duration.toMillis());
            LossCounters counters = lossCounters();
            removeLoss();
            progress.accept("loss applied: " + counters);
            List<LossRun> runs = new ArrayList<>();
            for (int i = 0; i < instances.size(); i++) {
                MigwareInstance instance = instances.get(i);
                LogTally tally = tally(instance.log().substring(logOffsets.get(i)));
                runs.add(new LossRun(profiles.get(i), tally.downVerdicts(), tally.decisions(), instance.status(), tally.downLines(),
                        counters));
            }
            return runs;
        } finally {
            removeLoss();
            instances.forEach(MigwareInstance::close);
        }
    }

    @Override
    public void close() {
        try {
            if (!lab.isClosed()) {
                removeLoss();
            }
        } finally {
            lab.close();
        }
    }

    // ------------------------------------------------------------------ statistics

    /** @return the p-th percentile (0-100) by the nearest-rank method, or NaN for no values */
    public static double percentile(List<Double> values, double p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = values.stream().sorted().toList();
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    /** @return the median (mean of the middle two for an even count), or NaN */
    public static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    // ------------------------------------------------------------------ the benchmark

    /**
     * The detection-latency benchmark: for each profile and monitor, {@code --trials} link pulls
     * (one single-monitor instance per monitor, all pulled at once), then one loss run with every
     * profile's instance at once. Prints a Markdown report; {@code --out FILE} also writes it.
     */
    public static void main(String[] args) {
        Args parsed = Args.parse(args, Set.of(), Set.of("distribution", "trials", "loss-s", "loss-one-in", "out", "prefix", "profiles"));
        Path distribution = Path.of(parsed.string("distribution", System.getProperty("migware.home", "distribution/target/migware")));
        int trials = (int) parsed.number("trials", 20);
        long lossSeconds = parsed.number("loss-s", 120);
        int oneIn = (int) parsed.number("loss-one-in", 50);
        String out = parsed.string("out", null);
        Options options = Options.defaults(distribution).withPrefix(parsed.string("prefix", "mwdb"));
        Map<String, Profile> known = Map.of("safe", Profile.SAFE, "thesis", Profile.THESIS, "fast", Profile.FAST, "fast-10x6", Profile.FAST_10X6, "fast-20x3", Profile.FAST_20X3);
        List<Profile> profiles = java.util.Arrays.stream(parsed.string("profiles", "thesis,fast,fast-20x3").split(","))
                .map(name -> {
                    Profile profile = known.get(name.trim());
                    if (profile == null) {
                        throw new IllegalArgumentException("--profiles: unknown profile '" + name + "'; known: " + known.keySet());
                    }
                    return profile;
                }).toList();
        Set<Monitor> monitors = EnumSet.of(Monitor.ICMP, Monitor.TCP, Monitor.TRAFFIC);
        Instant started = Instant.now();
        Map<String, List<Trial>> results = new LinkedHashMap<>();
        Map<String, Integer> falseDownsBeforePull = new LinkedHashMap<>();
        List<LossRun> lossRuns;
        LossCounters calibration;
        try (DetectionExperiment experiment = start(options, message -> System.out.println("detection: " + message))) {
            calibration = experiment.calibrateLoss(oneIn, Duration.ofSeconds(10));
            System.out.println("detection: loss calibration, 10 s of the workload: " + calibration);
            for (Profile profile : profiles) {
                Set<Monitor> covered = EnumSet.noneOf(Monitor.class);
                monitors.stream().filter(profile::covers).forEach(covered::add);
                for (int i = 1; i <= trials; i++) {
                    List<Trial> round;
                    try {
                        round = experiment.detectionTrials("t", covered, profile);
                    } catch (FalseDown e) {
                        falseDownsBeforePull.merge(profile.name() + "/" + e.monitor().kind(), 1, Integer::sum);
                        System.out.println("detection: " + e.getMessage().lines().findFirst().orElse("") + "; round repeated");
                        i--;
                        continue;
                    }
                    for (Trial t : round) {
                        results.computeIfAbsent(profile.name() + "/" + t.monitor().kind(), k -> new ArrayList<>()).add(t);
                        System.out.printf(Locale.ROOT, "detection: %s %s trial %d: DOWN %.1f ms, decision %.1f ms%n",
                                profile.name(), t.monitor().kind(), i, t.verdictMillis(), t.decisionMillis());
                    }
                }
            }
            lossRuns = lossSeconds <= 0 ? List.of() : experiment.lossRun(profiles, monitors, Duration.ofSeconds(lossSeconds), oneIn);
        }
        String report = report(started, Duration.between(started, Instant.now()), options, trials, profiles, results, lossRuns,
                lossSeconds, oneIn, calibration, falseDownsBeforePull);
        System.out.println(report);
        if (out != null) {
            try {
                Files.writeString(Path.of(out), report);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static String report(Instant started, Duration took, Options options, int trials, List<Profile> profiles,
            Map<String, List<Trial>> results, List<LossRun> lossRuns, long lossSeconds, int oneIn, LossCounters calibration,
            Map<String, Integer> falseDownsBeforePull) {
        StringBuilder r = new StringBuilder();
        r.append(String.format(Locale.ROOT, "Run %s UTC, took %d s; machine: %s%n%n",
                DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(started.atOffset(ZoneOffset.UTC).withNano(0)), took.toSeconds(), machine()));
        r.append(String.format(Locale.ROOT, "Workload: %d push connections, a record every %d ms each; %d trials per monitor and profile.%n%n",
                options.clients(), options.clientIntervalMillis(), trials));
        r.append("Profiles:\n\n");
        for (Profile p : profiles) {
            r.append("- `").append(p.name()).append("`: ").append(p.describe()).append('\n');
        }
        r.append("\nLink pulled (the instant `ip link set ... down` returned) to the monitor's DOWN verdict and to the decision"
                + " (`state: RECOVERY since`), in ms:\n\n");
        r.append("| profile | monitor | trials | detected | DOWN median | DOWN p99 | decision median | decision p99 | decision min | decision max |\n");
        r.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        results.forEach((key, list) -> {
            List<Double> verdicts = list.stream().filter(Trial::detected).map(Trial::verdictMillis).toList();
            List<Double> decisions = list.stream().filter(Trial::detected).map(Trial::decisionMillis).toList();
            String[] parts = key.split("/");
            r.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |%n", parts[0], parts[1],
                    list.size(), decisions.size(), median(verdicts), percentile(verdicts, 99), median(decisions),
                    percentile(decisions, 99), percentile(decisions, 0), percentile(decisions, 100)));
        });
        r.append(String.format(Locale.ROOT, "%nFalse DOWN verdicts without loss, in the %d ms between an instance's start and the"
                + " pull (the round was repeated): %s%n", SETTLE_MILLIS, falseDownsBeforePull.isEmpty() ? "none" : falseDownsBeforePull));
        r.append(String.format(Locale.ROOT, "%nLoss run: 1 packet in %d dropped at random each way on the primary (nftables"
                + " `numgen random mod %d == 0 drop` on its input and output hooks), %d s. Calibration (10 s of the workload): %s;"
                + " during the run: %s. All profiles ran at once, each in its own instance with every monitor it covers and"
                + " the default policy (any):%n%n", oneIn, oneIn, lossSeconds, calibration,
                lossRuns.isEmpty() ? "-" : lossRuns.get(0).loss()));
        r.append("| profile | false DOWN verdicts | per monitor | decisions (left NORMAL) | state at the end |\n");
        r.append("| --- | ---: | --- | ---: | --- |\n");
        for (LossRun run : lossRuns) {
            r.append(String.format(Locale.ROOT, "| %s | %d | %s | %d | %s |%n", run.profile().name(), run.falseDowns(),
                    run.downVerdicts().isEmpty() ? "none" : run.downVerdicts().toString(), run.decisions(), run.status().state()));
        }
        return r.toString();
    }

    private static String machine() {
        String cpu = "";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("");
        } catch (IOException e) {
            // not Linux?
        }
        return String.format(Locale.ROOT, "%d CPUs %s, Linux %s, Java %s", Runtime.getRuntime().availableProcessors(), cpu,
                System.getProperty("os.version"), System.getProperty("java.version"));
    }

    private static String tail(String text) {
        return text.length() <= 4000 ? text : "..." + text.substring(text.length() - 4000);
    }

}
