package org.migware.lab.roles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.migware.lab.Await;
import org.migware.lab.LabException;
import org.migware.lab.experiments.DetectionExperiment;
import org.migware.lab.experiments.MigwareInstance;
import org.migware.lab.experiments.MigwareSyncView;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.LinkEnd;
import org.migware.lab.network.Role;
import org.migware.lab.oracles.LatencyStats;
import org.migware.lab.oracles.Tcpdump;
import org.migware.lab.oracles.WireAnalysis;
import org.migware.lab.oracles.WireFailover;
import org.migware.lab.workloads.PushClient;
import org.migware.lab.workloads.PushClientReport;
import org.migware.lab.workloads.SinkReport;
import org.migware.lab.workloads.SinkServer;

/**
 * The round trip of issue 13, with keepalived on both hosts:
 *
 * <ol>
 *   <li>the primary's link is pulled: MigWare on the backup takes the connections over, and
 *       keepalived gives it the service address (the direct path);</li>
 *   <li>new connections open, served by the new master's kernel directly;</li>
 *   <li>the old primary comes back as a repaired host does: rebooted ({@link LabNetwork#rebootHost}:
 *       its kernel keeps no socket of before), its application started again as the new replica,
 *       its keepalived held back by its MigWare, which watches the new master and learns its
 *       table through state sync;</li>
 *   <li>more connections open; then the new master's link is pulled, and the rejoined host takes
 *       every connection over: those migrated once and those opened between the failovers.</li>
 * </ol>
 *
 * What it measures comes from the applications and the kernels: the clients' reports and {@code
 * ss}, the client's EstabResets counter, the records the three applications received (the old
 * primary's, the first replica's, the restarted primary's), {@code ip addr} for who owns the
 * address. MigWare's own log gives the decision and PROXY times, labelled as its own; what the
 * client saw of each failover comes from a capture on its link ({@link WireFailover}, decoded by
 * tshark): for every connection carried at the pull, when its first segment sent after the pull
 * was acknowledged, which only the host taking over can do once the serving host's cable is out.
 */
public final class RoundTrip {

    private static final int PORT = 7000;
    private static final int SYNC_PORT = 7079;
    private static final int BETWEEN_FIRST_ID = 1000;
    private static final int AFTER_REJOIN_FIRST_ID = 2000;
    /** The client link's capture in the work folder. */
    public static final String CAPTURE = "client.pcap";
    /** The first primary's application's report. */
    public static final String FIRST_PRIMARY_REPORT = "primary.tsv";
    /** The backup's application's (the first replica's) report. */
    public static final String REPLICA_REPORT = "replica.tsv";
    /** The rejoined primary's restarted application's report. */
    public static final String REJOINED_PRIMARY_REPORT = "primary-after.tsv";
    /** The backup's MigWare's log (it takes over at the first failover). */
    public static final String BACKUP_LOG = "migware-backup.log";
    /** The rejoined host's MigWare's log (it takes over at the second failover). */
    public static final String REJOINED_LOG = "migware-rejoined.log";
    /** The service port. */
    public static final int SERVICE_PORT = PORT;

    private static final Pattern TRANSITION = Pattern.compile("-> (RECOVERY|PROXY) at (\\S+) \\(");

    /**
     * @param first connections open before the first failover
     * @param between connections opened after it, before the rejoin
     * @param afterRejoin connections opened after the rejoin
     * @param intervalMillis time between two records of a connection
     */
    public record Options(int first, int between, int afterRejoin, long intervalMillis) {

        /** The sizes {@code RejoinLabTest} runs. */
        public static Options small() {
            return new Options(40, 10, 10, 200);
        }

        /** @return every connection of the run */
        public int connections() {
            return first + between + afterRejoin;
        }
    }

