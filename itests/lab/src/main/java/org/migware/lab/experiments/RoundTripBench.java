package org.migware.lab.experiments;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongPredicate;
import org.migware.lab.Await;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.Role;
import org.migware.lab.oracles.LatencyStats;
import org.migware.lab.oracles.RoundTripStages;
import org.migware.lab.oracles.RttLog;
import org.migware.lab.oracles.Tcpdump;
import org.migware.lab.oracles.WireAnalysis;
import org.migware.lab.oracles.WireRoundTrips;

/**
 * The round trip added by PROXY (issue 14), timed on the client's wire: request/response
 * connections, tcpdump on the client's link for the whole round, and per client segment carrying
 * payload the time to the service side's first ACK covering it and to the answer's first byte
 * ({@link WireRoundTrips}; tshark decodes, after the round, never MigWare). Direct to the primary
 * (the last {@link Plan#measureMillis()} before the pull) against through PROXY (from
 * {@link Plan#settleMillis()} after MigWare reached PROXY), in the same round; the round trips
 * each client timed itself ({@link RttLog}) are read for the same windows and kept beside them,
 * labelled as the application's.
 */
public final class RoundTripBench {

    /** The request/response scenario's own size: 200 connections. */
    public static final int DEFAULT_CONNECTIONS = 200;
    /** Without a rate, each connection sends a request every 500 ms (the scenario's interval). */
    static final long DEFAULT_INTERVAL_MILLIS = 500;
    /** Connects per second above 200 connections (the scale scenario's rate). */
    private static final long CONNECT_RATE = 2000;

    private RoundTripBench() {
    }

    /**
     * What a round runs.
     *
     * @param connections request/response connections
     * @param intervalMillis each connection's request interval: connections / rate
     * @param connectMillis how long the client takes to open them (0 at 200: at once)
     * @param measureMillis how long each window is: direct before the pull, through PROXY after settling
     * @param settleMillis from PROXY to the window through it: at least one request interval, so
     *        every connection has sent again after the failover (records held during the outage are
     *        the failover's cost, not the path's)
     * @param proxySettings more keys of {@code etc/org.migware.proxy.cfg} (e.g. {@code stateSnapshotMillis=0}, to
     *        see what the periodic snapshot costs); empty: as shipped
     */
    public record Plan(int connections, long intervalMillis, long connectMillis, long measureMillis, long settleMillis,
            Map<String, String> proxySettings) {

        /** Copies the settings: the plan stays a value. */
        public Plan {
            proxySettings = Map.copyOf(proxySettings);
        }

        /**
         * @param connections how many connections
         * @param requestsPerSecond requests a second in total; 0 or less: one every 500 ms per connection
         * @return the plan
         */
        public static Plan of(int connections, long requestsPerSecond) {
            if (connections < 1) {
                throw new IllegalArgumentException("--rtt-connections must be at least 1");
            }
            long interval = requestsPerSecond <= 0 ? DEFAULT_INTERVAL_MILLIS : Math.max(1, connections * 1000L / requestsPerSecond);
            long connect = connections <= DEFAULT_CONNECTIONS ? 0 : connections * 1000L / CONNECT_RATE;
            // each connection sends at least twice per window, and 8 s at least (the scenario's old direct window)
            long measure = Math.max(8000, 2 * interval);
            long settle = Math.max(MigrationExperiment.SETTLE_MILLIS, interval);
            return new Plan(connections, interval, connect, measure, settle, Map.of());
        }

        /**
         * @param settings {@code key=value,key=value} of {@code etc/org.migware.proxy.cfg}; null or empty for none
         * @return this plan with MigWare's proxy configured so
         */
        public Plan withProxySettings(String settings) {
            Map<String, String> map = new java.util.TreeMap<>();
            for (String pair : settings == null ? new String[0] : settings.split(",")) {
                if (pair.isBlank()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("--rtt-proxy: key=value pairs, not '" + pair + "'");
                }
                map.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
            }
            return new Plan(connections, intervalMillis, connectMillis, measureMillis, settleMillis, map);
        }

        /** @return requests a second in total */
        public double requestsPerSecond() {
            return connections * 1000.0 / intervalMillis;
        }

        /** @return the clients' time before the pull: connect, warm up, then the direct window */
        long beforeFailureMillis() {
            return connectMillis + MigrationExperiment.WARMUP_MILLIS + measureMillis;
        }

        /** @return the clients' time after the pull: detection and recovery (a margin growing with the size), settling, the window */
        long afterFailureMillis() {
            return 3000 + connections / 2 + settleMillis + measureMillis;
        }

        String describe() {
            return String.format(Locale.ROOT, "%,d connections, %,.0f requests/s (one every %,d ms each)%s", connections,
                    requestsPerSecond(), intervalMillis, proxySettings.isEmpty() ? "" : ", proxy " + new java.util.TreeMap<>(proxySettings));
        }
    }

