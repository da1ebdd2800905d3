package org.migware.lab.roles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

import org.migware.lab.Await;
import org.migware.lab.LabException;
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
import org.migware.lab.workloads.PushClientReport;
import org.migware.lab.workloads.SinkReport;

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

    private static final int PORT = Site.PORT;
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
        String service = Site.serviceAddress(lab);
        String serviceWithLength = service + "/" + lab.prefixLength();
        Path key = writeKey(work.resolve("sync.key"));

        // Each application listens on every address: the service address too, once it is its host's.
        LabProcess firstPrimary = Site.sink(lab, Role.PRIMARY, "primary-sink", work.resolve(FIRST_PRIMARY_REPORT));
        LabProcess replica = Site.sink(lab, Role.BACKUP, "replica-sink", work.resolve(REPLICA_REPORT));
        Path backupTrack = work.resolve("keepalived-backup.track");
        Keepalived primaryVrrp = Keepalived.start(lab, Role.PRIMARY, distribution, serviceWithLength, 200, List.of(Role.BACKUP), null);
        Keepalived backupVrrp = Keepalived.start(lab, Role.BACKUP, distribution, serviceWithLength, 100, List.of(Role.PRIMARY), backupTrack);
        Await.until("the primary's keepalived owns " + service, Duration.ofSeconds(20), () -> primaryVrrp.owns(service));

        // The backup watches the primary and, as every host of the site, serves its table to whoever joins.
        Map<String, Map<String, String>> backupConfig = Site.watching(lab, service, Role.BACKUP, lab.address(Role.PRIMARY),
                backupTrack);
        backupConfig.put("org.migware.sync.server", Map.of("listenAddress", lab.address(Role.BACKUP), "listenPort",
                Integer.toString(SYNC_PORT), "keyFile", key.toString(), "aliveMillis", "500", "deadAfterMillis", "2000"));
        // The client's own link, both directions, whole records (the report's timeline reads them):
        // what the client saw of both failovers.
        try (Tcpdump capture = Tcpdump.on(lab, Role.CLIENT).filter("tcp port " + PORT).snaplen(2048).pcap(work.resolve(CAPTURE))
                .name("tcpdump-client").start();
                MigwareInstance backup = MigwareInstance.start(lab, Role.BACKUP, distribution, backupConfig, Duration.ofSeconds(60))) {
            Site.awaitWatching(backup, backupTrack);
            long resetsBefore = Site.estabResets(lab);

            LabProcess first = Site.client(lab, "first", service, options.first(), 1, options.intervalMillis(),
                    work.resolve("first.tsv"));
            Await.until("ss on the client: the first connections established", Duration.ofSeconds(30),
                    () -> Site.established(lab, service).size() == options.first());
            progress.accept(options.first() + " connections to " + service + " on the primary");
            Thread.sleep(2000);

            Set<String> firstCarried = Site.established(lab, service);
            Instant firstPull = Instant.now();
            lab.pullPrimaryLink();
            Instant firstDown = Instant.now();
            Await.until("the backup's MigWare in PROXY", Duration.ofSeconds(20), () -> backup.status().proxy());
            Await.until("the backup's keepalived owns " + service, Duration.ofSeconds(10), () -> backupVrrp.owns(service));
            progress.accept("first failover: the backup serves " + service);
            Thread.sleep(1000);
            int firstEstablishedAfter = Site.established(lab, service).size();
            boolean firstAddressTaken = backupVrrp.owns(service);

            // Opened between the failovers, before the old primary is back: served by the backup's kernel.
            LabProcess between = Site.client(lab, "between", service, options.between(), BETWEEN_FIRST_ID, options.intervalMillis(),
                    work.resolve("between.tsv"));
            Await.until("ss on the client: the connections opened after the failover established", Duration.ofSeconds(30),
                    () -> Site.established(lab, service).size() == options.first() + options.between());

            // The repair: the old primary's application ends (its report; its cable is still out, so
            // nothing it sends gets out), the host reboots, and comes back as the backup.
            firstPrimary.destroy();
            Instant rebootAt = Instant.now();
            lab.rebootHost(Role.PRIMARY);
            LabProcess secondPrimary = Site.sink(lab, Role.PRIMARY, "primary-sink-after", work.resolve(REJOINED_PRIMARY_REPORT));
            Path primaryTrack = work.resolve("keepalived-primary.track");
            Keepalived rejoinedVrrp = Keepalived.start(lab, Role.PRIMARY, distribution, serviceWithLength, 200, List.of(Role.BACKUP),
                    primaryTrack);
            Map<String, Map<String, String>> rejoinedConfig = Site.watching(lab, service, Role.PRIMARY, lab.address(Role.BACKUP),
                    primaryTrack);
            rejoinedConfig.put("org.migware.sync.client", Map.of("peerAddress", lab.address(Role.BACKUP), "peerPort",
                    Integer.toString(SYNC_PORT), "keyFile", key.toString(), "aliveMillis", "500", "deadAfterMillis", "2000"));
            try (MigwareInstance rejoined = MigwareInstance.start(lab, Role.PRIMARY, distribution, rejoinedConfig, Duration.ofSeconds(60))) {
                Site.awaitWatching(rejoined, primaryTrack);
                awaitSameTables(lab, service, options.first() + options.between(), rejoined, backup);
                long rejoinMillis = Duration.between(rebootAt, Instant.now()).toMillis();
                int learnt = MigwareSyncView.of(rejoined).established("sync").size();
                progress.accept("the old primary rejoined as the backup: both tables equal ss on the client (" + learnt
                        + " handshakes through sync)");

                // Opened after the rejoin: the rejoined host sees their handshakes itself.
                LabProcess afterRejoin = Site.client(lab, "after-rejoin", service, options.afterRejoin(), AFTER_REJOIN_FIRST_ID,
                        options.intervalMillis(), work.resolve("after-rejoin.tsv"));
                awaitSameTables(lab, service, options.connections(), rejoined, backup);
                boolean heldBack = backupVrrp.owns(service) && !rejoinedVrrp.owns(service);
                Thread.sleep(2000);

                // The second failover: the new master's cable is pulled.
                Set<String> secondCarried = Site.established(lab, service);
                Instant secondPull = Instant.now();
                lab.pullLink(Role.BACKUP, LinkEnd.HUB);
                Instant secondDown = Instant.now();
                Await.until("the rejoined MigWare in PROXY", Duration.ofSeconds(20), () -> rejoined.status().proxy());
                Await.until("the rejoined host's keepalived owns " + service, Duration.ofSeconds(10), () -> rejoinedVrrp.owns(service));
                progress.accept("second failover: the rejoined host serves " + service);
                Thread.sleep(4000); // records flow to the restarted primary's application
                int secondEstablishedAfter = Site.established(lab, service).size();
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
                long resetsAfter = Site.estabResets(lab);
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
                        Site.checkJoined(c, applications).ifPresent(broken::add);
                        checked++;
                        records += c.recordsSent();
                    }
                }
                return new Result(options, firstFailover, rejoinMillis, learnt, heldBack, secondFailover, resetsBefore, resetsAfter,
                        checked, records, List.copyOf(broken), captured, work);
            }
        }
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

    /** Waits until both hosts' tables (the established connections with a known handshake) are what ss on the client shows. */
    private static void awaitSameTables(LabNetwork lab, String service, int connections, MigwareInstance rejoined, MigwareInstance serving) {
        try {
            Await.until("both hosts' tables equal ss on the client", Duration.ofSeconds(30), () -> {
                Set<String> ss = Site.established(lab, service);
                return ss.size() == connections && MigwareSyncView.of(rejoined).establishedKnown().equals(ss)
                        && MigwareSyncView.of(serving).establishedKnown().equals(ss);
            });
        } catch (LabException e) {
            Set<String> ss = Site.established(lab, service);
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
        Map<String, Instant> at = Site.loggedTransitions(log, pulled);
        // the decision: a claim when the host claims through keepalived (several backups), else the recovery
        Instant decision = at.getOrDefault("CLAIMING", at.get("RECOVERY"));
        Instant proxy = at.get("PROXY");
        return new Failover(pulled, linkDown, Site.millis(pulled, decision), Site.millis(decision, proxy), establishedAfter,
                addressTaken, Set.copyOf(carried), acknowledged);
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
