package org.migware.lab.report;

import org.migware.lab.oracles.LatencyStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.migware.lab.Await;
import org.migware.lab.LabFiles;
import org.migware.lab.experiments.ReplayExperiment;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.Role;
import org.migware.lab.workloads.CurlDownload;
import org.migware.lab.workloads.NginxServer;
import org.migware.lab.workloads.SeededFile;

/**
 * The download scenario, one run: nginx on primary and backup serving the same seeded file, the
 * job's curls downloading it at a limited rate through the run's {@link FailoverSystem}, the
 * primary's link pulled mid-download. Measured by the clients alone: curl's exit code and when it
 * exited, the SHA-256 of what it wrote against the file's, curls still running at the deadline
 * (hung: then ended), and from the client's kernel when each connection received its first byte
 * after the pull ({@link ReceivedBytesWatch}).
 */
final class DownloadRun {

    /** nginx's port on primary and backup. */
    static final int PORT = 8080;
    /** HAProxy's port in the baseline. */
    static final int FRONTEND_PORT = 8180;

    private DownloadRun() {
    }

    static Map<String, Object> run(JobOptions o, FailoverSystem system, Path raw, AtomicReference<LabNetwork> current,
            Consumer<String> progress) {
        try (ScenarioLab lab = ScenarioLab.create(o, system, PORT, FRONTEND_PORT, current)) {
            ReplayExperiment x = lab.experiment();
            Path www = x.folder("www");
            Path big = SeededFile.write(www.resolve("big.bin"), o.fileMib() << 20, 9);
            String expected = SeededFile.sha256(big);
            Path work = lab.lab().workDir();
            NginxServer.start(lab.lab(), Role.PRIMARY, work.resolve("nginx-primary"), x.address(Role.PRIMARY), PORT, www);
            NginxServer.start(lab.lab(), Role.BACKUP, work.resolve("nginx-backup"), x.address(Role.BACKUP), PORT, www);
            lab.startFailover(o.distribution(), progress);
            String url = "http://" + lab.address() + ":" + lab.port() + "/big.bin";
            Path downloads = x.folder("downloads");
            List<CurlDownload> clients = new ArrayList<>();
            for (int i = 0; i < o.clients(); i++) {
                clients.add(CurlDownload.start(lab.lab(), Role.CLIENT, "curl" + i, downloads, o.rateKib() * 1024, url));
            }
            progress.accept(o.clients() + " curls downloading " + o.fileMib() + " MiB at " + o.rateKib() + " KiB/s each from " + url);
            Await.sleep(o.beforeMillis());
            Instant pulled = lab.pull();
            progress.accept("primary's link pulled at " + pulled);
            Map<String, Object> m;
            try (ReceivedBytesWatch watch = ReceivedBytesWatch.start(lab.lab(), lab.port(),
                    Duration.ofMillis(Math.min(o.afterMillis(), 20_000)))) {
                Optional<Instant> failover = lab.failoverAt();
                Instant deadline = pulled.plusMillis(o.afterMillis());
                List<Optional<CurlDownload.Outcome>> outcomes = new ArrayList<>();
                for (CurlDownload c : clients) {
                    Duration left = Duration.between(Instant.now(), deadline);
                    outcomes.add(c.await(left.isNegative() ? Duration.ZERO : left));
                }
                watch.close();
                MigwareRun.write(raw.resolve("client-bytes.tsv"), watch.samples());
                m = analyse(system, clients, outcomes, expected, pulled, failover, watch.firstByteMillis(pulled, system.migware()),
                        watch.closedMillis(pulled),
                        lab.statusBefore());
            }
            keepRaw(lab, raw, m);
            m.put("raw", "raw/" + raw.getFileName());
            return m;
        }
    }

