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
import org.migware.lab.oracles.LatencyStats;
import org.migware.lab.oracles.Tcpdump;
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
     */
    public record Round(int connections, String profile, int round, long intervalMillis, Instant pulled, double pullMillis,
            long selfTimedRecoveryMillis, long survived, List<WireFailover.Connection> wire, long captured, long dropped,
            Path workDir, java.util.Set<Integer> clientPorts) {

        /** @return connections with both figures */
        public long complete() {
            return wire.stream().filter(WireFailover.Connection::complete).count();
        }
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
        Tcpdump[] capture = new Tcpdump[1];
        Tcpdump.CaptureStats[] stats = new Tcpdump.CaptureStats[1];
        Instant[] linkDown = new Instant[1];
        int port = options.port();
        MigrationExperiment.Result result = MigrationExperiment.run(options, progress, new MigrationExperiment.Observer() {
            @Override
            public void ready(LabNetwork lab, MigwareInstance migware) {
                // headers are enough; the client's own link sees what the client sees
                capture[0] = Tcpdump.on(lab, Role.CLIENT).snaplen(96).pcap(lab.workDir().resolve("client-wire.pcap"))
                        .filter("tcp port " + port).name("wire").start();
            }

            @Override
            public void pulled(LabNetwork lab, MigwareInstance migware, Instant pulled) {
                linkDown[0] = Instant.now(); // ip has returned: the primary's link is down
            }

            @Override
            public void finished(LabNetwork lab, MigwareInstance migware) {
                stats[0] = capture[0].stop();
            }
        });
        Path pcap = result.workDir().resolve("client-wire.pcap");
        List<WireFailover.Connection> wire = WireFailover.of(WireAnalysis.lines(pcap, port, Duration.ofMinutes(5)), port,
                result.linkPulled(), linkDown[0]);
        Round r = new Round(connections, profile.name(), round, interval, result.linkPulled(),
                Duration.between(result.linkPulled(), linkDown[0]).toNanos() / 1e6, result.recoveryMillis(),
                result.survived(), wire, stats[0] == null ? -1 : stats[0].captured(), stats[0] == null ? -1 : stats[0].droppedByKernel(),
                result.workDir(), result.connections().stream().map(MigrationExperiment.ConnectionOutcome::clientPort)
                        .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new)));
        try {
            // the decoded figures are kept; the capture of a large round is hundreds of MB
            if (connections > 1000) {
                Files.deleteIfExists(pcap);
            }
        } catch (IOException e) {
            progress.accept("cannot delete " + pcap + ": " + e.getMessage());
        }
        return r;
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
                pr.put("workDir", r.workDir().toString());
                per.add(pr);
            }
            m.put("perRound", per);
            out.add(m);
        }
        return out;
    }
}
