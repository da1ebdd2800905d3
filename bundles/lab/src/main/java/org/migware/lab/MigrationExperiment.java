package org.migware.lab;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The thesis's experiment on modern TCP: N clients push a numbered record every interval to the
 * primary; MigWare in the backup tracks them; the primary's link is pulled; MigWare's monitor
 * sees it, the core decides, the proxy re-creates every connection against the replica (a sink
 * on the backup) and translates from then on. The oracle is the applications: the clients'
 * errors, the records the primary's and the replica's sinks received.
 */
public final class MigrationExperiment {

    /** What to run. */
    public record Options(Path distribution, int connections, long intervalMillis, long beforeFailureMillis,
            long afterFailureMillis, int port, String prefix) {

        public static Options defaults(Path distribution) {
            return new Options(distribution, 10, 500, 10_000, 15_000, 7000, "mwm");
        }

        public Options withConnections(int count) {
            return new Options(distribution, count, intervalMillis, beforeFailureMillis, afterFailureMillis, port, prefix);
        }

        public Options withPrefix(String newPrefix) {
            return new Options(distribution, connections, intervalMillis, beforeFailureMillis, afterFailureMillis, port, newPrefix);
        }

        public Options withBeforeFailureMillis(long millis) {
            return new Options(distribution, connections, intervalMillis, millis, afterFailureMillis, port, prefix);
        }

        public Options withAfterFailureMillis(long millis) {
            return new Options(distribution, connections, intervalMillis, beforeFailureMillis, millis, port, prefix);
        }
    }

    /**
     * Per connection: what its client sent, what the primary and the replica received.
     *
     * @param clientPort the client's port
     * @param clientError the client's error, empty if none
     * @param recordsSent records the client wrote
     * @param primaryLastRecord the last record number the primary received
     * @param replicaFirstRecord the first whole record number the replica received, -1 if none
     * @param replicaLastRecord the last record number the replica received, -1 if none
     * @param replicaGaps gaps in the replica's sequence of records
     * @param replicaDuplicates records the replica received twice
     * @param replicaTorn records the replica received torn
     */
    public record ConnectionOutcome(int clientPort, String clientError, long recordsSent, long primaryLastRecord,
            long replicaFirstRecord, long replicaLastRecord, long replicaGaps, long replicaDuplicates, long replicaTorn) {

        /** @return the connection lived on: no client error, and the replica holds every record after the primary's last */
        public boolean survived() {
            return clientError.isEmpty() && replicaLastRecord == recordsSent && replicaGaps == 0
                    && replicaFirstRecord >= 0 && replicaFirstRecord <= primaryLastRecord + 1;
        }
    }

    /**
     * What a caller may do at the run's milestones, e.g. capture on the wire or sample the
     * container's status. Each method runs on the experiment's thread; what it throws ends the run
     * (the lab is still removed).
     */
    public interface Observer {

        /** The lab, both sinks and MigWare are up; the clients have not started. */
        default void ready(LabNetwork lab, MigwareInstance migware) {
        }

        /** The primary's link has just been pulled. */
        default void pulled(LabNetwork lab, MigwareInstance migware, Instant pulled) {
        }

        /** The clients have finished and the sinks have written their reports; the lab is still up. */
        default void finished(LabNetwork lab, MigwareInstance migware) {
        }
    }

    /**
     * The run's outcome.
     *
     * @param connections per client connection
     * @param linkPulled when the primary's link was pulled
     * @param statusAfter {@code migware:status} after the run
     * @param log MigWare's log
     * @param workDir where the processes' reports and output are (kept after the lab is removed)
     */
    public record Result(List<ConnectionOutcome> connections, Instant linkPulled, String statusAfter, String log, Path workDir) {

        public long survived() {
            return connections.stream().filter(ConnectionOutcome::survived).count();
        }
    }

    private MigrationExperiment() {
    }

    public static Result run(Options options, Consumer<String> progress) {
        return run(options, progress, new Observer() { });
    }

