package org.migware.lab.experiments;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.migware.lab.Args;
import org.migware.lab.Await;
import org.migware.lab.LabException;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.Role;
import org.migware.lab.oracles.SynOptions;
import org.migware.lab.oracles.TcpFlow;
import org.migware.lab.oracles.Tcpdump;
import org.migware.lab.oracles.TsharkDecoder;
import org.migware.lab.workloads.PushClient;
import org.migware.lab.workloads.PushClientReport;
import org.migware.lab.workloads.SinkReport;
import org.migware.lab.workloads.SinkServer;

/**
 * The NORMAL state checked end to end: N real push connections from the client to the
 * primary's sink, MigWare in the backup tracking them from the flooding hub, and every tracked
 * value compared with an oracle that is not MigWare's parser — the bytes the client
 * application wrote and the server application read, and tshark's decode of a tcpdump capture
 * taken next to MigWare.
 */
public final class TrackingExperiment {

    /** What to run. */
    public record Options(Path distribution, int connections, long intervalMillis, long durationMillis, int port, String prefix,
            CaptureBackend capture) {

        /** The thesis's workload: 200 connections, a record every 500 ms, captured with pcap4j. */
        public static Options defaults(Path distribution) {
            return new Options(distribution, 200, 500, 12_000, 7000, "mwt", CaptureBackend.PCAP4J);
        }

        public Options withConnections(int count) {
            return new Options(distribution, count, intervalMillis, durationMillis, port, prefix, capture);
        }

        public Options withDurationMillis(long millis) {
            return new Options(distribution, connections, intervalMillis, millis, port, prefix, capture);
        }

        public Options withPrefix(String newPrefix) {
            return new Options(distribution, connections, intervalMillis, durationMillis, port, newPrefix, capture);
        }

        /** @return these options with MigWare capturing through that backend */
        public Options withCapture(CaptureBackend backend) {
            return new Options(distribution, connections, intervalMillis, durationMillis, port, prefix, backend);
        }
    }

    /**
     * What was found.
     *
     * @param connections connections the client application opened
     * @param tracked those of them in MigWare's table
     * @param mismatches one line per value that disagreed with an oracle; empty when all agree
     * @param clientBytes bytes the client application wrote, in all
     * @param status MigWare's {@code migware:status} at the end, in words
     * @param finalStatus the same moment read from {@code migware:status --json}
     */
    public record Result(int connections, int tracked, List<String> mismatches, long clientBytes, String status,
            MigwareStatus finalStatus) {

        public boolean allAgree() {
            return mismatches.isEmpty() && tracked == connections;
        }
    }

    private TrackingExperiment() {
    }

    /** Runs the experiment; the lab is removed afterwards, also on failure. */
    public static Result run(Options options, Consumer<String> progress) {
        try (LabNetwork lab = LabNetwork.builder().prefix(options.prefix()).replaceLeftovers(true).create()) {
            Path work = lab.workDir();
            progress.accept("lab up: " + lab);
            Tcpdump capture = Tcpdump.on(lab, Role.BACKUP).filter("tcp port " + options.port()).pcap(work.resolve("backup.pcap")).start();
            LabProcess sink = lab.startJava(Role.PRIMARY, "sink", SinkServer.class,
                    new SinkServer.Options().port(options.port()).report(work.resolve("sink.tsv")).toArgs());
            sink.awaitOutput(SinkServer.LISTENING, Duration.ofSeconds(20));

            Map<String, Map<String, String>> configs = new HashMap<>();
            configs.put("org.migware.service", Map.of("addresses", lab.address(Role.PRIMARY), "ports", Integer.toString(options.port())));
            options.capture().configure(configs, Map.of("interfaceName", LabNetwork.ROLE_INTERFACE));
            configs.put("org.migware.capture.file", Map.of());
            try (MigwareInstance migware = MigwareInstance.start(lab, Role.BACKUP, options.distribution(), configs, Duration.ofSeconds(60))) {
                String source = options.capture().sourceName(LabNetwork.ROLE_INTERFACE);
                Await.until("MigWare capturing with " + source + " and tracking", Duration.ofSeconds(30), () -> {
                    MigwareStatus s = MigwareStatus.parse(migware.exec(MigwareStatus.COMMAND));
                    return s.capturesRunning().contains(source) && s.tracking();
                });
                progress.accept("MigWare running in " + lab.namespace(Role.BACKUP));

                LabProcess client = lab.startJava(Role.CLIENT, "client", PushClient.class,
                        new PushClient.Options().host(lab.address(Role.PRIMARY)).port(options.port())
                                .connections(options.connections()).intervalMillis(options.intervalMillis())
                                .durationMillis(options.durationMillis()).report(work.resolve("client.tsv")).toArgs());
                progress.accept(options.connections() + " clients pushing a record every " + options.intervalMillis() + " ms for "
                        + options.durationMillis() / 1000 + " s");
                if (!client.waitFor(Duration.ofMillis(options.durationMillis() + 60_000))) {
                    throw new LabException("the push client did not finish: " + client.stderr());
                }
                // Let the last segments cross the hub and reach both capturers.
                Await.until("the sink's final report", Duration.ofSeconds(20), () -> {
                    Optional<SinkReport> report = SinkReport.readIfPresent(work.resolve("sink.tsv"));
                    Optional<PushClientReport> sent = PushClientReport.readIfPresent(work.resolve("client.tsv"));
                    return report.isPresent() && sent.isPresent()
                            && report.get().totalBytes() == sent.get().totalBytesSent();
                });
                sleep(Duration.ofSeconds(2));
                Map<Integer, MigwareConnections.TrackedConnection> table = new HashMap<>();
                migware.connections().connections().forEach(c -> table.put(c.clientPort(), c));
                MigwareStatus finalStatus = MigwareStatus.parse(migware.exec(MigwareStatus.COMMAND));
                String status = migware.exec("migware:status");
                sink.destroy();
                capture.stop();
                PushClientReport sent = PushClientReport.read(work.resolve("client.tsv"));
                SinkReport received = SinkReport.read(work.resolve("sink.tsv"));
                List<TcpFlow> flows = new TsharkDecoder().decode(capture.pcap());
                return compare(options, sent, received, flows, table, status, finalStatus);
            }
        }
    }