    private static Map<String, Object> analyse(FailoverSystem system, List<CurlDownload> clients,
            List<Optional<CurlDownload.Outcome>> outcomes, String expected, Instant pulled, Optional<Instant> failover,
            List<Double> firstBytes, List<Double> closedAt, String statusBefore) {
        int finished = 0;
        int rightSha = 0;
        int errors = 0;
        int hung = 0;
        List<Double> errorAfterPull = new ArrayList<>();
        List<Map<String, Object>> perClient = new ArrayList<>();
        for (int i = 0; i < clients.size(); i++) {
            Path body = clients.get(i).outputs().get(0);
            long size = size(body);
            String sha = size > 0 ? SeededFile.sha256(body) : "";
            boolean shaOk = sha.equals(expected);
            Optional<CurlDownload.Outcome> outcome = outcomes.get(i);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("client", "curl" + i);
            row.put("bytes", size);
            row.put("sha256", sha);
            row.put("sha256Right", shaOk);
            rightSha += shaOk ? 1 : 0;
            if (outcome.isEmpty()) {
                hung++;
                row.put("outcome", "hung");
            } else {
                CurlDownload.Outcome out = outcome.get();
                double after = MigwareRun.millisBetween(pulled, out.exited());
                row.put("exitCode", out.exitCode());
                row.put("exitedAfterPullMillis", after);
                row.put("stderr", out.stderr());
                if (out.exitCode() == 0) {
                    finished++;
                    row.put("outcome", "finished");
                } else {
                    errors++;
                    errorAfterPull.add(after);
                    row.put("outcome", "error");
                }
            }
            perClient.add(row);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("system", system.name().toLowerCase(java.util.Locale.ROOT));
        m.put("label", system.label());
        m.put("clients", clients.size());
        m.put("finished", finished);
        m.put("finishedRightSha256", (int) perClient.stream().filter(r -> "finished".equals(r.get("outcome"))
                && Boolean.TRUE.equals(r.get("sha256Right"))).count());
        m.put("rightSha256", rightSha);
        m.put("errors", errors);
        m.put("hung", hung);
        m.put("errorAfterPullMillis", LatencyStats.of(errorAfterPull).toJson());
        m.put("failoverMillis", MigwareRun.millisBetween(pulled, failover.orElse(null)));
        m.put("firstByteAfterPullMillis", LatencyStats.of(firstBytes).toJson());
        m.put("connectionsWithNewBytes", firstBytes.size());
        m.put("closedAtClientAfterPullMillis", LatencyStats.of(closedAt).toJson());
        m.put("expectedSha256", expected);
        m.put("linkPulledAt", pulled.toString());
        m.put("readiness", readiness(statusBefore));
        m.put("perClient", perClient);
        return m;
    }

    /** @return what MigWare said it could carry just before the pull (null for the baseline) */
    static Map<String, Object> readiness(String statusBefore) {
        if (statusBefore.isEmpty()) {
            return null;
        }
        Map<String, Object> r = new LinkedHashMap<>();
        for (String key : List.of("replayable", "resumableOnly", "notMigratable", "captureGaps")) {
            r.put(key, ReplayExperiment.count(statusBefore, key));
        }
        return r;
    }

    private static void keepRaw(ScenarioLab lab, Path raw, Map<String, Object> m) {
        List<String> files = new ArrayList<>();
        int n = ((Number) m.get("clients")).intValue();
        for (int i = 0; i < n; i++) {
            files.add("curl" + i + ".out");
            files.add("curl" + i + ".err");
        }
        lab.keepRaw(raw, files);
        Path work = lab.lab().workDir();
        for (String host : List.of("primary", "backup")) {
            for (String log : List.of("access.log", "error.log")) {
                MigwareRun.write(raw.resolve("nginx-" + host + "-" + log), LabFiles.readLog(work.resolve("nginx-" + host).resolve(log)));
            }
        }
        StringBuilder tsv = new StringBuilder("client\toutcome\texit\texited_after_pull_ms\tbytes\tsha256\tsha256_right\tstderr\n");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> rows = (List<Map<String, Object>>) m.get("perClient");
        for (Map<String, Object> r : rows) {
            tsv.append(r.get("client")).append('\t').append(r.get("outcome")).append('\t').append(r.getOrDefault("exitCode", ""))
                    .append('\t').append(r.getOrDefault("exitedAfterPullMillis", "")).append('\t').append(r.get("bytes")).append('\t')
                    .append(r.get("sha256")).append('\t').append(r.get("sha256Right")).append('\t')
                    .append(String.valueOf(r.getOrDefault("stderr", "")).replace('\n', ' ').replace('\t', ' ')).append('\n');
        }
        MigwareRun.write(raw.resolve("clients.tsv"), tsv.toString());
    }

    private static long size(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
