package org.migware.lab.report;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.migware.lab.network.LabNetwork;

/**
 * {@code bin/migware lab}: the main job. For each connection count N it runs the thesis's push
 * experiment with MigWare ({@link MigwareRun}) and the same workload through HAProxy
 * ({@link HaproxyRun}), shows progress while it runs, prints a result table and writes the report
 * ({@link ReportWriter}) to {@code lab-results/<timestamp>/}. With {@code --scenario download} or
 * {@code session} it runs issue 9's real-server scenarios instead ({@link ScenarioJob}), with
 * {@code --roles} issue 13's round trip ({@link RolesJob}).
 *
 * <p>Before anything is built it checks the machine ({@link Preflight}) and stops with what to
 * do when it cannot run. The labs remove their namespaces and processes when a run ends, fails,
 * or the job is interrupted (Ctrl-C: a shutdown hook closes the lab in use; each lab also has its
 * own hook).
 */
public final class LabJob {

    /** Printed when the job is interrupted and cleans up. */
    public static final String INTERRUPTED = "migware lab: interrupted: removing the lab's namespaces and processes";

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm-ss'Z'").withZone(ZoneOffset.UTC);

    /** Seconds a MigWare run takes besides its clients' run: lab, sinks, container, settling, analysis. */
    private static final long MIGWARE_OVERHEAD_MILLIS = 8000;
    /** The same for a baseline run. */
    private static final long BASELINE_OVERHEAD_MILLIS = 6000;

    private LabJob() {
    }

    /**
     * @param o the options
     * @return the job's estimated length
     */
    static long estimateMillis(JobOptions o) {
        long perN = o.beforeMillis() + o.afterMillis();
        long total = 0;
        for (int n : o.connections()) {
            // many connections cost a little more to start, capture and decode
            long extra = n * 10L;
            total += perN + MIGWARE_OVERHEAD_MILLIS + extra;
            if (o.baseline()) {
                total += perN + BASELINE_OVERHEAD_MILLIS + extra;
            }
        }
        return total;
    }

    /**
     * Runs the job.
     *
     * @param o what to run
     * @param out where the progress and the table go
     * @param terminal whether out is a terminal
     * @return the exit status: 0 every MigWare connection survived, 1 otherwise
     */
    static int run(JobOptions o, PrintStream out, boolean terminal) throws IOException {
        Path dir = o.out() != null ? o.out() : Path.of("lab-results", STAMP.format(Instant.now()));
        Files.createDirectories(dir.resolve("raw"));
        AtomicReference<LabNetwork> current = new AtomicReference<>();
        Thread cleanup = new Thread(() -> {
            LabNetwork lab = current.get();
            System.err.println(INTERRUPTED);
            if (lab != null) {
                try {
                    lab.close();
                } catch (RuntimeException e) {
                    System.err.println("migware lab: cleanup failed: " + e.getMessage() + "; remove what is left with"
                            + " bin/migware lab --remove-leftovers");
                }
            }
        }, "migware-lab-interrupted");
        Runtime.getRuntime().addShutdownHook(cleanup);
        if (o.roles() || o.scenario() != JobOptions.Scenario.PUSH) {
            try {
                return o.roles() ? RolesJob.run(o, dir, current, out, terminal) : ScenarioJob.run(o, dir, current, out, terminal);
            } finally {
                removeHook(cleanup);
            }
        }

        Instant started = Instant.now();
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("tool", "migware lab");
        root.put("formatVersion", 1);
        root.put("startedAt", started.toString());
        root.put("options", o.toJson());
        root.put("faults", Faults.describe(o));
        root.put("machine", machine(o));
        root.put("thesis", thesis());
        List<Map<String, Object>> migware = new ArrayList<>();
        List<Map<String, Object>> baseline = new ArrayList<>();
        root.put("migware", migware);
        root.put("baseline", o.baseline() ? baseline : null);
        List<String> notes = new ArrayList<>();
        root.put("notes", notes);
        if (o.faults() && o.faultLink() == JobOptions.FaultLink.MIRROR && o.baseline()) {
            notes.add("The faults are on the mirror, which only MigWare uses: the HAProxy runs have none.");
        }

        long plan = estimateMillis(o);
        int runs = o.connections().size() * (o.baseline() ? 2 : 1);
        int index = 0;
        boolean allSurvived = true;
        try (Progress progress = new Progress(out, terminal, plan)) {
            progress.line(String.format(Locale.ROOT, "migware lab: %d runs (N = %s; MigWare%s), about %s; report in %s", runs,
                    o.connections(), o.baseline() ? " and the HAProxy baseline" : " only", Progress.clock(plan), dir));
            for (int n : o.connections()) {
                long perN = o.beforeMillis() + o.afterMillis();
                progress.startRun(String.format(Locale.ROOT, "MigWare N=%d (%d/%d)", n, ++index, runs), perN + MIGWARE_OVERHEAD_MILLIS);
                Map<String, Object> m;
                try {
                    m = MigwareRun.run(o, n, dir.resolve("raw/migware-n" + n), current, progress::step);
                    progress.step(String.format(Locale.ROOT, "%d of %d survived; detected in %s, recovered in %s, added latency %s",
                            ((Number) m.get("survived")).intValue(), ((Number) m.get("clients")).intValue(),
                            ms(m.get("detectMillis")), ms(m.get("recoveryMillis")), ms(nested(m, "addedLatencyMillis", "median"))));
                    allSurvived &= ((Number) m.get("broken")).intValue() == 0 && ((Number) m.get("lostAfterResume")).longValue() == 0;
                } catch (RuntimeException e) {
                    m = failed(n, e);
                    allSurvived = false;
                    progress.step("FAILED: " + e.getMessage());
                }
                migware.add(m);
                progress.endRun();
                if (o.baseline()) {
                    progress.startRun(String.format(Locale.ROOT, "HAProxy N=%d (%d/%d)", n, ++index, runs),
                            perN + BASELINE_OVERHEAD_MILLIS);
                    Map<String, Object> b;
                    try {
                        b = HaproxyRun.run(o, n, dir.resolve("raw/haproxy-n" + n), current, progress::step);
                        progress.step(String.format(Locale.ROOT, "%d of %d connections broken, %d records lost; all reconnected %s",
                                ((Number) b.get("broken")).intValue(), n, ((Number) b.get("lost")).longValue(),
                                ((Number) b.get("neverReconnected")).intValue() == 0 ? "after " + ms(b.get("allReconnectedMillis"))
                                        : "never (" + b.get("neverReconnected") + " did not)"));
                    } catch (RuntimeException e) {
                        b = failed(n, e);
                        progress.step("FAILED: " + e.getMessage());
                    }
                    baseline.add(b);
                    progress.endRun();
                }
            }
            stampFinished(root, started);
            ReportWriter.write(dir, root);
        } finally {
            removeHook(cleanup);
        }
        out.println();
        out.print(ReportWriter.table(root));
        out.println();
        out.println("Report: " + dir.resolve("report.html") + " (summary.md, results.json, summary.csv, connections.csv,"
                + " latency.csv, raw/)");
        return allSurvived ? 0 : 1;
    }