    /**
     * One round.
     *
     * @param plan what ran
     * @param round 1-based
     * @param direct wire round trips sent in the direct window
     * @param proxied wire round trips sent in the window through PROXY
     * @param appDirectMicros the clients' own round trips of records sent in the direct window
     * @param appProxiedMicros the same through PROXY
     * @param survived connections whose records all reached an application
     * @param captured frames tcpdump captured on the client's link
     * @param dropped frames the kernel dropped from tcpdump's buffer
     * @param pulled when the primary's link was pulled
     * @param proxySince when MigWare reached PROXY (its clock), null if never
     * @param workDir the round's reports
     * @param stages through PROXY, where the time went (captures on the backup's link and the TUN too); null when not measured
     */
    public record Round(Plan plan, int round, WireRoundTrips direct, WireRoundTrips proxied, long[] appDirectMicros,
            long[] appProxiedMicros, long survived, long captured, long dropped, Instant pulled, Instant proxySince, Path workDir,
            RoundTripStages stages) {
    }

    /**
     * The clients and servers rewrite their reports this rarely: a server writes on the thread that
     * answers, and at 10,000 connections a rewrite every second held up 1–2 % of the answers by
     * 10–20 ms on both paths, the lab's noise and not the path's.
     */
    static final long REPORT_MILLIS = 5000;
    /** Set (to anything) to keep the captures of rounds above 1,000 connections, for analysis. */
    static final String KEEP_CAPTURES = "MIGWARE_BENCH_KEEP_CAPTURES";
    /** MigWare's TUN in the backup's namespace. */
    private static final String TUN = "mig0";
    /** Bytes kept per frame: every header and a record's header ({@code c<conn> r<seq>}) after them. */
    private static final int SNAPLEN = 128;