    /**
     * One failover: timed by MigWare's own log (its decision and PROXY) and by the client's wire, both
     * from when the lab pulled the link.
     *
     * @param pulled when the lab started to pull the serving host's link
     * @param linkDown when the pull had returned (see {@link WireFailover}: only segments first sent
     *        after it count, as the old host may acknowledge until then)
     * @param pullToDecisionMillis pull to MigWare's decision, -1 when its log shows none
     * @param decisionToProxyMillis decision to PROXY, -1 when its log shows none
     * @param establishedAfter connections {@code ss} on the client shows established a few seconds after it
     * @param addressTaken whether the host that took over owns the service address (ip addr)
     * @param carried the client ports {@code ss} on the client showed established just before the pull
     * @param wire per carried connection, the client capture's figures: the first segment first sent
     *        after the pull and acknowledged before the next pull (or the capture's end); a carried
     *        connection without one is missing here
     */
    public record Failover(Instant pulled, Instant linkDown, long pullToDecisionMillis, long decisionToProxyMillis,
            int establishedAfter, boolean addressTaken, Set<Integer> carried, List<WireFailover.Connection> wire) {

        /** @return the carried connections whose capture shows no segment acknowledged by the new serving host */
        public Set<Integer> unacknowledged() {
            Set<Integer> missing = new TreeSet<>(carried);
            wire.forEach(c -> missing.remove(c.clientPort()));
            return missing;
        }

        /** @return pull to the first client segment acknowledged by the new serving host, over the carried connections */
        public LatencyStats firstAckMillis() {
            return LatencyStats.of(wire.stream().map(WireFailover.Connection::ackedMillis).toList());
        }

        /** @return pull to that segment's first send: the client's own wait, part of {@link #firstAckMillis()} */
        public LatencyStats clientSentMillis() {
            return LatencyStats.of(wire.stream().map(WireFailover.Connection::sentMillis).toList());
        }

        /** @return that segment's first send to its first covering ACK: what the client waited on the wire */
        public LatencyStats sentToAckMillis() {
            return LatencyStats.of(wire.stream().map(c -> c.ackedMillis() - c.sentMillis()).toList());
        }
    }

    /**
     * @param options what ran
     * @param firstFailover the backup takes over from the primary
     * @param rejoinMillis reboot of the old primary to both hosts' tables equal to ss on the client
     * @param learntThroughSync connections whose handshake the rejoined host learnt through sync
     * @param rejoinedHeldBack whether the rejoined host stayed without the address while the new master served
     * @param secondFailover the rejoined host takes over from the new master
     * @param resetsBefore the client's EstabResets before the first failover
     * @param resetsAfter and at the end
     * @param checked connections whose records were checked
     * @param records records the clients sent
     * @param broken why each broken connection is broken (empty: none)
     * @param capture what tcpdump on the client's link counted (a frame its kernel dropped is missing from the wire figures)
     * @param workDir where the reports, captures and logs are: the client's capture, the three
     *        applications' reports, the clients' ({@code first.tsv}, {@code between.tsv},
     *        {@code after-rejoin.tsv}), both MigWares' logs (see the file name constants)
     */
    public record Result(Options options, Failover firstFailover, long rejoinMillis, int learntThroughSync, boolean rejoinedHeldBack,
            Failover secondFailover, long resetsBefore, long resetsAfter, int checked, long records, List<String> broken,
            Tcpdump.CaptureStats capture, Path workDir) {

        /** @return whether every connection survived both failovers with every record, none reset */
        public boolean survived() {
            return broken.isEmpty() && checked == options.connections() && resetsAfter == resetsBefore
                    && secondFailover.establishedAfter() == options.connections();
        }
    }

    private RoundTrip() {
    }