    static Result compare(Options options, PushClientReport sent, SinkReport received, List<TcpFlow> flows,
            Map<Integer, MigwareConnections.TrackedConnection> table, String status, MigwareStatus finalStatus) {
        List<String> mismatches = new ArrayList<>();
        Map<Integer, TcpFlow> flowByPort = new HashMap<>();
        flows.forEach(flow -> flowByPort.put(flow.key().clientPort(), flow));
        int found = 0;
        for (PushClientReport.Connection connection : sent.connections()) {
            int port = connection.localPort();
            MigwareConnections.TrackedConnection tracked = table.get(port);
            if (tracked == null) {
                mismatches.add("port " + port + ": not in MigWare's table");
                continue;
            }
            found++;
            Optional<SinkReport.Connection> sink = received.byRemote(connection.localIp(), port);
            TcpFlow flow = flowByPort.get(port);
            MigwareConnections.Side client = tracked.client();
            MigwareConnections.Side server = tracked.server();
            expect(mismatches, port, "client bytes (client app)", connection.bytesSent(), client.bytes());
            expect(mismatches, port, "client bytes (server app)", sink.map(SinkReport.Connection::bytes).orElse(-1L), client.bytes());
            expect(mismatches, port, "server bytes (server app wrote none)", 0, server.bytes());
            expect(mismatches, port, "handshake seen", 1, tracked.handshakeSeen() ? 1 : 0);
            if (flow == null) {
                mismatches.add("port " + port + ": not in tshark's decode");
                continue;
            }
            expect(mismatches, port, "client ISN (tshark)", flow.client().isn(), client.initialSequence());
            expect(mismatches, port, "server ISN (tshark)", flow.server().isn(), server.initialSequence());
            expectOptions(mismatches, port, "c", flow.client().synOptions(), client);
            expectOptions(mismatches, port, "s", flow.server().synOptions(), server);
            expect(mismatches, port, "client payload bytes (tshark)", flow.client().payloadBytes(), client.bytes());
        }
        return new Result(sent.connections().size(), found, mismatches, sent.totalBytesSent(), status, finalStatus);
    }

    private static void expectOptions(List<String> mismatches, int port, String side, SynOptions options,
            MigwareConnections.Side tracked) {
        expect(mismatches, port, side + ".mss (tshark)", options.mss().orElse(-1), tracked.mss());
        expect(mismatches, port, side + ".ws (tshark)", options.windowScale().orElse(-1), tracked.windowScale());
        expect(mismatches, port, side + ".sackok (tshark)", options.sackPermitted() ? 1 : 0, tracked.sackPermitted() ? 1 : 0);
        expect(mismatches, port, side + ".tsopt (tshark)", options.timestamps() ? 1 : 0, tracked.timestamps() ? 1 : 0);
    }

    private static void expect(List<String> mismatches, int port, String what, long expected, long actual) {
        if (expected != actual) {
            mismatches.add(String.format(Locale.ROOT, "port %d: %s: expected %d, MigWare has %d", port, what, expected, actual));
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted", e);
        }
    }

    /** {@code bin/migware lab}: runs the experiment on the built-in lab and prints the result. */
    public static void main(String[] args) {
        Args parsed = Args.parse(args, java.util.Set.of(), java.util.Set.of("distribution", "connections", "duration-s"));
        Path distribution = Path.of(parsed.string("distribution", System.getProperty("migware.home", ".")));
        Options options = Options.defaults(distribution)
                .withConnections((int) parsed.number("connections", 200))
                .withDurationMillis(parsed.number("duration-s", 12) * 1000);
        Result result = run(options, message -> System.out.println("lab: " + message));
        System.out.println();
        System.out.println(result.status());
        System.out.printf(Locale.ROOT, "connections opened by the clients: %d%n", result.connections());
        System.out.printf(Locale.ROOT, "tracked by MigWare:               %d%n", result.tracked());
        System.out.printf(Locale.ROOT, "bytes the clients wrote:          %d%n", result.clientBytes());
        System.out.printf(Locale.ROOT, "values disagreeing with the applications or tshark: %d%n", result.mismatches().size());
        result.mismatches().stream().limit(20).forEach(m -> System.out.println("  " + m));
        System.exit(result.allAgree() ? 0 : 1);
    }
}