    /** Puts the end of the job and its length into the report's root. */
    static void stampFinished(Map<String, Object> root, Instant started) {
        Instant finished = Instant.now();
        root.put("finishedAt", finished.toString());
        root.put("durationSeconds", java.time.Duration.between(started, finished).toMillis() / 1000.0);
    }

    private static void removeHook(Thread cleanup) {
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException e) {
            // shutting down: the hook is doing its work
        }
    }

    private static Map<String, Object> failed(int n, RuntimeException e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("connections", n);
        m.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
        return m;
    }

    static Object nested(Map<String, Object> m, String key, String inner) {
        Object v = m.get(key);
        return v instanceof Map<?, ?> map ? map.get(inner) : null;
    }

    static String ms(Object value) {
        if (!(value instanceof Number number) || !Double.isFinite(number.doubleValue())) {
            return "n/a";
        }
        double d = number.doubleValue();
        double a = Math.abs(d);
        // sub-millisecond latencies are the interesting ones on a LAN: keep microseconds there
        String format = a >= 100 ? "%.0f ms" : a >= 10 ? "%.1f ms" : a >= 1 ? "%.2f ms" : "%.3f ms";
        return String.format(Locale.ROOT, format, d);
    }

    /** @return the thesis's published figures (chapter 6.3), the report's reference column */
    static Map<String, Object> thesis() {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("source", "MigWare thesis (2004), chapter 6.3: Windows Server 2003, 10 Mbit hub, clients without TCP options");
        t.put("recoveryMillis", 456);
        t.put("recoveryMillisAt200", 680);
        t.put("tcpLatencyMillis", 175);
        t.put("proxyTotalMillis", 787);
        t.put("addedLatencyMillis", 612);
        t.put("survived", 200);
        t.put("of", 200);
        return t;
    }

    static Map<String, Object> machine(JobOptions o) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("kernel", read(Path.of("/proc/sys/kernel/osrelease")));
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        m.put("haproxy", o.baseline() ? firstLine(List.of(Preflight.tool("haproxy"), "-v")) : null);
        m.put("distribution", o.distribution() == null ? null : o.distribution().toAbsolutePath().toString());
        return m;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).trim();
        } catch (IOException e) {
            return "";
        }
    }

    private static String firstLine(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            return text.lines().findFirst().orElse("").trim();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /**
     * The command: see {@link JobOptions#usage()}.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h")) {
                System.out.println(JobOptions.usage());
                System.exit(0);
            }
        }
        JobOptions options;
        try {
            options = JobOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("migware lab: " + e.getMessage());
            System.err.println();
            System.err.println(JobOptions.usage());
            System.exit(2);
            return;
        }
        List<String> problems = Preflight.problems(options);
        if (!options.framing().equals("none") && options.distribution() != null && problems.isEmpty()
                && !MigwareRun.framingSupported(options.distribution())) {
            problems.add("--framing " + options.framing() + ": the proxy of " + options.distribution() + " has no record framing"
                    + " (its configuration declares no 'framing'); run with --framing none, or a newer build");
        }
        if (!problems.isEmpty()) {
            for (String p : problems) {
                System.err.println("migware lab: cannot run: " + p);
            }
            System.exit(2);
            return;
        }
        if (options.removeLeftovers()) {
            for (String prefix : List.of(options.prefix(), options.baselinePrefix())) {
                List<String> names = Preflight.leftoverNamespaces(prefix);
                if (!names.isEmpty()) {
                    LabNetwork.removeLeftovers(prefix);
                    System.out.println("migware lab: removed " + names + " and the processes in them");
                }
            }
        }
        int status;
        try {
            status = run(options, System.out, System.console() != null);
        } catch (IOException | RuntimeException e) {
            System.err.println("migware lab: " + e.getMessage());
            status = 1;
        } catch (LinkageError e) {
            // lib/migware-lab.jar older or newer than this jar: say so rather than print a stack trace
            System.err.println("migware lab: lib/migware-lab.jar and lib/migware-lab-report.jar are from different builds (" + e
                    + "); rebuild the distribution (mvn -B package -DskipTests)");
            status = 2;
        }
        System.exit(status);
    }
}