    /**
     * Runs one round (root, the lab).
     *
     * @param distribution the built distribution
     * @param plan what to run
     * @param round its number
     * @param prefix the lab's name prefix
     * @param stages whether to capture on the backup's link and MigWare's TUN too, to time each stage
     *        of the path through PROXY (two more tcpdumps on the same cores: the figures of such a
     *        round are for the stages' shares, not for the headline)
     * @param progress told of each step
     * @return its figures
     */
    public static Round round(Path distribution, Plan plan, int round, String prefix, boolean stages, Consumer<String> progress) {
        MigrationExperiment.Options options = MigrationExperiment.Options
                .forScenario(MigrationExperiment.Scenario.REQUEST_RESPONSE, distribution).withConnections(plan.connections())
                .withIntervalMillis(plan.intervalMillis()).withBeforeFailureMillis(plan.beforeFailureMillis())
                .withAfterFailureMillis(plan.afterFailureMillis()).withPrefix(prefix).withReportIntervalMillis(REPORT_MILLIS);
        for (Map.Entry<String, String> setting : plan.proxySettings().entrySet()) {
            options = options.withProxySetting(setting.getKey(), setting.getValue());
        }
        if (plan.connections() > DEFAULT_CONNECTIONS) {
            options = options.withConnectRate(CONNECT_RATE).withReplicaBacklog(128);
        }
        int port = options.port();
        Tcpdump[] capture = new Tcpdump[3];
        Tcpdump.CaptureStats[] stats = new Tcpdump.CaptureStats[3];
        MigrationExperiment.Result result = MigrationExperiment.run(options, progress, new MigrationExperiment.Observer() {
            @Override
            public void ready(LabNetwork lab, MigwareInstance migware) {
                // headers are enough; the client's own link is where the client's round trip starts and ends
                capture[0] = Tcpdump.on(lab, Role.CLIENT).snaplen(SNAPLEN).pcap(lab.workDir().resolve("client-wire.pcap"))
                        .filter("tcp port " + port).name("wire").start();
                if (stages) {
                    capture[1] = Tcpdump.on(lab, Role.BACKUP).snaplen(SNAPLEN).pcap(lab.workDir().resolve("backup-wire.pcap"))
                            .filter("tcp port " + port).name("backup-wire").start();
                    Await.until("the TUN " + TUN, Duration.ofSeconds(30),
                            () -> lab.exec(Role.BACKUP, "ip", "link", "show", TUN).exitCode() == 0);
                    capture[2] = Tcpdump.on(lab, Role.BACKUP).interfaceName(TUN).snaplen(SNAPLEN)
                            .pcap(lab.workDir().resolve("tun.pcap")).filter("tcp port " + port).name("tun").start();
                }
            }

            @Override
            public void finished(LabNetwork lab, MigwareInstance migware) {
                for (int i = 0; i < capture.length; i++) {
                    stats[i] = capture[i] == null ? null : capture[i].stop();
                }
            }
        });
        // decoded after the round: tshark never shares the cores with the measured windows
        Path pcap = result.workDir().resolve("client-wire.pcap");
        WireAnalysis wire = WireAnalysis.decode(pcap, port, Duration.ofMinutes(5));
        long pull = result.linkPulled().toEpochMilli();
        long directFrom = pull - plan.measureMillis();
        long proxiedFrom = result.proxySince() == null ? Long.MAX_VALUE : result.proxySince().toEpochMilli() + plan.settleMillis();
        WireRoundTrips direct = new WireRoundTrips().add(wire, directFrom / 1000.0, pull / 1000.0);
        WireRoundTrips proxied = new WireRoundTrips().add(wire, proxiedFrom / 1000.0, Double.POSITIVE_INFINITY);
        RttLog app = RttLog.read(result.workDir().resolve("rtt.tsv"));
        RoundTripStages stageTimes = null;
        if (stages) {
            stageTimes = new RoundTripStages().add(wire, WireAnalysis.decode(result.workDir().resolve("backup-wire.pcap"), port,
                    Duration.ofMinutes(5)), WireAnalysis.decode(result.workDir().resolve("tun.pcap"), port, Duration.ofMinutes(5)),
                    proxiedFrom / 1000.0, Double.POSITIVE_INFINITY);
        }
        Round r = new Round(plan, round, direct, proxied, micros(app, t -> t >= directFrom && t < pull),
                micros(app, t -> t >= proxiedFrom), result.survived(), stats[0] == null ? -1 : stats[0].captured(),
                dropped(stats), result.linkPulled(), result.proxySince(), result.workDir(), stageTimes);
        if (plan.connections() > 1000 && System.getenv(KEEP_CAPTURES) == null) {
            try {
                for (String name : List.of("client-wire.pcap", "backup-wire.pcap", "tun.pcap")) {
                    Files.deleteIfExists(result.workDir().resolve(name)); // tens of MB a round; the figures are kept
                }
            } catch (IOException e) {
                progress.accept("cannot delete " + pcap + ": " + e.getMessage());
            }
        }
        return r;
    }

    /** @return frames the kernel dropped from any of the round's captures, -1 if unknown */
    private static long dropped(Tcpdump.CaptureStats[] stats) {
        if (stats[0] == null) {
            return -1;
        }
        long sum = 0;
        for (Tcpdump.CaptureStats s : stats) {
            sum += s == null ? 0 : Math.max(0, s.droppedByKernel());
        }
        return sum;
    }

    private static long[] micros(RttLog log, LongPredicate sentAt) {
        long[] out = new long[log.size()];
        int[] n = {0};
        log.forEach((sent, micros, conn) -> {
            if (sentAt.test(sent)) {
                out[n[0]++] = micros;
            }
        });
        return Arrays.copyOf(out, n[0]);
    }

