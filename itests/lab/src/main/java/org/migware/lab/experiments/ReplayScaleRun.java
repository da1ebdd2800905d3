package org.migware.lab.experiments;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

import org.migware.lab.Await;
import org.migware.lab.LabException;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.Role;
import org.migware.lab.oracles.RttLog;
import org.migware.lab.workloads.PushClient;
import org.migware.lab.workloads.PushClientReport;
import org.migware.lab.workloads.SinkReport;
import org.migware.lab.workloads.SinkServer;

/**
 * The scale benchmark of replay (issue 9): 1,000 request/response connections (each record answered
 * by the server, each answer checked by the client), the primary's link pulled after every
 * connection has had several records answered; with {@code delivery = replay} and, in the same run,
 * {@code resume}, each in a lab of its own. Replay hands each connection's whole stream to the
 * replica, which answers all of it again; MigWare checks those answers against the primary's and
 * drops the ones the client holds.
 *
 * <p>Measured: MigWare's recovery time (its own, as the recovery benchmark), and per connection, by
 * the client, how long the first answer after the pull waited beyond the later of its record's send
 * and the pull. Survival is the applications' verdict ({@link MigrationExperiment.ConnectionOutcome}):
 * no client error, every record after the primary's last at the replica without a gap, and every
 * answer correct; with replay also whether the replica's application got the session from its
 * first record.
 */
final class ReplayScaleRun {

    private static final int PORT = 7000;
    private static final long INTERVAL_MILLIS = 1000;
    private static final long BEFORE_MILLIS = 8000;
    private static final long AFTER_MILLIS = 10_000;

    /**
     * One delivery's run.
     *
     * @param delivery resume or replay
     * @param round the round
     * @param connections the client's connections
     * @param recoveryMillis MigWare's recovery time (self-timed), -1 if none
     * @param replayableBefore connections MigWare counted replayable before the pull (its own count)
     * @param survived connections that survived (the applications' verdict)
     * @param answered connections whose every answer from the replica's first record on was correct
     * @param wholeSession connections whose replica application got their stream from the first record
     * @param noAnswerLost connections without a gap in their answers
     * @param firstAnswerWaitMillis per connection the outage touched, its first answer after the pull: its wait beyond
     *        max(sent, pull)
     */
    record Run(String delivery, int round, int connections, long recoveryMillis, long replayableBefore, long survived, long answered,
            long wholeSession, long noAnswerLost, long[] firstAnswerWaitMillis) {
    }

    private ReplayScaleRun() {
    }