    /**
     * Runs the round trip on {@code lab} (a fresh one: it starts every process it needs).
     *
     * @param lab the lab
     * @param distribution the built MigWare
     * @param options the sizes
     * @param progress told what happens, a line at a time
     * @return what was seen
     * @throws LabException when a step does not happen in time (a host not taking over, say)
     */
    public static Result run(LabNetwork lab, Path distribution, Options options, Consumer<String> progress) throws InterruptedException {
        Path work = lab.workDir();
        String service = lab.address(Role.PRIMARY).replaceAll("\\.\\d+$", ".100");
        String serviceWithLength = service + "/" + lab.prefixLength();
        Path key = writeKey(work.resolve("sync.key"));

        // Each application listens on every address: the service address too, once it is its host's.
        LabProcess firstPrimary = sink(lab, Role.PRIMARY, "primary-sink", work.resolve(FIRST_PRIMARY_REPORT));
        LabProcess replica = sink(lab, Role.BACKUP, "replica-sink", work.resolve(REPLICA_REPORT));
        Path backupTrack = work.resolve("keepalived-backup.track");
        Keepalived primaryVrrp = Keepalived.start(lab, Role.PRIMARY, distribution, serviceWithLength, 200, List.of(Role.BACKUP), null);
        Keepalived backupVrrp = Keepalived.start(lab, Role.BACKUP, distribution, serviceWithLength, 100, List.of(Role.PRIMARY), backupTrack);
        Await.until("the primary's keepalived owns " + service, Duration.ofSeconds(20), () -> primaryVrrp.owns(service));

        // The backup watches the primary and, as every host of the site, serves its table to whoever joins.
        Map<String, Map<String, String>> backupConfig = watching(lab, service, Role.BACKUP, Role.PRIMARY, backupTrack);
        backupConfig.put("org.migware.sync.server", Map.of("listenAddress", lab.address(Role.BACKUP), "listenPort",
                Integer.toString(SYNC_PORT), "keyFile", key.toString(), "aliveMillis", "500", "deadAfterMillis", "2000"));
        // The client's own link, both directions, whole records (the report's timeline reads them):
        // what the client saw of both failovers.
        try (Tcpdump capture = Tcpdump.on(lab, Role.CLIENT).filter("tcp port " + PORT).snaplen(2048).pcap(work.resolve(CAPTURE))
                .name("tcpdump-client").start();
                MigwareInstance backup = MigwareInstance.start(lab, Role.BACKUP, distribution, backupConfig, Duration.ofSeconds(60))) {
            awaitWatching(backup, backupTrack);
            long resetsBefore = estabResets(lab);

            LabProcess first = client(lab, "first", service, options.first(), 1, options.intervalMillis(), work.resolve("first.tsv"));
            Await.until("ss on the client: the first connections established", Duration.ofSeconds(30),
                    () -> established(lab, service).size() == options.first());
            progress.accept(options.first() + " connections to " + service + " on the primary");
            Thread.sleep(2000);

            Set<String> firstCarried = established(lab, service);
            Instant firstPull = Instant.now();
            lab.pullPrimaryLink();
            Instant firstDown = Instant.now();
            Await.until("the backup's MigWare in PROXY", Duration.ofSeconds(20), () -> backup.status().proxy());
            Await.until("the backup's keepalived owns " + service, Duration.ofSeconds(10), () -> backupVrrp.owns(service));
            progress.accept("first failover: the backup serves " + service);
            Thread.sleep(1000);
            int firstEstablishedAfter = established(lab, service).size();
            boolean firstAddressTaken = backupVrrp.owns(service);

            // Opened between the failovers, before the old primary is back: served by the backup's kernel.
            LabProcess between = client(lab, "between", service, options.between(), BETWEEN_FIRST_ID, options.intervalMillis(),
                    work.resolve("between.tsv"));
            Await.until("ss on the client: the connections opened after the failover established", Duration.ofSeconds(30),
                    () -> established(lab, service).size() == options.first() + options.between());

            // The repair: the old primary's application ends (its report; its cable is still out, so
            // nothing it sends gets out), the host reboots, and comes back as the backup.
            firstPrimary.destroy();
            Instant rebootAt = Instant.now();
            lab.rebootHost(Role.PRIMARY);
            LabProcess secondPrimary = sink(lab, Role.PRIMARY, "primary-sink-after", work.resolve(REJOINED_PRIMARY_REPORT));
            Path primaryTrack = work.resolve("keepalived-primary.track");
            Keepalived rejoinedVrrp = Keepalived.start(lab, Role.PRIMARY, distribution, serviceWithLength, 200, List.of(Role.BACKUP),
                    primaryTrack);
            Map<String, Map<String, String>> rejoinedConfig = watching(lab, service, Role.PRIMARY, Role.BACKUP, primaryTrack);
            rejoinedConfig.put("org.migware.sync.client", Map.of("peerAddress", lab.address(Role.BACKUP), "peerPort",
                    Integer.toString(SYNC_PORT), "keyFile", key.toString(), "aliveMillis", "500", "deadAfterMillis", "2000"));
            try (MigwareInstance rejoined = MigwareInstance.start(lab, Role.PRIMARY, distribution, rejoinedConfig, Duration.ofSeconds(60))) {
                awaitWatching(rejoined, primaryTrack);
                awaitSameTables(lab, service, options.first() + options.between(), rejoined, backup);
                long rejoinMillis = Duration.between(rebootAt, Instant.now()).toMillis();
                int learnt = MigwareSyncView.of(rejoined).established("sync").size();
                progress.accept("the old primary rejoined as the backup: both tables equal ss on the client (" + learnt
                        + " handshakes through sync)");

                // Opened after the rejoin: the rejoined host sees their handshakes itself.
                LabProcess afterRejoin = client(lab, "after-rejoin", service, options.afterRejoin(), AFTER_REJOIN_FIRST_ID,
                        options.intervalMillis(), work.resolve("after-rejoin.tsv"));
                awaitSameTables(lab, service, options.connections(), rejoined, backup);
                boolean heldBack = backupVrrp.owns(service) && !rejoinedVrrp.owns(service);
                Thread.sleep(2000);

                // The second failover: the new master's cable is pulled.
                Set<String> secondCarried = established(lab, service);
                Instant secondPull = Instant.now();
                lab.pullLink(Role.BACKUP, LinkEnd.HUB);
                Instant secondDown = Instant.now();
                Await.until("the rejoined MigWare in PROXY", Duration.ofSeconds(20), () -> rejoined.status().proxy());
                Await.until("the rejoined host's keepalived owns " + service, Duration.ofSeconds(10), () -> rejoinedVrrp.owns(service));
                progress.accept("second failover: the rejoined host serves " + service);
                Thread.sleep(4000); // records flow to the restarted primary's application
                int secondEstablishedAfter = established(lab, service).size();
                boolean secondAddressTaken = rejoinedVrrp.owns(service);

                for (LabProcess c : List.of(first, between, afterRejoin)) {
                    c.destroy(); // SIGTERM: each client closes its connections and writes its final report
                    if (!c.waitFor(Duration.ofSeconds(30))) {
                        throw new LabException("client " + c.name() + " did not end");
                    }
                }
                Thread.sleep(2000); // the last records reach the application
                secondPrimary.destroy();
                replica.destroy();
                long resetsAfter = estabResets(lab);
                Tcpdump.CaptureStats captured = capture.stop();
                String backupLog = backup.log();
                String rejoinedLog = rejoined.log();
                writeLog(work.resolve(BACKUP_LOG), backupLog);
                writeLog(work.resolve(REJOINED_LOG), rejoinedLog);

                // The wire, decoded once: each failover's connections from their first segment after the pull
                // (the first failover's only up to the second pull: after it, another host acknowledges).
                List<String> wire = WireAnalysis.lines(work.resolve(CAPTURE), PORT, Duration.ofMinutes(3));
                double betweenPulls = Duration.between(firstPull, secondPull).toNanos() / 1e6;
                Failover firstFailover = timed(backupLog, firstPull, firstDown, firstEstablishedAfter, firstAddressTaken,
                        ports(firstCarried), WireFailover.of(wire, PORT, firstPull, firstDown), betweenPulls);
                Failover secondFailover = timed(rejoinedLog, secondPull, secondDown, secondEstablishedAfter, secondAddressTaken,
                        ports(secondCarried), WireFailover.of(wire, PORT, secondPull, secondDown), Double.POSITIVE_INFINITY);

                List<SinkReport> applications = List.of(SinkReport.read(work.resolve(FIRST_PRIMARY_REPORT)),
                        SinkReport.read(work.resolve(REPLICA_REPORT)), SinkReport.read(work.resolve(REJOINED_PRIMARY_REPORT)));
                List<String> broken = new ArrayList<>();
                int checked = 0;
                long records = 0;
                for (String report : List.of("first.tsv", "between.tsv", "after-rejoin.tsv")) {
                    for (PushClientReport.Connection c : PushClientReport.read(work.resolve(report)).connections()) {
                        checkJoined(c, applications).ifPresent(broken::add);
                        checked++;
                        records += c.recordsSent();
                    }
                }
                return new Result(options, firstFailover, rejoinMillis, learnt, heldBack, secondFailover, resetsBefore, resetsAfter,
                        checked, records, List.copyOf(broken), captured, work);
            }
        }
    }