    /**
     * Every round of one plan, pooled.
     *
     * @param plan the plan
     * @param rounds its rounds
     * @param direct the wire, direct
     * @param proxied the wire, through PROXY
     * @param appDirect the clients' own timing, direct
     * @param appProxied the same through PROXY
     */
    record Pooled(Plan plan, List<Round> rounds, WireRoundTrips direct, WireRoundTrips proxied, RttLog.Summary appDirect,
            RttLog.Summary appProxied) {

        static List<Pooled> of(List<Round> rounds) {
            Map<Plan, List<Round>> by = new LinkedHashMap<>();
            for (Round r : rounds) {
                by.computeIfAbsent(r.plan(), k -> new ArrayList<>()).add(r);
            }
            List<Pooled> out = new ArrayList<>();
            by.forEach((plan, g) -> {
                WireRoundTrips direct = new WireRoundTrips();
                WireRoundTrips proxied = new WireRoundTrips();
                List<long[]> appDirect = new ArrayList<>();
                List<long[]> appProxied = new ArrayList<>();
                for (Round r : g) {
                    direct.addAll(r.direct());
                    proxied.addAll(r.proxied());
                    appDirect.add(r.appDirectMicros());
                    appProxied.add(r.appProxiedMicros());
                }
                out.add(new Pooled(plan, g, direct, proxied, RttLog.Summary.of(concat(appDirect)), RttLog.Summary.of(concat(appProxied))));
            });
            return out;
        }
    }