    static List<Run> run(Path distribution, int connections, int rounds, Consumer<String> progress) {
        List<Run> runs = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            for (String delivery : new String[] {"replay", "resume"}) {
                progress.accept("scale round " + round + ": " + connections + " request/response connections, delivery " + delivery);
                Run run = once(distribution, delivery, connections, round, progress);
                runs.add(run);
                RttLog.Summary wait = RttLog.Summary.of(run.firstAnswerWaitMillis().clone());
                progress.accept(String.format(Locale.ROOT, "  recovery %d ms (MigWare); survived %d, answered %d, whole session at"
                        + " the replica %d, no answer lost %d of %d; first answer's wait: median %d ms, p99 %d ms",
                        run.recoveryMillis(), run.survived(), run.answered(), run.wholeSession(), run.noAnswerLost(), connections,
                        wait.medianMicros(), wait.p99Micros()));
            }
        }
        return runs;
    }

    private static Run once(Path distribution, String delivery, int connections, int round, Consumer<String> progress) {
        try (ReplayExperiment lab = ReplayExperiment.create("mwbsc", PORT)) {
            Path work = lab.lab().workDir();
            Path primaryReport = work.resolve("primary.tsv");
            Path replicaReport = work.resolve("replica.tsv");
            Path clientReport = work.resolve("client.tsv");
            Path rtt = work.resolve("rtt.tsv");
            LabProcess primary = lab.lab().startJava(Role.PRIMARY, "primary-sink", SinkServer.class,
                    new SinkServer.Options().port(PORT).respond(true).report(primaryReport).toArgs());
            primary.awaitOutput(SinkServer.LISTENING, Duration.ofSeconds(20));
            LabProcess replica = lab.lab().startJava(Role.BACKUP, "replica-sink", SinkServer.class, new SinkServer.Options()
                    .bind(lab.address(Role.BACKUP)).port(PORT).respond(true).report(replicaReport).toArgs());
            replica.awaitOutput(SinkServer.LISTENING, Duration.ofSeconds(20));
            MigwareInstance migware = lab.startMigware(distribution, delivery, Map.of());
            Await.until("MigWare tracking", Duration.ofSeconds(30), () -> migware.status().tracking());
            LabProcess client = lab.lab().startJava(Role.CLIENT, "client", PushClient.class, new PushClient.Options()
                    .host(lab.address(Role.PRIMARY)).port(PORT).connections(connections).intervalMillis(INTERVAL_MILLIS)
                    .durationMillis(BEFORE_MILLIS + AFTER_MILLIS).connectRate(1000).readResponses(true).rttLog(rtt)
                    .report(clientReport).toArgs());
            client.awaitOutput(PushClient.STARTED, Duration.ofSeconds(30));
            long started = System.currentTimeMillis();
            Await.until("every connection open with records answered", Duration.ofSeconds(90),
                    () -> PushClientReport.readIfPresent(clientReport).map(r -> r.connections().size() == connections
                            && r.connections().stream().allMatch(c -> c.state().equals("OPEN") && c.responses() >= 2)).orElse(false));
            Await.sleep(Math.max(0, started + BEFORE_MILLIS - System.currentTimeMillis()));
            long replayable = ReplayExperiment.count(lab.statusJson(), "replayable");
            Instant pulled = lab.pull();
            // Answers may still come from the primary until the link is actually down, when pull() returns.
            long linkDown = System.currentTimeMillis() + 1;
            Instant proxy = lab.awaitProxy(Duration.ofSeconds(30));
            if (!client.waitFor(Duration.ofMillis(AFTER_MILLIS + 60_000))) {
                throw new LabException("the request/response client did not finish: " + client.stderr());
            }
            try {
                Await.until("the replica's connections to end", Duration.ofSeconds(15), () -> SinkReport.readIfPresent(replicaReport)
                        .map(r -> r.connections().stream().noneMatch(c -> c.state().equals("OPEN"))).orElse(false));
            } catch (LabException e) {
                progress.accept("  some of the replica's connections are still open after the client ended");
            }
            long recovery = migware.status().migration().recoveryMillis();
            primary.destroy();
            replica.destroy();
            List<MigrationExperiment.ConnectionOutcome> outcomes = MigrationExperiment.outcomes(PushClientReport.read(clientReport),
                    SinkReport.read(primaryReport), SinkReport.read(replicaReport));
            return new Run(delivery, round, connections, recovery, replayable,
                    outcomes.stream().filter(MigrationExperiment.ConnectionOutcome::survived).count(),
                    outcomes.stream().filter(MigrationExperiment.ConnectionOutcome::answeredAfterFailover).count(),
                    outcomes.stream().filter(o -> o.replicaFirstRecord() == 1).count(),
                    outcomes.stream().filter(o -> o.responseGaps() == 0 && o.wrongResponses() == 0).count(),
                    firstAnswerWaits(RttLog.read(rtt), pulled.toEpochMilli(), linkDown, proxy.toEpochMilli()));
        }
    }

    /**
     * The clients that the outage touched: those whose first answer after the pull answers a record
     * that was sent, or outstanding, before MigWare was in PROXY. (A connection whose next record
     * came after PROXY saw nothing of the failover but an ordinary round trip.)
     *
     * @param pullMillis when the pull began (epoch ms)
     * @param linkDownMillis from when no answer can be the primary's any more
     * @param proxyMillis when MigWare entered PROXY (its own instant)
     * @return per connection touched, how long its first answer after the link was down came after
     *     the later of its record's send and the pull (ms)
     */
    static long[] firstAnswerWaits(RttLog log, long pullMillis, long linkDownMillis, long proxyMillis) {
        // per connection: {received, waiting since = max(sent, pull)} of its first answer after the link was down
        Map<Integer, long[]> first = new HashMap<>();
        log.forEach((sent, micros, conn) -> {
            long received = sent + micros / 1000;
            if (received >= linkDownMillis) {
                long[] f = first.computeIfAbsent(conn, c -> new long[] {Long.MAX_VALUE, 0});
                if (received < f[0]) {
                    f[0] = received;
                    f[1] = Math.max(sent, pullMillis);
                }
            }
        });
        return first.values().stream().filter(f -> f[1] < proxyMillis).mapToLong(f -> f[0] - f[1]).toArray();
    }

    /** @return the Markdown section */
    static String markdown(List<Run> runs) {
        StringBuilder r = new StringBuilder();
        int n = runs.isEmpty() ? 0 : runs.get(0).connections();
        r.append(String.format(Locale.ROOT, "### Scale: %d request/response connections, replay against resume (same run)%n%n", n));
        r.append("Each connection sends a record every second and checks every answer. Survived: the applications' verdict (no"
                + " client error, every record after the primary's last at the replica, no gap). First answer's wait: per"
                + " connection whose record was sent (or outstanding) between the pull and MigWare's PROXY instant, how long its"
                + " answer came after the later of the record's send and the pull, by the client's clocks; touched: how many"
                + " connections that is. Recovery: MigWare's own (failover decision → every forged handshake complete).\n\n");
        r.append("| delivery | round | recovery (ms) | survived | every answer correct | no answer lost | replica got the whole"
                + " session | touched | first answer's wait median (ms) | p99 (ms) | max (ms) |\n"
                + "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (Run run : runs) {
            RttLog.Summary w = RttLog.Summary.of(run.firstAnswerWaitMillis().clone());
            r.append(String.format(Locale.ROOT, "| %s | %d | %d | %d of %d | %d | %d | %d | %d | %d | %d | %d |%n", run.delivery(),
                    run.round(), run.recoveryMillis(), run.survived(), run.connections(), run.answered(), run.noAnswerLost(),
                    run.wholeSession(), w.count(), w.medianMicros(), w.p99Micros(), w.maxMicros()));
        }
        long[] replayRecovery = runs.stream().filter(x -> x.delivery().equals("replay")).mapToLong(Run::recoveryMillis).toArray();
        long[] resumeRecovery = runs.stream().filter(x -> x.delivery().equals("resume")).mapToLong(Run::recoveryMillis).toArray();
        long replay = RttLog.Summary.of(replayRecovery).medianMicros();
        long resume = RttLog.Summary.of(resumeRecovery).medianMicros();
        r.append(String.format(Locale.ROOT, "%nRecovery, median of the rounds: replay %d ms, resume %d ms: ratio %s.%n", replay, resume,
                resume > 0 ? String.format(Locale.ROOT, "%.2f", (double) replay / resume) : "—"));
        return r.toString();
    }
}