    /**
     * @return why the records of {@code c} do not join up across the applications, in the order
     *         they served it; empty when they do: the first holds record 1, each next one starts at
     *         most one past the last of the one before (resume: a record may reach two), the last
     *         ends at the client's last record, and none lost a record, tore one or got one twice
     */
    static Optional<String> checkJoined(PushClientReport.Connection c, List<SinkReport> applications) {
        if (!c.error().isEmpty()) {
            return Optional.of("connection " + c.id() + ": the client's error: " + c.error());
        }
        List<SinkReport.Connection> served = new ArrayList<>();
        for (SinkReport application : applications) {
            application.byConnId(c.id()).filter(s -> s.records() > 0).ifPresent(served::add);
        }
        if (served.isEmpty()) {
            return Optional.of("connection " + c.id() + ": no application got a record");
        }
        long next = 1;
        for (SinkReport.Connection s : served) {
            if (s.firstSeq() > next || s.gaps() != 0 || s.torn() != 0 || s.duplicates() != 0 || s.corrupt() != 0) {
                return Optional.of("connection " + c.id() + ": record " + next + " expected next, then " + served);
            }
            next = Math.max(next, s.lastSeq() + 1);
        }
        return next - 1 == c.recordsSent() ? Optional.empty()
                : Optional.of("connection " + c.id() + ": the client sent " + c.recordsSent() + " records, the applications got up to "
                        + (next - 1) + ": " + served);
    }

