package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.migware.lab.chromium.HeadlessChromium;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.report.Json;
import org.migware.lab.report.LabJob;
import org.migware.lab.report.ReportWriter;

/**
 * {@code migware lab}, the main job, on a small configuration (N = 1 and 20, the thesis's push
 * workload, the primary's link pulled after 4 s), run as the command runs it: its main class in a
 * JVM of its own with the lab's and the report's jars, against the built distribution. The JSON
 * it writes is the oracle of what the applications saw: every MigWare connection lived on with no
 * record lost after the resume point; every connection through HAProxy broke and records were
 * lost. The HTML report is then opened in headless Chromium: no script error, every chart drawn,
 * and a screenshot that is a real picture. A second test interrupts the command (SIGINT, Ctrl-C)
 * and finds neither namespaces nor processes left.
 */
class LabReportTest {

    private static final String PREFIX = "mwrit";
    private static final String INTERRUPT_PREFIX = "mwric";
    private static final List<String> CHARTS = List.of("chart-recovery", "chart-latency", "chart-timeline");

    @TempDir
    static Path work;

    private static Path report;
    private static Map<String, Object> results;
    private static String output;

    @BeforeAll
    static void runTheCommand() throws Exception {
        report = work.resolve("report");
        LabJobProcess run = job(List.of("--connections", "1,20", "--prefix", PREFIX, "--out", report.toString()), work.resolve("job"));
        boolean ended = run.process().waitFor(4, TimeUnit.MINUTES);
        output = read(run.out()) + read(run.err());
        assertTrue(ended, () -> "the job did not end within 4 minutes:\n" + tail(output));
        assertEquals(0, run.process().exitValue(), () -> "exit status; output:\n" + tail(output));
        results = Json.parseObject(Files.readString(report.resolve("results.json")));
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyMigwareConnectionLivesOnWhileHaproxysBreak() {
        List<Map<String, Object>> migware = (List<Map<String, Object>>) results.get("migware");
        List<Map<String, Object>> baseline = (List<Map<String, Object>>) results.get("baseline");
        assertEquals(List.of(1L, 20L), migware.stream().map(r -> r.get("connections")).toList());
        assertEquals(List.of(1L, 20L), baseline.stream().map(r -> r.get("connections")).toList());
        long baselineLost = 0;
        for (Map<String, Object> r : migware) {
            assertFalse(r.containsKey("error"), () -> "the run failed: " + r.get("error"));
            long n = (Long) r.get("connections");
            assertEquals(n, r.get("clients"), "every client connection reported");
            assertEquals(n, r.get("survived"), () -> "broken: " + r.get("brokenExamples"));
            assertEquals(0L, r.get("lostAfterResume"), "no record lost after the resume point");
            List<Map<String, Object>> conns = (List<Map<String, Object>>) r.get("perConnection");
            assertEquals(n, conns.size());
            for (Map<String, Object> c : conns) {
                assertEquals(true, c.get("survived"), c::toString);
                assertEquals(0L, c.get("lostAfterResume"), c::toString);
                assertEquals("", c.get("clientError"), c::toString);
                assertEquals(c.get("recordsSent"), c.get("replicaLast"), () -> "the replica got the last record: " + c);
            }
            // the log and the wire were read: MigWare decided, recovered and proxied
            assertTrue(((Number) r.get("recovered")).longValue() == n, () -> "recovered: " + r.get("recoveryLine"));
            assertTrue(((Number) ((Map<String, Object>) r.get("proxyTotalMillis")).get("count")).longValue() > 0,
                    "PSH -> ACK samples through the proxy");
            assertTrue(((Number) ((Map<String, Object>) r.get("tcpLatencyMillis")).get("count")).longValue() > 0,
                    "PSH -> ACK samples before the pull");
        }
        for (Map<String, Object> r : baseline) {
            assertFalse(r.containsKey("error"), () -> "the baseline run failed: " + r.get("error"));
            long n = (Long) r.get("connections");
            // with the primary's link pulled, HAProxy closes every session it had there; the clients must reconnect
            assertEquals(n, r.get("broken"), () -> "connections through HAProxy that broke: " + r);
            assertEquals(0L, r.get("neverReconnected"), "every client got back in through the backup server");
            baselineLost += (Long) r.get("lost");
        }
        assertTrue(baselineLost > 0, "records the clients wrote between the pull and the break reached neither server");
        assertTrue(output.contains("survived") && output.contains("HAProxy baseline"), "the result table:\n" + tail(output));
    }

    @Test
    void theReportFilesAreThereAndNoNamespaceIsLeft() throws IOException {
        for (String file : ReportWriter.FILES) {
            assertTrue(Files.size(report.resolve(file)) > 100, file);
        }
        for (String run : List.of("migware-n1", "migware-n20", "haproxy-n1", "haproxy-n20")) {
            assertTrue(Files.size(report.resolve("raw").resolve(run).resolve("client.pcap")) > 0, run + "'s capture");
        }
        String md = Files.readString(report.resolve("summary.md"));
        assertTrue(md.contains("456 ms") && md.contains("612 ms") && md.contains("175 ms") && md.contains("200 of 200"), md);
        assertFalse(LabNetwork.leftovers(PREFIX), "the MigWare lab's namespaces are gone");
        assertFalse(LabNetwork.leftovers(PREFIX + "h"), "the baseline lab's namespaces are gone");
    }

    @Test
    void theHtmlReportDrawsItsChartsInChromiumWithoutErrors() throws Exception {
        String url = report.resolve("report.html").toUri().toString();
        HeadlessChromium.Run dom = HeadlessChromium.run(List.of("--enable-logging=stderr", "--v=0", "--dump-dom", url), work.resolve("chromium-dom"));
        assertEquals(0, dom.exit(), () -> "chromium failed: " + dom.stderrTail());
        assertTrue(dom.stdout().contains("data-js-errors=\"0\""), () -> "script errors: " + between(dom.stdout(), "<pre id=\"js-errors\"", "</pre>"));
        // the page never logs: any console line (errors included) is a failure
        assertEquals(List.of(), dom.console(), "console messages");
        assertTrue(dom.stdout().contains("data-charts-drawn=\"3\""), () -> "charts drawn: " + between(dom.stdout(), "<body", ">"));
        for (String chart : CHARTS) {
            Matcher m = Pattern.compile("id=\"" + chart + "\" data-drawn=\"(\\d+)\" data-chart-ok=\"yes\"").matcher(dom.stdout());
            assertTrue(m.find(), () -> chart + " not drawn: " + between(dom.stdout(), "id=\"" + chart + "\"", ">"));
            assertTrue(Integer.parseInt(m.group(1)) > 0, chart + " has no data marks");
        }
        // the timeline holds a dot per record of the largest N, from the capture
        Matcher circles = Pattern.compile("<circle").matcher(between(dom.stdout(), "id=\"chart-timeline\"", "</svg>"));
        int dots = 0;
        while (circles.find()) {
            dots++;
        }
        assertTrue(dots > 20 * 5, "timeline dots: " + dots);

        Path png = work.resolve("report.png");
        HeadlessChromium.Run shot = HeadlessChromium.run(List.of("--hide-scrollbars", "--window-size=1280,2400", "--screenshot=" + png, url),
                work.resolve("chromium-shot"));
        assertEquals(0, shot.exit(), () -> "chromium failed: " + shot.stderrTail());
        assertTrue(Files.isRegularFile(png), "screenshot saved");
        HeadlessChromium.Picture picture = HeadlessChromium.picture(png);
        assertEquals(1280, picture.width());
        assertEquals(2400, picture.height());
        // text, tables and the coloured series: many colours and a fair share of non-white pixels
        assertTrue(picture.colours() > 50, "distinct colours: " + picture.colours());
        assertTrue(picture.inked() > picture.sampled() / 20, "non-white pixels: " + picture.inked() + " of " + picture.sampled());
        Files.copy(png, Path.of("target", "lab-report-screenshot.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void ctrlCRemovesTheLabAndItsProcesses() throws Exception {
        Path out = work.resolve("interrupted");
        LabJobProcess run = job(List.of("--connections", "1", "--baseline", "off", "--prefix", INTERRUPT_PREFIX, "--after-s", "30",
                "--out", out.toString()), work.resolve("interrupt-job"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!read(run.out()).contains("primary's link pulled") && run.process().isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertTrue(run.process().isAlive(), () -> "the job ended before it could be interrupted:\n" + tail(read(run.out()) + read(run.err())));
        assertTrue(LabNetwork.leftovers(INTERRUPT_PREFIX), "the lab is up while the job runs");
        new ProcessBuilder("kill", "-INT", Long.toString(run.process().pid())).start().waitFor();
        assertTrue(run.process().waitFor(60, TimeUnit.SECONDS), "the job ends after Ctrl-C");
        String err = read(run.err());
        assertNotEquals(0, run.process().exitValue());
        assertTrue(err.contains(LabJob.INTERRUPTED), err);
        assertFalse(LabNetwork.leftovers(INTERRUPT_PREFIX), "no namespace left");
        // MigWare, the sinks, the client and tcpdump all ran with the lab's work folder in their command lines
        List<String> left = ProcessHandle.allProcesses().map(p -> p.info().commandLine().orElse(""))
                .filter(c -> c.contains("migware-lab-" + INTERRUPT_PREFIX + "-")).collect(Collectors.toList());
        assertEquals(List.of(), left, "processes of the interrupted lab");
    }

    // ------------------------------------------------------------------ helpers

    /** Starts LabJob as bin/migware does. */
    private static LabJobProcess job(List<String> args, Path logs) throws IOException {
        return LabJobProcess.start(args, logs);
    }

    private static String read(Path file) {
        return LabJobProcess.read(file);
    }

    private static String tail(String text) {
        return LabJobProcess.tail(text);
    }

    private static String between(String text, String from, String to) {
        int a = text.indexOf(from);
        if (a < 0) {
            return "(no " + from + ")";
        }
        int b = text.indexOf(to, a + from.length());
        return text.substring(a, b < 0 ? Math.min(text.length(), a + 2000) : b + to.length());
    }
}
