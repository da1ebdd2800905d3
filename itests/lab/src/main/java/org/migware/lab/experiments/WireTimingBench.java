package org.migware.lab.experiments;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.Role;
import org.migware.lab.Await;
import org.migware.lab.oracles.FirstAnswerRetransmissions;
import org.migware.lab.oracles.LatencyStats;
import org.migware.lab.oracles.Tcpdump;
import org.migware.lab.oracles.TunQueueSampler;
import org.migware.lab.oracles.WireAnalysis;
import org.migware.lab.oracles.WireFailover;

/**
 * The failover timed from the wire (issue 14): request/response connections through a failover,
 * the client's link captured by tcpdump for the whole round, and per connection, from the pull of
 * the primary's link, (a) the capture time of the replica's first ACK of a client segment sent
 * after the pull and (b) the arrival of the first answer byte the client did not hold at the pull
 * ({@link WireFailover}; tshark decodes, never MigWare). MigWare's own recovery figure (decision
 * to the last forged handshake, timed by the proxy) is kept beside them, labelled self-timed.
 */
public final class WireTimingBench {

    /** Connects per second for sizes above 200 (the scale scenario's rate). */
    private static final long CONNECT_RATE = 2000;
    private static final String TUN = "mig0";
    /** How often the TUN's counts are read ({@link TunQueueSampler}). */
    private static final long SAMPLE_MILLIS = 50;
    /** How long after PROXY the failover's own packets (answers to the resumed requests) still come. */
    private static final long FAILOVER_TAIL_MILLIS = 5000;
    /** Set (to anything) to keep the TUN's capture of rounds above 1,000 connections, for analysis. */
    static final String KEEP_TUN_CAPTURE = "MIGWARE_BENCH_KEEP_TUN";
    private static final java.util.regex.Pattern DROPPED_BY_REASON = java.util.regex.Pattern.compile("\"droppedByReason\"\\s*:\\s*(\\{[^}]*\\})");

    private WireTimingBench() {
    }

    /**
     * One round of one size and monitor profile.
     *
     * @param connections how many client connections the round opened
     * @param profile the ICMP monitor profile MigWare ran with
     * @param round 1-based
     * @param intervalMillis how often each connection sent a request
     * @param pulled when the lab started to pull the primary's link (the figures count from here)
     * @param pullMillis how long the pull took until {@code ip} returned (segments sent meanwhile are not counted)
     * @param selfTimedRecoveryMillis MigWare's own recovery figure, -1 if none
     * @param survived connections whose records all reached an application (MigrationExperiment's outcome)
     * @param wire the per-connection figures from the capture
     * @param captured frames tcpdump captured
     * @param dropped frames the kernel dropped from tcpdump's buffer (figures may miss connections when not 0)
     * @param workDir the round's reports and capture
     * @param clientPorts the ports of the connections the client's own report lists
     * @param replicaSide the replica's first answers as the backup's TUN shows them, and the drops on the way
     */
    public record Round(int connections, String profile, int round, long intervalMillis, Instant pulled, double pullMillis,
            long selfTimedRecoveryMillis, long survived, List<WireFailover.Connection> wire, long captured, long dropped,
            Path workDir, java.util.Set<Integer> clientPorts, ReplicaSide replicaSide) {

        /** @return connections with both figures */
        public long complete() {
            return wire.stream().filter(WireFailover.Connection::complete).count();
        }
    }

    /**
     * The replica's side of a round (issue 14: its first answer after the hand-over lost on the way).
     *
     * @param firstAnswers re-created connections whose replica sent data (tcpdump on the backup's TUN)
     * @param firstAnswersRetransmitted those whose first answer the replica had to send again
     *     ({@link FirstAnswerRetransmissions}); -1 when not measured
     * @param examples some of them
     * @param tunTxDropped the TUN's TX dropped count at the end ({@code ip -s link}): the replica's
     *     packets the kernel could not queue for MigWare; -1 when not read
     * @param tunTxDroppedInFailover of those, the ones dropped from the pull to 5 s after PROXY (the rest came
     *     with the workload or the clients' closes; {@code tun-queue.tsv} in the round's folder has the timeline); -1 when not read
     * @param tunCaptureDropped frames tcpdump on the TUN lost
     * @param proxyDrops MigWare's own drops by reason ({@code migware:status --json}), as its text
     */
    public record ReplicaSide(int firstAnswers, int firstAnswersRetransmitted, List<String> examples, long tunTxDropped,
            long tunTxDroppedInFailover, long tunCaptureDropped, String proxyDrops) {

        static final ReplicaSide NONE = new ReplicaSide(0, -1, List.of(), -1, -1, -1, "");
    }

