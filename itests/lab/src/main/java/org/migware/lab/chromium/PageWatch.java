package org.migware.lab.chromium;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.migware.lab.Args;
import org.migware.lab.JavaCommand;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * Keeps a page open in headless Chromium in real time and reports what it shows, through the
 * DevTools protocol: {@code --dump-dom} runs a page's timers in virtual time, so a page that must
 * follow something real (a cable pulled) has to stay open while it happens.
 *
 * <p>It runs where the page is served, e.g. in a lab namespace next to a server bound to
 * loopback: it starts Chromium on {@code about:blank} with {@code --remote-debugging-port=0},
 * enables the console and the log, navigates to the page, marks the page's window (a reload would
 * lose the mark) and then evaluates {@code --expression} every {@code --poll-ms}, printing a line
 * {@code page <epoch ms> <value>} whenever the value changes. When {@code --stop-file} appears (or
 * after {@code --max-ms}) it saves a screenshot to {@code --screenshot}, prints each console
 * message and script exception as {@code console <level> <text>}, then {@value #DONE}.
 *
 * <pre>
 * ip netns exec NS java -cp lab.jar org.migware.lab.chromium.PageWatch --url http://127.0.0.1:9464/migware/ \
 *      --dir /tmp/watch --expression 'document.body.dataset.state' --stop-file /tmp/watch/stop --screenshot /tmp/watch/page.png
 * </pre>
 */
public final class PageWatch {

    /** Printed once the page is loaded and marked. */
    public static final String WATCHING = "page watch: watching";
    /** Printed last, after the screenshot and the console. */
    public static final String DONE = "page watch: done";
    /** The expression that is {@code true} while the page was not reloaded since it was marked. */
    public static final String STILL_MARKED = "window.__pageWatchMark === 'marked'";

    private static final Pattern LISTENING = Pattern.compile("DevTools listening on (ws://\\S+)");
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final HttpClient http = HttpClient.newHttpClient();
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonObject>> pending = new ConcurrentHashMap<>();
    private final List<String> console = new CopyOnWriteArrayList<>();
    private WebSocket socket;

    private PageWatch() {
    }

    /**
     * @param args its arguments ({@code --url}, {@code --dir}, ...)
     * @return the command line that runs it in a JVM of its own (with Gson, which it reads DevTools with)
     */
    public static List<String> command(List<String> args) {
        return JavaCommand.of(PageWatch.class, List.of(), List.of(JavaCommand.classpathOf(JsonParser.class)), args);
    }

    public static void main(String[] argv) throws Exception {
        Args args;
        try {
            args = Args.parse(argv, Set.of(), Set.of("url", "dir", "expression", "poll-ms", "stop-file", "max-ms", "screenshot"));
        } catch (IllegalArgumentException e) {
            System.err.println("page watch: " + e.getMessage());
            System.exit(2);
            return;
        }
        String url = required(args, "url");
        Path dir = Path.of(required(args, "dir"));
        String expression = required(args, "expression");
        long pollMillis = Long.parseLong(args.string("poll-ms", "200"));
        Path stopFile = Path.of(required(args, "stop-file"));
        long maxMillis = Long.parseLong(args.string("max-ms", "300000"));
        Path screenshot = Path.of(required(args, "screenshot"));
        Files.createDirectories(dir);
        Process chromium = new ProcessBuilder(HeadlessChromium.command(List.of("--remote-debugging-port=0",
                "--remote-allow-origins=*", "--window-size=1280,1600", "--hide-scrollbars", "about:blank"), dir))
                .redirectOutput(dir.resolve("chromium.out").toFile()).start();
        // SIGTERM (the lab ending it) runs the hooks, not the finally below: Chromium must not outlive us
        Thread stop = new Thread(() -> end(chromium), "page-watch-stop");
        Runtime.getRuntime().addShutdownHook(stop);
        try {
            new PageWatch().watch(chromium, url, expression, pollMillis, stopFile, maxMillis, screenshot);
        } finally {
            end(chromium);
        }
        System.out.println(DONE);
    }

    /** Ends Chromium and whatever it started (renderer, GPU and zygote processes). */
    private static void end(Process chromium) {
        List<ProcessHandle> children = chromium.descendants().toList();
        chromium.destroy();
        try {
            if (!chromium.waitFor(10, TimeUnit.SECONDS)) {
                chromium.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            chromium.destroyForcibly();
        }
        children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    private static String required(Args args, String name) {
        String value = args.string(name, null);
        if (value == null) {
            System.err.println("page watch: --" + name + " is required");
            System.exit(2);
        }
        return value;
    }

    private void watch(Process chromium, String url, String expression, long pollMillis, Path stopFile, long maxMillis, Path screenshot)
            throws Exception {
        URI browser = browserSocket(chromium);
        URI page = pageSocket(browser);
        socket = http.newWebSocketBuilder().connectTimeout(TIMEOUT).buildAsync(page, new Listener()).get(30, TimeUnit.SECONDS);
        call("Runtime.enable", new JsonObject());
        call("Log.enable", new JsonObject());
        call("Page.enable", new JsonObject());
        JsonObject navigate = new JsonObject();
        navigate.addProperty("url", url);
        JsonObject navigated = call("Page.navigate", navigate);
        if (navigated.has("errorText")) {
            throw new IllegalStateException("cannot open " + url + ": " + navigated.get("errorText").getAsString());
        }
        long loadBy = System.currentTimeMillis() + TIMEOUT.toMillis();
        while (!"complete".equals(evaluate("document.readyState"))) {
            if (System.currentTimeMillis() > loadBy) {
                throw new IllegalStateException(url + " did not load within " + TIMEOUT.toSeconds() + " s");
            }
            Thread.sleep(100);
        }
        evaluate("window.__pageWatchMark = 'marked'");
        System.out.println(WATCHING);
        String last = null;
        long end = System.currentTimeMillis() + maxMillis;
        while (!Files.exists(stopFile) && System.currentTimeMillis() < end) {
            String value = evaluate(expression);
            if (!value.equals(last)) {
                System.out.println("page " + System.currentTimeMillis() + " " + value);
                last = value;
            }
            Thread.sleep(pollMillis);
        }
        JsonObject shot = call("Page.captureScreenshot", new JsonObject());
        Files.write(screenshot, Base64.getDecoder().decode(shot.get("data").getAsString()));
        System.out.println("page watch: screenshot " + screenshot);
        for (String message : console) {
            System.out.println("console " + message);
        }
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(10, TimeUnit.SECONDS);
    }

    /** @return the browser's DevTools address, from the line Chromium prints when it listens */
    private static URI browserSocket(Process chromium) throws IOException {
        BufferedReader err = new BufferedReader(new InputStreamReader(chromium.getErrorStream(), StandardCharsets.UTF_8));
        List<String> seen = new ArrayList<>();
        String line;
        while ((line = err.readLine()) != null) {
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                Thread drain = new Thread(() -> err.lines().forEach(l -> { }), "chromium-stderr");
                drain.setDaemon(true);
                drain.start();
                return URI.create(m.group(1));
            }
            seen.add(line);
        }
        throw new IllegalStateException("chromium ended without a DevTools address: " + String.join("\n", seen));
    }

    /** @return the DevTools address of the browser's one page */
    private URI pageSocket(URI browser) throws IOException, InterruptedException {
        URI list = URI.create("http://" + browser.getAuthority() + "/json/list");
        HttpResponse<String> targets = http.send(HttpRequest.newBuilder(list).timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        for (JsonElement target : JsonParser.parseString(targets.body()).getAsJsonArray()) {
            JsonObject t = target.getAsJsonObject();
            if ("page".equals(t.get("type").getAsString())) {
                return URI.create(t.get("webSocketDebuggerUrl").getAsString());
            }
        }
        throw new IllegalStateException("no page among Chromium's targets: " + targets.body());
    }

    /** @return the expression's value as a string (JSON for an object: wrap it in JSON.stringify) */
    private String evaluate(String expression) throws Exception {
        JsonObject params = new JsonObject();
        params.addProperty("expression", expression);
        params.addProperty("returnByValue", true);
        JsonObject result = call("Runtime.evaluate", params);
        if (result.has("exceptionDetails")) {
            throw new IllegalStateException("the page could not evaluate " + expression + ": " + result.get("exceptionDetails"));
        }
        JsonElement value = result.getAsJsonObject("result").get("value");
        return value == null || value.isJsonNull() ? "undefined" : value.isJsonPrimitive() ? value.getAsString() : value.toString();
    }

    private JsonObject call(String method, JsonObject params) throws Exception {
        int id = ids.incrementAndGet();
        JsonObject message = new JsonObject();
        message.addProperty("id", id);
        message.addProperty("method", method);
        message.add("params", params);
        CompletableFuture<JsonObject> answer = new CompletableFuture<>();
        pending.put(id, answer);
        socket.sendText(message.toString(), true).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        JsonObject reply = answer.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (reply.has("error")) {
            throw new IllegalStateException(method + " failed: " + reply.get("error"));
        }
        return reply.getAsJsonObject("result");
    }

    /** Answers go to their caller; console calls, exceptions and log entries are kept. */
    private final class Listener implements WebSocket.Listener {

        private final StringBuilder text = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                JsonObject message = JsonParser.parseString(text.toString()).getAsJsonObject();
                text.setLength(0);
                if (message.has("id")) {
                    CompletableFuture<JsonObject> answer = pending.remove(message.get("id").getAsInt());
                    if (answer != null) {
                        answer.complete(message);
                    }
                } else {
                    event(message.get("method").getAsString(), message.getAsJsonObject("params"));
                }
            }
            webSocket.request(1);
            return null;
        }

        private void event(String method, JsonObject params) {
            switch (method) {
                case "Runtime.consoleAPICalled" -> console.add(params.get("type").getAsString() + " " + params.get("args"));
                case "Runtime.exceptionThrown" -> console.add("exception " + params.get("exceptionDetails"));
                case "Log.entryAdded" -> {
                    JsonObject entry = params.getAsJsonObject("entry");
                    console.add(entry.get("level").getAsString() + " " + entry.get("source").getAsString() + " "
                            + entry.get("text").getAsString() + (entry.has("url") ? " " + entry.get("url").getAsString() : ""));
                }
                default -> { }
            }
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            pending.values().forEach(answer -> answer.completeExceptionally(error));
        }
    }
}