    private static Path writeKey(Path key) {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        try {
            Files.write(key, secret);
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new LabException("cannot write the sync key " + key + ": " + e.getMessage(), e);
        }
        return key;
    }

    private static LabProcess sink(LabNetwork lab, Role role, String name, Path report) {
        LabProcess sink = lab.startJava(role, name, SinkServer.class,
                new SinkServer.Options().bind("0.0.0.0").port(PORT).report(report).toArgs());
        sink.awaitOutput(SinkServer.LISTENING, Duration.ofSeconds(20));
        return sink;
    }

    private static LabProcess client(LabNetwork lab, String name, String service, int connections, int firstId, long intervalMillis,
            Path report) {
        // Ended by the run (SIGTERM: the client closes its connections and writes its final report).
        LabProcess client = lab.startJava(Role.CLIENT, name, PushClient.class, new PushClient.Options().host(service).port(PORT)
                .connections(connections).firstId(firstId).intervalMillis(intervalMillis).durationMillis(3_600_000).report(report)
                .reportIntervalMillis(500).toArgs());
        client.awaitOutput(PushClient.STARTED, Duration.ofSeconds(30));
        return client;
    }

    /**
     * A watching host's configuration, the same on either host but for the names: the service,
     * its capture (both directions: once it serves, its own kernel's answers are part of the
     * conversations it tracks and syncs), its replica (the application on this host), the direct
     * path with keepalived's track file, and an ICMP monitor on the host it watches.
     */
    private static Map<String, Map<String, String>> watching(LabNetwork lab, String service, Role self, Role watched, Path trackFile) {
        Map<String, Map<String, String>> configs = new HashMap<>();
        configs.put("org.migware.service", Map.of("addresses", service, "ports", Integer.toString(PORT)));
        configs.put("org.migware.capture.pcap4j", Map.of("interfaceName", LabNetwork.ROLE_INTERFACE, "direction", "INOUT",
                "bufferSize", "67108864"));
        configs.put("org.migware.capture.file", Map.of());
        configs.put("org.migware.proxy", Map.of("replicaAddress", lab.address(self), "directPath", "true",
                "keepalivedTrackFile", trackFile.toString()));
        Map<String, String> icmp = new HashMap<>(DetectionExperiment.Profile.FAST.of(DetectionExperiment.Monitor.ICMP));
        icmp.put("target", lab.address(watched)); // the host, not the address keepalived moves
        configs.put(DetectionExperiment.Monitor.ICMP.pid(), icmp);
        return configs;
    }