    /**
     * Runs the experiment once.
     *
     * @param options what to run
     * @param progress told of each step
     * @param observer told at the milestones
     * @return what the applications saw
     */
    public static Result run(Options options, Consumer<String> progress, Observer observer) {
        try (LabNetwork lab = LabNetwork.builder().prefix(options.prefix()).replaceLeftovers(true).create()) {
            Path work = lab.workDir();
            // A client forgets a neighbour that stops answering within seconds; shortened timers make
            // it ask again and again after failover, so MigWare's ARP answers are exercised, not assumed.
            lab.exec(Role.CLIENT, "sysctl", "-q", "-w", "net.ipv4.neigh." + LabNetwork.ROLE_INTERFACE + ".base_reachable_time_ms=1000",
                    "net.ipv4.neigh." + LabNetwork.ROLE_INTERFACE + ".delay_first_probe_time=1").requireSuccess();
            LabProcess primarySink = lab.startJava(Role.PRIMARY, "primary-sink", SinkServer.class,
                    new SinkServer.Options().port(options.port()).report(work.resolve("primary.tsv")).toArgs());
            primarySink.awaitOutput(SinkServer.LISTENING, Duration.ofSeconds(20));
            LabProcess replicaSink = lab.startJava(Role.BACKUP, "replica-sink", SinkServer.class,
                    new SinkServer.Options().bind(lab.address(Role.BACKUP)).port(options.port())
                            .report(work.resolve("replica.tsv")).toArgs());
            replicaSink.awaitOutput(SinkServer.LISTENING, Duration.ofSeconds(20));

            Map<String, Map<String, String>> configs = new HashMap<>();
            configs.put("org.migware.service", Map.of("addresses", lab.address(Role.PRIMARY), "ports", Integer.toString(options.port())));
            configs.put("org.migware.capture.pcap4j", Map.of("interfaceName", LabNetwork.ROLE_INTERFACE));
            configs.put("org.migware.capture.file", Map.of());
            configs.put("org.migware.proxy", Map.of("replicaAddress", lab.address(Role.BACKUP)));
            try (MigwareInstance migware = MigwareInstance.start(lab, Role.BACKUP, options.distribution(), configs, Duration.ofSeconds(60))) {
                Await.until("MigWare capturing", Duration.ofSeconds(30),
                        () -> migware.exec("migware:status").contains(LabNetwork.ROLE_INTERFACE + " running"));
                progress.accept("MigWare running in " + lab.namespace(Role.BACKUP) + "; replica sink on " + lab.address(Role.BACKUP));
                observer.ready(lab, migware);
                long duration = options.beforeFailureMillis() + options.afterFailureMillis();
                LabProcess client = lab.startJava(Role.CLIENT, "client", PushClient.class,
                        new PushClient.Options().host(lab.address(Role.PRIMARY)).port(options.port())
                                .connections(options.connections()).intervalMillis(options.intervalMillis())
                                .durationMillis(duration).report(work.resolve("client.tsv")).toArgs());
                sleep(options.beforeFailureMillis());
                Instant pulled = Instant.now();
                lab.pullPrimaryLink();
                progress.accept("primary's link pulled at " + pulled);
                observer.pulled(lab, migware, pulled);
                if (!client.waitFor(Duration.ofMillis(options.afterFailureMillis() + 60_000))) {
                    throw new LabException("the push client did not finish: " + client.stderr());
                }
                sleep(2000);
                String status = migware.exec("migware:status");
                String neighbours = lab.exec(Role.CLIENT, "ip", "neigh", "show", lab.address(Role.PRIMARY)).stdout();
                progress.accept("client's neighbour entry for the primary after the run: " + neighbours.trim());
                primarySink.destroy();
                replicaSink.destroy();
                observer.finished(lab, migware);
                PushClientReport sent = PushClientReport.read(work.resolve("client.tsv"));
                SinkReport primary = SinkReport.read(work.resolve("primary.tsv"));
                SinkReport replica = SinkReport.read(work.resolve("replica.tsv"));
                List<ConnectionOutcome> outcomes = new ArrayList<>();
                for (PushClientReport.Connection c : sent.connections()) {
                    Optional<SinkReport.Connection> before = primary.byConnId(c.id());
                    Optional<SinkReport.Connection> after = replica.byConnId(c.id());
                    outcomes.add(new ConnectionOutcome(c.localPort(), c.error(), c.recordsSent(),
                            before.map(SinkReport.Connection::lastSeq).orElse(0L),
                            after.map(SinkReport.Connection::firstSeq).orElse(-1L),
                            after.map(SinkReport.Connection::lastSeq).orElse(-1L),
                            after.map(SinkReport.Connection::gaps).orElse(-1L),
                            after.map(SinkReport.Connection::duplicates).orElse(-1L),
                            after.map(SinkReport.Connection::torn).orElse(-1L)));
                }
                return new Result(outcomes, pulled, status, migware.log(), work);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted", e);
        }
    }

    public static void main(String[] args) {
        Args parsed = Args.parse(args, java.util.Set.of(), java.util.Set.of("distribution", "connections", "after-s"));
        Options options = Options.defaults(Path.of(parsed.string("distribution", System.getProperty("migware.home", "."))))
                .withConnections((int) parsed.number("connections", 10))
                .withAfterFailureMillis(parsed.number("after-s", 15) * 1000);
        Result result = run(options, message -> System.out.println("lab: " + message));
        System.out.println();
        System.out.println(result.statusAfter());
        boolean everyLine = result.connections().size() <= 20;
        for (ConnectionOutcome c : result.connections()) {
            if (everyLine || !c.survived()) {
                System.out.println(String.format(Locale.ROOT, "%s client port %d: sent records 1..%d, the primary got 1..%d,"
                        + " the replica %d..%d (gaps %d, duplicates %d, torn %d)%s", c.survived() ? "SURVIVED" : "BROKEN  ",
                        c.clientPort(), c.recordsSent(), c.primaryLastRecord(), c.replicaFirstRecord(), c.replicaLastRecord(),
                        c.replicaGaps(), c.replicaDuplicates(), c.replicaTorn(),
                        c.clientError().isEmpty() ? "" : ", client error: " + c.clientError()));
            }
        }
        System.out.printf(Locale.ROOT, "%n%d of %d connections survived the primary's death"
                + " (the thesis, 2004: 200 of 200, recovered in 456-680 ms; see 'migration:' above for ours)%n",
                result.survived(), result.connections().size());
        if (result.survived() != result.connections().size()) {
            result.log().lines().filter(line -> line.contains("proxy") || line.contains("core:") || line.contains("ERROR"))
                    .limit(60).forEach(line -> System.out.println("  log: " + line));
        }
        System.exit(result.survived() == result.connections().size() ? 0 : 1);
    }
}
