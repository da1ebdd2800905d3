package org.migware.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bootDelegationPackage;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.servlet.Filter;
import javax.servlet.FilterChain;
import javax.servlet.FilterConfig;
import javax.servlet.ServletException;
import javax.servlet.ServletRequest;
import javax.servlet.ServletResponse;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.migware.lab.chromium.HeadlessChromium;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceRegistration;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * The web page {@code /migware/} and its JSON, on a table of 10,000 connections fed from a pcap
 * file through capture-file. The oracle is tshark's reading of the same file: which client
 * opened a connection to which port. {@code /api/connections} filters by either end and pages
 * (every connection exactly once across the pages); {@code migware:connections --filter --limit}
 * answers the same; headless Chromium draws the state and the filtered rows with no script error
 * and no console message. The time of a JSON page at 10,000 connections is printed, not asserted.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class WebPageTest extends MigwareTestSupport {

    /** 100 clients x 100 ports: 10,000 connections; a third of them to port 8443, the rest to 8080. */
    private static final int CLIENTS = 100;
    private static final int PORTS_PER_CLIENT = 100;
    private static final Duration FEED_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration TSHARK_TIMEOUT = Duration.ofSeconds(120);
    private static final String WEB_STATUS = "/api/status";

    /** The connections as tshark reads them from the file: client ip, client port, server port. */
    private static List<String[]> tsharkConnections;

    @Override
    protected Option[] additionalOptions() {
        // HeadlessChromium comes from the test's class path (itests/lab), not from a bundle
        return new Option[] {
            frameworkProperty("org.osgi.framework.bundle.parent").value("app"),
            bootDelegationPackage(HeadlessChromium.PACKAGE),
        };
    }

    @Test
    public void theJsonFiltersByEitherEndAndPagesTheTableAsTsharkReadsTheCapture() throws Exception {
        HttpEndpoint http = feed();
        int all = tsharkConnections.size();
        assertEquals("connections tshark finds in the written file", CLIENTS * PORTS_PER_CLIENT, all);

        // filters by the client's address, its address and port, the server's port, the server's address and port
        String client = "198.51.100.7";
        assertFilter(http, client, c -> c[0].equals(client));
        assertFilter(http, client + ":40003", c -> c[0].equals(client) && c[1].equals("40003"));
        assertFilter(http, ":8443", c -> c[2].equals("8443"));
        assertFilter(http, PcapFixture.SERVER_IP + ":8080", c -> c[2].equals("8080"));
        assertFilter(http, "203.0.113.1", c -> false);

        // every connection exactly once over the pages, each page full but the last, oldest first
        Set<String> seen = new HashSet<>();
        int limit = 1000;
        List<Long> pageNanos = new ArrayList<>();
        for (int offset = 0; offset < all; offset += limit) {
            long start = System.nanoTime();
            JsonObject page = json(http, "/api/connections?limit=" + limit + "&offset=" + offset);
            pageNanos.add(System.nanoTime() - start);
            assertEquals(all, page.get("total").getAsInt());
            JsonArray rows = page.getAsJsonArray("connections");
            assertEquals("page at " + offset, Math.min(limit, all - offset), rows.size());
            String previous = null;
            for (JsonElement row : rows) {
                JsonObject c = row.getAsJsonObject();
                assertTrue("twice: " + c, seen.add(key(c)));
                String firstSeen = c.get("firstSeen").getAsString();
                assertTrue("oldest first: " + previous + " then " + firstSeen, previous == null
                        || Instant.parse(previous).compareTo(Instant.parse(firstSeen)) <= 0);
                previous = firstSeen;
            }
        }
        Set<String> expected = new HashSet<>();
        tsharkConnections.forEach(c -> expected.add(c[0] + ":" + c[1] + "->" + c[2]));
        assertEquals("the pages hold tshark's connections", expected, seen);

        // a wrong query is refused with its reason; the page only reads
        HttpResponse<String> wrong = http.get("/api/connections?filter=" + enc("198.51.100.7:http"));
        assertEquals(wrong.body(), 400, wrong.statusCode());
        assertTrue(wrong.body(), wrong.body().contains("'http' is not a number"));
        assertEquals(400, http.get("/api/connections?limit=100000").statusCode());
        assertEquals(405, http.post("/api/connections").statusCode());
        assertEquals(405, http.post("/api/status").statusCode());
        HttpResponse<String> html = http.get("/migware/");
        assertEquals(200, html.statusCode());
        assertTrue(html.headers().firstValue("Content-Security-Policy").orElse("").contains("default-src 'none'"));
        assertEquals(302, http.get("/migware").statusCode());
        assertEquals(404, http.get("/migware/other.js").statusCode());

        // the shell's command answers the same as the page's JSON
        JsonObject shell = JsonParser.parseString(gogo("migware:connections --json --filter " + client + " --limit 5")).getAsJsonObject();
        JsonObject web = json(http, "/api/connections?filter=" + client + "&limit=5");
        assertEquals(tsharkConnections.stream().filter(c -> c[0].equals(client)).count(), shell.get("total").getAsLong());
        assertEquals(rows(web), rows(shell));

        // the time of a page at 10,000 connections, measured (not asserted)
        List<Long> fifty = time(http, "/api/connections?limit=50", 20);
        List<Long> filtered = time(http, "/api/connections?limit=50&filter=" + enc(client + ":40003"), 20);
        List<Long> lastPage = time(http, "/api/connections?limit=50&offset=" + (all - 50), 20);
        List<Long> status = time(http, "/api/status", 20);
        System.out.printf("web page JSON at %d connections (median / max of 20 GETs): limit=50 %s; filtered %s; last page %s;"
                + " limit=1000 pages %s; /api/status %s%n", all, millis(fifty), millis(filtered), millis(lastPage), millis(pageNanos),
                millis(status));
        long shellStart = System.nanoTime();
        gogo("migware:connections --filter " + client + " --limit 50");
        System.out.printf("migware:connections --filter %s --limit 50 at %d connections: %.1f ms%n", client, all,
                (System.nanoTime() - shellStart) / 1e6);
    }

    @Test
    public void headlessChromiumDrawsTheStateAndTheFilteredRowsWithoutErrors() throws Exception {
        HttpEndpoint http = feed();
        String client = "198.51.100.42";
        long matching = tsharkConnections.stream().filter(c -> c[0].equals(client)).count();
        String url = http.base().resolve("migware/?filter=" + client + "&limit=25").toString();
        Path work = Path.of("target", "web-page-chromium").toAbsolutePath();

        // two seconds of virtual time: the first fetches and at least one refresh
        HeadlessChromium.Run dom = HeadlessChromium.run(List.of("--enable-logging=stderr", "--v=0", "--virtual-time-budget=2500",
                "--dump-dom", url), work.resolve("dom"));
        assertEquals("chromium failed: " + dom.stderrTail(), 0, dom.exit());
        String page = dom.stdout();
        assertEquals("console messages", List.of(), dom.console());
        String bodyTag = between(page, "<body", ">");
        assertTrue(bodyTag, bodyTag.contains("data-js-errors=\"0\""));
        assertTrue(bodyTag, bodyTag.contains("data-state=\"" + stateNow(http) + "\""));
        Matcher refreshes = Pattern.compile("data-refreshes=\"(\\d+)\"").matcher(bodyTag);
        assertTrue(bodyTag, refreshes.find() && Integer.parseInt(refreshes.group(1)) >= 2);
        String table = between(page, "<table id=\"connections\"", ">");
        assertTrue(table, table.contains("data-rows=\"25\""));
        assertTrue(table, table.contains("data-total=\"" + matching + "\""));
        String rows = between(page, "<table id=\"connections\"", "</table>");
        Matcher clients = Pattern.compile("<tr><td>([0-9.]+):(\\d+)</td><td>([0-9.]+):(\\d+)</td>").matcher(rows);
        Set<String> shown = new HashSet<>();
        while (clients.find()) {
            assertEquals(clients.group(0), client, clients.group(1));
            shown.add(clients.group(2));
        }
        assertEquals("distinct clients shown: " + shown, 25, shown.size());
        assertTrue(page, page.contains("1\u201325 of " + matching + " matching " + client));
        // the timeline has the core's first state, with its reason
        String timeline = between(page, "<table id=\"timeline\"", "</table>");
        assertTrue(timeline, timeline.contains("<td>start</td><td class=\"NORMAL\">NORMAL</td>"));

        Path png = work.resolve("page.png");
        HeadlessChromium.Run shot = HeadlessChromium.run(List.of("--hide-scrollbars", "--window-size=1280,1600", "--virtual-time-budget=2500",
                "--screenshot=" + png, url), work.resolve("shot"));
        assertEquals("chromium failed: " + shot.stderrTail(), 0, shot.exit());
        HeadlessChromium.Picture picture = HeadlessChromium.picture(png);
        assertEquals(1280, picture.width());
        assertTrue("non-white pixels: " + picture.inked() + " of " + picture.sampled(), picture.inked() > picture.sampled() / 20);
        Files.copy(png, Path.of("target", "web-page-screenshot.png"), StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * The page follows a failover without a reload: a whiteboard filter counts the page's
     * {@code /api/status} requests and, on the third, fails over ({@code migware:failover --force})
     * before the request is answered. Chromium's virtual time runs the page's one-second refresh
     * 30 times in one load; the states it drew must start NORMAL and end in the failover's state,
     * and the timeline must show the change with its reason.
     */
    @Test
    public void thePageFollowsAFailoverWithoutAReload() throws Exception {
        HttpEndpoint http = feed();
        AtomicInteger statusRequests = new AtomicInteger();
        AtomicReference<String> failover = new AtomicReference<>();
        String reason = "WebPageTest pulls the primary";
        Filter failOverOnTheThird = new Filter() {
            @Override
            public void init(FilterConfig config) {
                // nothing to set up
            }

            @Override
            public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain) throws IOException, ServletException {
                if (statusRequests.incrementAndGet() == 3) {
                    try {
                        failover.set(gogo("migware:failover --force " + reason));
                    } catch (Exception e) {
                        failover.set("failed: " + e);
                    }
                }
                chain.doFilter(request, response);
            }

            @Override
            public void destroy() {
                // nothing to release
            }
        };
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put("osgi.http.whiteboard.filter.pattern", WEB_STATUS);
        properties.put("osgi.http.whiteboard.filter.name", "web-page-test-failover");
        ServiceRegistration<Filter> registration = bundleContext.registerService(Filter.class, failOverOnTheThird, properties);
        try {
            // the whiteboard takes the filter up on its own time: wait until it counts, then start from zero
            Instant deadline = Instant.now().plus(TIMEOUT);
            while (statusRequests.get() == 0 && Instant.now().isBefore(deadline)) {
                http.get(WEB_STATUS);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            }
            assertTrue("the whiteboard did not take up the filter within " + TIMEOUT.toSeconds() + " s", statusRequests.get() > 0);
            assertTrue(json(http, WEB_STATUS).getAsJsonObject("status").getAsJsonObject("failover").get("state").getAsString().equals("NORMAL"));
            statusRequests.set(0);

            HeadlessChromium.Run dom = HeadlessChromium.run(List.of("--enable-logging=stderr", "--v=0", "--virtual-time-budget=30000",
                    "--dump-dom", http.base().resolve("migware/?limit=25").toString()), Path.of("target", "web-page-chromium", "failover").toAbsolutePath());
            assertEquals("chromium failed: " + dom.stderrTail(), 0, dom.exit());
            assertEquals("console messages", List.of(), dom.console());
            assertTrue("the failover: " + failover.get(), failover.get() != null && !failover.get().startsWith("failed"));
            String bodyTag = between(dom.stdout(), "<body", ">");
            assertTrue(bodyTag, bodyTag.contains("data-js-errors=\"0\""));
            Matcher seen = Pattern.compile("data-states-seen=\"([A-Z ]+)\"").matcher(bodyTag);
            assertTrue(bodyTag, seen.find());
            List<String> states = List.of(seen.group(1).split(" "));
            assertEquals(bodyTag, "NORMAL", states.get(0));
            assertTrue(bodyTag, states.size() >= 2 && List.of("RECOVERY", "PROXY").contains(states.get(states.size() - 1)));
            Matcher refreshes = Pattern.compile("data-refreshes=\"(\\d+)\"").matcher(bodyTag);
            assertTrue(bodyTag, refreshes.find() && Integer.parseInt(refreshes.group(1)) >= 10);
            assertTrue("status requests " + statusRequests.get(), statusRequests.get() >= 10);
            String timeline = between(dom.stdout(), "<table id=\"timeline\"", "</table>");
            assertTrue(timeline, timeline.contains("<td>NORMAL</td><td class=\"RECOVERY\">RECOVERY</td><td class=\"reason\">manual trigger: " + reason));
            System.out.printf("the page drew %s in one load, %s refreshes%n", states, refreshes.group(1));
        } finally {
            registration.unregister();
        }
    }

    // ------------------------------------------------------------------ the table

    /** Configures the service and capture-file once per container and waits until the table holds the file's connections. */
    private HttpEndpoint feed() throws Exception {
        HttpEndpoint http = HttpEndpoint.of(bundleContext, TIMEOUT);
        synchronized (WebPageTest.class) {
            if (tsharkConnections == null) {
                List<PcapFixture.Connection> connections = new ArrayList<>();
                for (int port = 0; port < PORTS_PER_CLIENT; port++) {
                    for (int c = 1; c <= CLIENTS; c++) {
                        int clientPort = 40000 + port;
                        connections.add(new PcapFixture.Connection("198.51.100." + c, clientPort, clientPort % 3 == 0 ? 8443 : 8080));
                    }
                }
                Path file = PcapFixture.writeHandshakes(Path.of("target", "web-page", "10000-connections.pcap").toAbsolutePath(), connections);
                tsharkConnections = tshark(file);
                configure("org.migware.service", Map.of("addresses", new String[] {PcapFixture.SERVER_IP}, "ports", new int[] {8080, 8443}));
                configure("org.migware.capture.file", Map.of("path", file.toString()));
            }
        }
        http.awaitServed("/api/connections", TIMEOUT);
        Instant deadline = Instant.now().plus(FEED_TIMEOUT);
        int total = -1;
        while (Instant.now().isBefore(deadline)) {
            total = json(http, "/api/connections?limit=0").get("total").getAsInt();
            if (total == tsharkConnections.size()) {
                return http;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
        throw new AssertionError("the table holds " + total + " connections after " + FEED_TIMEOUT.toSeconds() + " s, not tshark's "
                + tsharkConnections.size());
    }

    /** tshark's reading of the file: one entry per client SYN (client ip, client port, server port). */
    private static List<String[]> tshark(Path file) throws IOException, InterruptedException {
        Process tshark;
        try {
            tshark = new ProcessBuilder("tshark", "-n", "-r", file.toString(), "-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 0",
                    "-T", "fields", "-e", "ip.src", "-e", "tcp.srcport", "-e", "tcp.dstport").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new AssertionError("tshark is missing: install the Debian package 'tshark' (.ci/setup-machine does)", e);
        }
        String out = new String(tshark.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("tshark did not finish", tshark.waitFor(TSHARK_TIMEOUT.toSeconds(), TimeUnit.SECONDS));
        assertEquals("tshark's exit status", 0, tshark.exitValue());
        List<String[]> connections = new ArrayList<>();
        out.lines().filter(line -> !line.isBlank()).forEach(line -> connections.add(line.trim().split("\\s+")));
        return Collections.unmodifiableList(connections);
    }

    private static void assertFilter(HttpEndpoint http, String filter, Predicate<String[]> tsharkMatch) {
        long expected = tsharkConnections.stream().filter(tsharkMatch).count();
        JsonObject page = json(http, "/api/connections?limit=50&filter=" + enc(filter));
        assertEquals("total for filter " + filter, expected, page.get("total").getAsLong());
        JsonArray rows = page.getAsJsonArray("connections");
        assertEquals("page size for filter " + filter, Math.min(50, expected), rows.size());
        Set<String> expectedKeys = new HashSet<>();
        tsharkConnections.stream().filter(tsharkMatch).forEach(c -> expectedKeys.add(c[0] + ":" + c[1] + "->" + c[2]));
        for (JsonElement row : rows) {
            assertTrue(filter + " let through " + row, expectedKeys.contains(key(row.getAsJsonObject())));
        }
    }

    private static String key(JsonObject connection) {
        JsonObject client = connection.getAsJsonObject("client");
        JsonObject server = connection.getAsJsonObject("server");
        return client.get("address").getAsString() + ":" + client.get("port").getAsInt() + "->" + server.get("port").getAsInt();
    }

    private static List<String> rows(JsonObject report) {
        List<String> keys = new ArrayList<>();
        report.getAsJsonArray("connections").forEach(row -> keys.add(key(row.getAsJsonObject())));
        return keys;
    }

    /** @return the failover state the core reports now (the page's other test fails over) */
    private static String stateNow(HttpEndpoint http) {
        return json(http, WEB_STATUS).getAsJsonObject("status").getAsJsonObject("failover").get("state").getAsString();
    }

    private static JsonObject json(HttpEndpoint http, String path) {
        HttpResponse<String> response = http.get(path);
        assertEquals(path + ": " + response.body(), 200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        return JsonParser.parseString(response.body()).getAsJsonObject();
    }

    private static List<Long> time(HttpEndpoint http, String path, int times) {
        List<Long> nanos = new ArrayList<>();
        for (int i = 0; i < times; i++) {
            long start = System.nanoTime();
            assertEquals(200, http.get(path).statusCode());
            nanos.add(System.nanoTime() - start);
        }
        return nanos;
    }

    private static String millis(List<Long> nanos) {
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        return String.format("%.1f / %.1f ms", sorted.get(sorted.size() / 2) / 1e6, sorted.get(sorted.size() - 1) / 1e6);
    }

    private String gogo(String command) throws Exception {
        CommandProcessor processor = waitForService(CommandProcessor.class);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (CommandSession session = processor.createSession(new java.io.ByteArrayInputStream(new byte[0]), out, out)) {
            Object result = session.execute(command);
            if (result != null) {
                out.print(session.format(result, 0));
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static String enc(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    private static String between(String text, String from, String to) {
        int a = text.indexOf(from);
        if (a < 0) {
            return "(no " + from + ")";
        }
        int b = text.indexOf(to, a + from.length());
        return b < 0 ? text.substring(a) : text.substring(a, b + to.length());
    }
}