    private static void awaitWatching(MigwareInstance migware, Path trackFile) {
        Await.until("MigWare capturing and tracking with its ICMP monitor UP", Duration.ofSeconds(30), () -> {
            var s = migware.status();
            return s.capturing() && s.tracking() && s.says("icmp", "UP");
        });
        Await.until("MigWare holding its keepalived back (track file 1)", Duration.ofSeconds(10), () -> {
            try {
                return Files.isRegularFile(trackFile) && Files.readString(trackFile).strip().equals("1");
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** Waits until both hosts' tables (the established connections with a known handshake) are what ss on the client shows. */
    private static void awaitSameTables(LabNetwork lab, String service, int connections, MigwareInstance rejoined, MigwareInstance serving) {
        try {
            Await.until("both hosts' tables equal ss on the client", Duration.ofSeconds(30), () -> {
                Set<String> ss = established(lab, service);
                return ss.size() == connections && MigwareSyncView.of(rejoined).establishedKnown().equals(ss)
                        && MigwareSyncView.of(serving).establishedKnown().equals(ss);
            });
        } catch (LabException e) {
            Set<String> ss = established(lab, service);
            throw new LabException(e.getMessage() + ": ss on the client " + ss.size() + " " + ss + ";\nthe rejoined host: "
                    + difference(MigwareSyncView.of(rejoined), ss) + ";\nthe serving host: " + difference(MigwareSyncView.of(serving), ss), e);
        }
    }

    private static String difference(MigwareSyncView view, Set<String> ss) {
        Set<String> known = view.establishedKnown();
        Set<String> missing = new TreeSet<>(ss);
        missing.removeAll(known);
        Set<String> extra = new TreeSet<>(known);
        extra.removeAll(ss);
        return known.size() + " known (" + view.established("sync").size() + " through sync), missing " + missing + ", extra " + extra
                + ", handshake missed " + view.established("missed");
    }

    /** @return ss on the client: the local address:port of every established connection to the service */
    private static Set<String> established(LabNetwork lab, String service) {
        String out = lab.exec(Role.CLIENT, "ss", "-Htn", "state", "established", "dst", service + ":" + PORT).requireSuccess().stdout();
        Set<String> clients = new TreeSet<>();
        for (String line : out.split("\n")) {
            String[] words = line.trim().split("\\s+");
            if (words.length >= 4) {
                clients.add(words[words.length - 2]);
            }
        }
        return clients;
    }

    /** @return the client's Tcp EstabResets: established connections ended by a reset */
    private static long estabResets(LabNetwork lab) {
        List<String> lines = lab.exec(Role.CLIENT, "cat", "/proc/net/snmp").requireSuccess().stdout().lines()
                .filter(l -> l.startsWith("Tcp:")).toList();
        List<String> names = List.of(lines.get(0).split("\\s+"));
        return Long.parseLong(lines.get(1).split("\\s+")[names.indexOf("EstabResets")]);
    }

    /**
     * @return the failover's times from MigWare's log (the decision and PROXY after {@code pulled}) and
     *         from the wire: the carried connections' first acknowledged segment, acknowledged before
     *         {@code untilMillis} after the pull
     */
    private static Failover timed(String log, Instant pulled, Instant linkDown, int establishedAfter, boolean addressTaken,
            Set<Integer> carried, List<WireFailover.Connection> wire, double untilMillis) {
        List<WireFailover.Connection> acknowledged = wire.stream()
                .filter(c -> carried.contains(c.clientPort()) && !Double.isNaN(c.ackedMillis()) && c.ackedMillis() < untilMillis)
                .toList();
        Map<String, Instant> at = new HashMap<>();
        Matcher m = TRANSITION.matcher(log);
        while (m.find()) {
            Instant when = Instant.parse(m.group(2));
            if (!when.isBefore(pulled)) {
                at.putIfAbsent(m.group(1), when);
            }
        }
        Instant decision = at.get("RECOVERY");
        Instant proxy = at.get("PROXY");
        return new Failover(pulled, linkDown, decision == null ? -1 : Duration.between(pulled, decision).toMillis(),
                decision == null || proxy == null ? -1 : Duration.between(decision, proxy).toMillis(), establishedAfter, addressTaken,
                Set.copyOf(carried), acknowledged);
    }

    /** @return the client ports of {@code ss}'s local addresses (address:port) */
    private static Set<Integer> ports(Set<String> localAddresses) {
        Set<Integer> ports = new TreeSet<>();
        for (String a : localAddresses) {
            ports.add(Integer.parseInt(a.substring(a.lastIndexOf(':') + 1)));
        }
        return ports;
    }

    private static void writeLog(Path file, String log) {
        try {
            Files.writeString(file, log);
        } catch (IOException e) {
            throw new LabException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