    private static long[] concat(List<long[]> parts) {
        long[] all = new long[parts.stream().mapToInt(p -> p.length).sum()];
        int at = 0;
        for (long[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    /** @return the Markdown section */
    static String markdown(List<Round> rounds) {
        StringBuilder r = new StringBuilder();
        r.append("\n### Round trip added by PROXY, timed on the client's wire (request/response; tcpdump on the client's link, tshark)\n\n");
        r.append("Per client segment carrying payload, from its capture time on the client's link to **PSH → ACK**: the first"
                + " segment from the service side whose ACK covers its end; and **PSH → answer**: the first such segment that carries"
                + " data (the answer's first byte). *Direct*: segments sent in the window before the pull; *through PROXY*: sent from"
                + " the settling time after MigWare reached PROXY to the end. Segments sent again, or queued behind one that was, give"
                + " no sample (Karn). Percentiles over every segment of every round (nearest rank). *Application*: the round trips"
                + " the clients timed themselves (write → whole answer read, in the client's JVM) for records sent in the same"
                + " windows.\n\n");
        for (Pooled p : Pooled.of(rounds)) {
            Plan plan = p.plan();
            r.append(String.format(Locale.ROOT, "**%s**, %d round(s); windows of %,d ms, through PROXY from PROXY + %,d ms.%n%n",
                    plan.describe(), p.rounds().size(), plan.measureMillis(), plan.settleMillis()));
            r.append("| path | measured by | samples | median (µs) | p90 (µs) | p99 (µs) | max (µs) |\n"
                    + "| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
            LatencyStats dAck = p.direct().pshToAck();
            LatencyStats pAck = p.proxied().pshToAck();
            LatencyStats dAns = p.direct().pshToAnswer();
            LatencyStats pAns = p.proxied().pshToAnswer();
            r.append(row("direct", "wire: PSH → ACK", dAck));
            r.append(row("through PROXY", "wire: PSH → ACK", pAck));
            r.append(added("wire: PSH → ACK", dAck, pAck));
            r.append(row("direct", "wire: PSH → answer", dAns));
            r.append(row("through PROXY", "wire: PSH → answer", pAns));
            r.append(added("wire: PSH → answer", dAns, pAns));
            r.append(row("direct", "application (client-timed)", p.appDirect()));
            r.append(row("through PROXY", "application (client-timed)", p.appProxied()));
            r.append(String.format(Locale.ROOT, "| **added** | application (client-timed) | | %+d | %+d | %+d | %+d |%n",
                    p.appProxied().medianMicros() - p.appDirect().medianMicros(), p.appProxied().p90Micros() - p.appDirect().p90Micros(),
                    p.appProxied().p99Micros() - p.appDirect().p99Micros(), p.appProxied().maxMicros() - p.appDirect().maxMicros()));
            r.append(String.format(Locale.ROOT, "%nGoal (issue 14): added p99 ≤ %s, median ≤ 50 µs. Excluded (sent again or behind"
                    + " one): direct %d, through PROXY %d; never acknowledged: %d, %d; answer after a pure ACK: %d, %d. Survived %d of"
                    + " %d; capture drops %d.%n%n", plan.connections() >= 10_000 ? "1 ms" : "0.5 ms", p.direct().excluded(),
                    p.proxied().excluded(), p.direct().unacknowledged(), p.proxied().unacknowledged(), p.direct().answerAfterAck(),
                    p.proxied().answerAfterAck(), p.rounds().stream().mapToLong(Round::survived).sum(),
                    (long) plan.connections() * p.rounds().size(), p.rounds().stream().mapToLong(Round::dropped).sum()));
            r.append("Per round, PSH → ACK p99 direct / through PROXY (µs): ");
            List<String> perRound = new ArrayList<>();
            for (Round round : p.rounds()) {
                perRound.add(String.format(Locale.ROOT, "%s / %s", us(round.direct().pshToAck().p99()), us(round.proxied().pshToAck().p99())));
            }
            r.append(String.join("; ", perRound)).append(".\n");
            RoundTripStages stages = new RoundTripStages();
            p.rounds().stream().filter(x -> x.stages() != null).forEach(x -> stages.addAll(x.stages()));
            if (stages.count() > 0) {
                r.append(stagesMarkdown(stages));
            }
        }
        return r.toString();
    }

    private static String stagesMarkdown(RoundTripStages stages) {
        StringBuilder r = new StringBuilder();
        r.append(String.format(Locale.ROOT, "%nThrough PROXY, stage by stage (tcpdump on the client's link, the backup's link and"
                + " MigWare's TUN, joined by record; %d records; three captures share the cores, so these rounds are for the"
                + " shares, not the headline). *Slowest 1 %%*: the mean of each stage over the round trips at or above the p99.%n%n",
                stages.count()));
        r.append("| stage | median (µs) | p90 (µs) | p99 (µs) | max (µs) | slowest 1 % (µs, mean) |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
        double[] tail = stages.tailMeans(99);
        for (int i = 0; i <= RoundTripStages.NAMES.size(); i++) {
            LatencyStats s = stages.stage(i);
            String name = i < RoundTripStages.NAMES.size() ? RoundTripStages.NAMES.get(i) : "**whole round trip (client's link)**";
            r.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", name, us(s.median()), us(s.p90()), us(s.p99()),
                    us(s.max()), us(tail[i])));
        }
        r.append(String.format(Locale.ROOT, "%nSlowest 1 %%: %d round trips.%n", stages.tailCount(99)));
        return r.toString();
    }

    private static String row(String path, String by, LatencyStats s) {
        return String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s |%n", path, by, s.count(), us(s.median()), us(s.p90()),
                us(s.p99()), us(s.max()));
    }

    private static String row(String path, String by, RttLog.Summary s) {
        return String.format(Locale.ROOT, "| %s | %s | %d | %d | %d | %d | %d |%n", path, by, s.count(), s.medianMicros(), s.p90Micros(),
                s.p99Micros(), s.maxMicros());
    }

    private static String added(String by, LatencyStats direct, LatencyStats proxied) {
        return String.format(Locale.ROOT, "| **added** | %s | | %s | %s | %s | %s |%n", by, signedUs(proxied.median() - direct.median()),
                signedUs(proxied.p90() - direct.p90()), signedUs(proxied.p99() - direct.p99()), signedUs(proxied.max() - direct.max()));
    }

    /** @return milliseconds as whole microseconds, "—" when not measured */
    static String us(double millis) {
        return Double.isNaN(millis) ? "—" : String.format(Locale.ROOT, "%,d", Math.round(millis * 1000));
    }

    private static String signedUs(double millis) {
        return Double.isNaN(millis) ? "—" : String.format(Locale.ROOT, "%+,d", Math.round(millis * 1000));
    }

    /** @return the JSON: per plan, pooled figures in µs, and each round's */
    static List<Object> json(List<Round> rounds) {
        List<Object> out = new ArrayList<>();
        for (Pooled p : Pooled.of(rounds)) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("connections", p.plan().connections());
            o.put("requestsPerSecond", p.plan().requestsPerSecond());
            o.put("intervalMs", p.plan().intervalMillis());
            o.put("windowMs", p.plan().measureMillis());
            o.put("settleAfterProxyMs", p.plan().settleMillis());
            o.put("proxySettings", p.plan().proxySettings());
            o.put("rounds", p.rounds().size());
            o.put("wire", wire(p.direct(), p.proxied()));
            Map<String, Object> app = new LinkedHashMap<>();
            app.put("measuredBy", "the client application (write to whole answer read)");
            app.put("directMicros", micros(p.appDirect()));
            app.put("proxiedMicros", micros(p.appProxied()));
            app.put("addedMedianMicros", p.appProxied().medianMicros() - p.appDirect().medianMicros());
            app.put("addedP99Micros", p.appProxied().p99Micros() - p.appDirect().p99Micros());
            o.put("application", app);
            RoundTripStages stages = new RoundTripStages();
            p.rounds().stream().filter(x -> x.stages() != null).forEach(x -> stages.addAll(x.stages()));
            if (stages.count() > 0) {
                List<Object> st = new ArrayList<>();
                double[] tail = stages.tailMeans(99);
                for (int i = 0; i <= RoundTripStages.NAMES.size(); i++) {
                    Map<String, Object> so = micros(stages.stage(i));
                    so.put("stage", i < RoundTripStages.NAMES.size() ? RoundTripStages.NAMES.get(i) : "whole round trip");
                    so.put("slowestOnePercentMean", microsOrNull(tail[i]));
                    st.add(so);
                }
                o.put("proxiedStages", st);
            }
            o.put("survived", p.rounds().stream().mapToLong(Round::survived).sum());
            o.put("captureDrops", p.rounds().stream().mapToLong(Round::dropped).sum());
            List<Object> perRound = new ArrayList<>();
            for (Round r : p.rounds()) {
                Map<String, Object> ro = new LinkedHashMap<>();
                ro.put("round", r.round());
                ro.put("pulled", r.pulled().toString());
                ro.put("proxySince", r.proxySince() == null ? null : r.proxySince().toString());
                ro.put("wire", wire(r.direct(), r.proxied()));
                ro.put("applicationDirectMicros", micros(RttLog.Summary.of(r.appDirectMicros().clone())));
                ro.put("applicationProxiedMicros", micros(RttLog.Summary.of(r.appProxiedMicros().clone())));
                ro.put("survived", r.survived());
                ro.put("captured", r.captured());
                ro.put("captureDrops", r.dropped());
                ro.put("workDir", r.workDir().toString());
                perRound.add(ro);
            }
            o.put("perRound", perRound);
            out.add(o);
        }
        return out;
    }

    private static Map<String, Object> wire(WireRoundTrips direct, WireRoundTrips proxied) {
        Map<String, Object> w = new LinkedHashMap<>();
        w.put("measuredBy", "tcpdump on the client's link, tshark");
        for (String kind : List.of("pshToAck", "pshToAnswer")) {
            LatencyStats d = kind.equals("pshToAck") ? direct.pshToAck() : direct.pshToAnswer();
            LatencyStats p = kind.equals("pshToAck") ? proxied.pshToAck() : proxied.pshToAnswer();
            Map<String, Object> k = new LinkedHashMap<>();
            k.put("directMicros", micros(d));
            k.put("proxiedMicros", micros(p));
            Map<String, Object> added = new LinkedHashMap<>();
            added.put("median", microsOrNull(p.median() - d.median()));
            added.put("p90", microsOrNull(p.p90() - d.p90()));
            added.put("p99", microsOrNull(p.p99() - d.p99()));
            added.put("max", microsOrNull(p.max() - d.max()));
            k.put("addedMicros", added);
            w.put(kind, k);
        }
        w.put("excludedDirect", direct.excluded());
        w.put("excludedProxied", proxied.excluded());
        w.put("unacknowledgedDirect", direct.unacknowledged());
        w.put("unacknowledgedProxied", proxied.unacknowledged());
        w.put("answerAfterAckDirect", direct.answerAfterAck());
        w.put("answerAfterAckProxied", proxied.answerAfterAck());
        return w;
    }

    private static Map<String, Object> micros(LatencyStats s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", s.count());
        m.put("median", microsOrNull(s.median()));
        m.put("p90", microsOrNull(s.p90()));
        m.put("p99", microsOrNull(s.p99()));
        m.put("max", microsOrNull(s.max()));
        return m;
    }

    private static Map<String, Object> micros(RttLog.Summary s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", s.count());
        m.put("median", s.medianMicros());
        m.put("p90", s.p90Micros());
        m.put("p99", s.p99Micros());
        m.put("max", s.maxMicros());
        return m;
    }

    private static Long microsOrNull(double millis) {
        return Double.isNaN(millis) ? null : Math.round(millis * 1000);
    }
}
