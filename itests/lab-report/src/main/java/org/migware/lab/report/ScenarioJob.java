package org.migware.lab.report;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.migware.lab.network.LabNetwork;

/**
 * {@code bin/migware lab --scenario download|session}: issue 9's workloads with real servers, run
 * three ways one after the other ({@link FailoverSystem}: MigWare resume, MigWare replay, the
 * HAProxy baseline), each in a lab of its own, with the same pull. Writes {@code results.json},
 * {@code summary.md} ({@link ScenarioReport}) and the clients' logs under {@code raw/}.
 */
final class ScenarioJob {

    /** A run's time besides its clients': the lab, the servers, MigWare's start, the hashes. */
    private static final long OVERHEAD_MILLIS = 15_000;

    private ScenarioJob() {
    }

    /** @return the scenario's estimated length */
    static long estimateMillis(JobOptions o) {
        long perRun = o.beforeMillis() + OVERHEAD_MILLIS;
        if (o.scenario() == JobOptions.Scenario.DOWNLOAD) {
            // replay carries the downloads to their end; resume and HAProxy end them at the pull
            long whole = o.fileMib() * 1024 * 1000 / o.rateKib();
            return 3 * perRun + Math.min(o.afterMillis(), Math.max(0, whole - o.beforeMillis()) + 5000) + 2 * 5000;
        }
        return 3 * (perRun + o.afterMillis());
    }

    /**
     * @return the exit status: 0 when with replay every client carried on (every download finished
     *     with the right SHA-256; every publisher without error or reconnect), 1 otherwise
     */
    static int run(JobOptions o, Path dir, AtomicReference<LabNetwork> current, PrintStream out, boolean terminal)
            throws IOException {
        Instant started = Instant.now();
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("tool", "migware lab");
        root.put("formatVersion", 1);
        root.put("scenario", o.scenario().option());
        root.put("startedAt", started.toString());
        root.put("options", o.toJson());
        List<Map<String, Object>> runs = new ArrayList<>();
        root.put("runs", runs);
        long plan = estimateMillis(o);
        FailoverSystem[] systems = FailoverSystem.values();
        try (Progress progress = new Progress(out, terminal, plan)) {
            progress.line(String.format(Locale.ROOT, "migware lab --scenario %s: %d runs (MigWare resume, MigWare replay, HAProxy),"
                    + " about %s; report in %s", o.scenario().option(), systems.length, Progress.clock(plan), dir));
            int index = 0;
            for (FailoverSystem system : systems) {
                progress.startRun(String.format(Locale.ROOT, "%s (%d/%d)", system.label(), ++index, systems.length), plan / 3);
                Path raw = dir.resolve("raw").resolve(system.folder());
                Map<String, Object> r;
                try {
                    r = o.scenario() == JobOptions.Scenario.DOWNLOAD ? DownloadRun.run(o, system, raw, current, progress::step)
                            : SessionRun.run(o, system, raw, current, progress::step);
                    progress.step(ScenarioReport.oneLine(r));
                } catch (RuntimeException e) {
                    r = new LinkedHashMap<>();
                    r.put("system", system.name().toLowerCase(Locale.ROOT));
                    r.put("label", system.label());
                    r.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
                    progress.step("FAILED: " + e.getMessage());
                }
                runs.add(r);
                progress.endRun();
            }
        }
        LabJob.stampFinished(root, started);
        Files.writeString(dir.resolve("results.json"), Json.write(root));
        String md = ScenarioReport.markdown(root);
        Files.writeString(dir.resolve("summary.md"), md);
        out.println();
        out.print(ScenarioReport.table(root));
        out.println();
        out.println("Report: " + dir.resolve("summary.md") + " (results.json, raw/)");
        return replayCarriedEverything(runs) ? 0 : 1;
    }

    private static boolean replayCarriedEverything(List<Map<String, Object>> runs) {
        for (Map<String, Object> r : runs) {
            if (!FailoverSystem.REPLAY.name().toLowerCase(Locale.ROOT).equals(r.get("system"))) {
                continue;
            }
            if (r.containsKey("error")) {
                return false;
            }
            if (r.containsKey("clients")) {
                return r.get("clients").equals(r.get("finishedRightSha256"));
            }
            // the subscriber is reported, not judged: its replayed stream depends on how the replica's broker
            // interleaves the publishers, so it may diverge, be reset and subscribe again (README: replay)
            return r.get("publishers").equals(r.get("publishersCarriedOn"));
        }
        return false;
    }
}