    /**
     * Runs one round.
     *
     * @param distribution the built distribution
     * @param connections how many request/response connections
     * @param profile the ICMP monitor profile
     * @param round its number, for the report
     * @param prefix the lab's name prefix
     * @param progress told of each step
     * @return the round's figures
     */
    public static Round round(Path distribution, int connections, DetectionExperiment.Profile profile, int round, String prefix,
            Consumer<String> progress) {
        // a request every 200 ms for small sizes, at most 2,000 requests a second in all for large ones:
        // figure (a) includes each client's wait for its next request, which this bounds
        long interval = Math.max(200, connections / 2);
        long connectMillis = connections <= 200 ? 0 : connections * 1000L / CONNECT_RATE;
        MigrationExperiment.Options options = MigrationExperiment.Options
                .forScenario(MigrationExperiment.Scenario.REQUEST_RESPONSE, distribution).withConnections(connections)
                .withMonitor(profile).withIntervalMillis(interval).withBeforeFailureMillis(Math.max(5000, connectMillis + 4000))
                .withAfterFailureMillis(Math.max(6000, 3 * interval)).withPrefix(prefix);
        if (connections > 200) {
            options = options.withConnectRate(CONNECT_RATE).withReplicaBacklog(128);
        }
        Tcpdump[] capture = new Tcpdump[2];
        Tcpdump.CaptureStats[] stats = new Tcpdump.CaptureStats[2];
        long[] tunTxDropped = {-1};
        TunQueueSampler[] sampler = new TunQueueSampler[1];
        String[] proxyDrops = {""};
        Instant[] linkDown = new Instant[1];
        int port = options.port();
        MigrationExperiment.Result result = MigrationExperiment.run(options, progress, new MigrationExperiment.Observer() {
            @Override
            public void ready(LabNetwork lab, MigwareInstance migware) {
                // headers are enough; the client's own link sees what the client sees
                capture[0] = Tcpdump.on(lab, Role.CLIENT).snaplen(96).pcap(lab.workDir().resolve("client-wire.pcap"))
                        .filter("tcp port " + port).name("wire").start();
                // the replica's side, before MigWare takes its packets: its first answers and their retransmissions
                Await.until("the TUN " + TUN, Duration.ofSeconds(30), () -> lab.exec(Role.BACKUP, "ip", "link", "show", TUN).exitCode() == 0);
                capture[1] = Tcpdump.on(lab, Role.BACKUP).interfaceName(TUN).snaplen(96).pcap(lab.workDir().resolve("tun.pcap"))
                        .filter("tcp port " + port).name("tun").start();
                sampler[0] = TunQueueSampler.start(lab, Role.BACKUP, TUN, Duration.ofMillis(SAMPLE_MILLIS));
            }

            @Override
            public void pulled(LabNetwork lab, MigwareInstance migware, Instant pulled) {
                linkDown[0] = Instant.now(); // ip has returned: the primary's link is down
            }

            @Override
            public void finished(LabNetwork lab, MigwareInstance migware) {
                stats[0] = capture[0].stop();
                stats[1] = capture[1].stop();
                sampler[0].close();
                tunTxDropped[0] = txDropped(lab.exec(Role.BACKUP, "ip", "-s", "link", "show", TUN).stdout());
                java.util.regex.Matcher m = DROPPED_BY_REASON.matcher(migware.query(MigwareStatus.COMMAND));
                proxyDrops[0] = m.find() ? m.group(1).replaceAll("\\s+", "") : "";
            }
        });
        Path pcap = result.workDir().resolve("client-wire.pcap");
        List<WireFailover.Connection> wire = WireFailover.of(WireAnalysis.lines(pcap, port, Duration.ofMinutes(5)), port,
                result.linkPulled(), linkDown[0]);
        Round r = new Round(connections, profile.name(), round, interval, result.linkPulled(),
                Duration.between(result.linkPulled(), linkDown[0]).toNanos() / 1e6, result.recoveryMillis(),
                result.survived(), wire, stats[0] == null ? -1 : stats[0].captured(), stats[0] == null ? -1 : stats[0].droppedByKernel(),
                result.workDir(), result.connections().stream().map(MigrationExperiment.ConnectionOutcome::clientPort)
                        .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new)), ReplicaSide.NONE);
        Path tunPcap = result.workDir().resolve("tun.pcap");
        long inFailover = -1;
        if (sampler[0] != null) {
            sampler[0].write(result.workDir().resolve("tun-queue.tsv"));
            // the failover: from the pull until the answers to the resumed requests are in (PROXY + 5 s); after it, the
            // workload and the clients' closes
            long until = (result.proxySince() == null ? result.linkPulled() : result.proxySince()).toEpochMilli() + FAILOVER_TAIL_MILLIS;
            inFailover = sampler[0].droppedAt(until) - sampler[0].droppedAt(result.linkPulled().toEpochMilli());
        }
        FirstAnswerRetransmissions.Count first = FirstAnswerRetransmissions.of(tunPcap, port, Duration.ofMinutes(5));
        r = new Round(r.connections(), r.profile(), r.round(), r.intervalMillis(), r.pulled(), r.pullMillis(), r.selfTimedRecoveryMillis(),
                r.survived(), r.wire(), r.captured(), r.dropped(), r.workDir(), r.clientPorts(), new ReplicaSide(first.flows(),
                        first.retransmitted(), first.examples(), tunTxDropped[0], inFailover,
                        stats[1] == null ? -1 : stats[1].droppedByKernel(), proxyDrops[0]));
        try {
            // the decoded figures are kept; the capture of a large round is hundreds of MB
            if (connections > 1000) {
                Files.deleteIfExists(pcap);
                if (System.getenv(KEEP_TUN_CAPTURE) == null) {
                    Files.deleteIfExists(tunPcap);
                }
            }
        } catch (IOException e) {
            progress.accept("cannot delete " + pcap + ": " + e.getMessage());
        }
        return r;
    }

    /** @return the TX dropped count of {@code ip -s link show}'s output, -1 when it has none */
    static long txDropped(String ipLink) {
        TunQueueSampler.Sample counts = TunQueueSampler.parse(0, ipLink);
        return counts == null ? -1 : counts.txDropped();
    }

    /** @return the figures that were measured (NaN: not), summarised in ms */
    static LatencyStats stats(List<Double> millis) {
        return LatencyStats.of(millis.stream().filter(d -> !Double.isNaN(d)).toList());
    }

    /** @return a summary as JSON, null when nothing was measured (JSON has no NaN) */
    private static Object json(LatencyStats s) {
        return s.count() == 0 ? null : s.toJson();
    }

    /** The rows of one size and profile. */
    static List<List<Round>> groups(List<Round> rounds) {
        Map<String, List<Round>> by = new LinkedHashMap<>();
        for (Round r : rounds) {
            by.computeIfAbsent(r.connections() + "/" + r.profile(), k -> new ArrayList<>()).add(r);
        }
        return new ArrayList<>(by.values());
    }

    /** @return the Markdown section */
    static String markdown(List<Round> rounds) {
        StringBuilder r = new StringBuilder();
        r.append("### Failover timed from the wire (request/response connections, tshark on the client's link)\n\n");
        r.append("Per connection, from the pull of the primary's link: **(a)** to the replica's first ACK (through MigWare) of a"
                + " client segment sent after the pull (after `ip` returned: until then the primary may still answer), as captured on the client's link; **(b)** to the first answer byte the"
                + " client did not hold at the pull. Both include the client's wait for its next request after the pull"
                + " (*wait*, its median; a request every *interval*). Percentiles over every connection of every round."
                + " *Self-timed*: MigWare's own recovery figure (failover decision → last forged handshake, timed by the proxy"
                + " from the RECOVERY event), median and max over the rounds.\n\n");
        r.append("| connections | monitor | rounds | interval | (a) n | (a) median | (a) p90 | (a) p99 | (a) max | (b) n | (b) median"
                + " | (b) p90 | (b) p99 | (b) max | wait median | self-timed recovery median / max | survived | capture drops |\n"
                + "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (List<Round> g : groups(rounds)) {
            Round first = g.get(0);
            LatencyStats a = stats(all(g, WireFailover.Connection::ackedMillis));
            LatencyStats b = stats(all(g, WireFailover.Connection::answerMillis));
            LatencyStats wait = stats(all(g, WireFailover.Connection::sentMillis));
            long[] self = g.stream().mapToLong(Round::selfTimedRecoveryMillis).sorted().toArray();
            long expected = (long) first.connections() * g.size();
            r.append(String.format(Locale.ROOT, "| %d | %s | %d | %d ms | %d of %d | %s | %s | %s | %s | %d of %d | %s | %s | %s | %s | %s"
                    + " | %d / %d ms | %d of %d | %d |%n", first.connections(), first.profile(), g.size(), first.intervalMillis(),
                    a.count(), expected, ms(a.median()), ms(a.p90()), ms(a.p99()), ms(a.max()), b.count(), expected, ms(b.median()),
                    ms(b.p90()), ms(b.p99()), ms(b.max()), ms(wait.median()), self[(self.length - 1) / 2], self[self.length - 1],
                    g.stream().mapToLong(Round::survived).sum(), expected, g.stream().mapToLong(Round::dropped).sum()));
        }
        r.append("\nThe replica's first answers (tcpdump on the backup's TUN, tshark): re-created connections whose first data segment"
                + " the replica had to send again (not acknowledged within its retransmission timeout: lost on the way or held up); the TUN's TX drops"
                + " (`ip -s link`, at the end) and MigWare's drops by reason (`migware:status --json`), per round:\n\n");
        for (List<Round> g : groups(rounds)) {
            Round first = g.get(0);
            r.append(String.format(Locale.ROOT, "- %d / %s: first answers sent again %s of %d; TUN TX dropped %s (of which from the pull to PROXY + 5 s: %s); MigWare's drops %s%n",
                    first.connections(), first.profile(),
                    g.stream().map(x -> String.valueOf(x.replicaSide().firstAnswersRetransmitted())).toList(),
                    g.stream().mapToInt(x -> x.replicaSide().firstAnswers()).sum(),
                    g.stream().map(x -> String.valueOf(x.replicaSide().tunTxDropped())).toList(),
                    g.stream().map(x -> String.valueOf(x.replicaSide().tunTxDroppedInFailover())).toList(),
                    g.stream().map(x -> x.replicaSide().proxyDrops().isEmpty() ? "{}" : x.replicaSide().proxyDrops()).toList()));
        }
        r.append(String.format(Locale.ROOT, "%nThe pull (the lab's start of it until `ip` returned) took at most %.1f ms in any round;"
                + " the figures count from its start.%n", rounds.stream().mapToDouble(Round::pullMillis).max().orElse(0)));
        return r.toString();
    }

    private static List<Double> all(List<Round> g, java.util.function.ToDoubleFunction<WireFailover.Connection> f) {
        List<Double> out = new ArrayList<>();
        for (Round r : g) {
            for (WireFailover.Connection c : r.wire()) {
                out.add(f.applyAsDouble(c));
            }
        }
        return out;
    }

    private static String ms(double millis) {
        return Double.isNaN(millis) ? "—" : String.format(Locale.ROOT, "%.1f ms", millis);
    }

    /** @return the JSON tree: per size and profile the summaries, per round its figures */
    static List<Object> json(List<Round> rounds) {
        List<Object> out = new ArrayList<>();
        for (List<Round> g : groups(rounds)) {
            Round first = g.get(0);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("connections", first.connections());
            m.put("monitor", first.profile());
            m.put("rounds", g.size());
            m.put("intervalMs", first.intervalMillis());
            m.put("pullToReplicaAck", json(stats(all(g, WireFailover.Connection::ackedMillis))));
            m.put("pullToFirstNewAnswerByte", json(stats(all(g, WireFailover.Connection::answerMillis))));
            m.put("clientWaitAfterPull", json(stats(all(g, WireFailover.Connection::sentMillis))));
            List<Object> per = new ArrayList<>();
            for (Round r : g) {
                Map<String, Object> pr = new LinkedHashMap<>();
                pr.put("round", r.round());
                pr.put("pulled", r.pulled().toString());
                pr.put("pullMs", r.pullMillis());
                pr.put("selfTimedRecoveryMs", r.selfTimedRecoveryMillis());
                pr.put("survived", r.survived());
                pr.put("connectionsMeasured", r.wire().size());
                pr.put("connectionsWithBothFigures", r.complete());
                pr.put("framesCaptured", r.captured());
                pr.put("framesDroppedByKernel", r.dropped());
                pr.put("pullToReplicaAck", json(stats(r.wire().stream().map(WireFailover.Connection::ackedMillis).toList())));
                pr.put("pullToFirstNewAnswerByte",
                        json(stats(r.wire().stream().map(WireFailover.Connection::answerMillis).toList())));
                pr.put("firstAnswers", r.replicaSide().firstAnswers());
                pr.put("firstAnswersRetransmitted", r.replicaSide().firstAnswersRetransmitted());
                pr.put("firstAnswersRetransmittedExamples", r.replicaSide().examples());
                pr.put("tunTxDropped", r.replicaSide().tunTxDropped());
                pr.put("tunTxDroppedPullToProxyPlus5s", r.replicaSide().tunTxDroppedInFailover());
                pr.put("tunCaptureDropped", r.replicaSide().tunCaptureDropped());
                pr.put("proxyDropsByReason", r.replicaSide().proxyDrops());
                pr.put("workDir", r.workDir().toString());
                per.add(pr);
            }
            m.put("perRound", per);
            out.add(m);
        }
        return out;
    }
}
