package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The product as an operator runs it: a copy of the distribution started with
 * {@code bin/migware server}, driven with {@code bin/migware exec}, then stopped with SIGTERM.
 * Checks the launcher, conf/, the etc/ watcher (a typed list in org.migware.service.cfg reaches
 * the tracker), the deploy/ watcher (install and uninstall) and a clean shutdown.
 *
 * <p>Waits are bounded polls of what an operator would look at (the control socket file, the
 * output of a shell command): the container is another process, there is no event to wait on.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DistributionRunTest {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration CHANGE_TIMEOUT = Duration.ofSeconds(20);
    private static final String HOT_BUNDLE = "org.migware.itests.hotdeploy";
    /** A line of the container's log: time [thread] LEVEL logger - message (etc/log4j2.properties). */
    private static final Pattern LOG_LINE = Pattern.compile("^\\S+ \\[[^\\]]*\\] ([A-Z]+) (\\S+) - (.*)$");

    @TempDir
    static Path folder;

    private Path home;
    private Process container;

    @BeforeAll
    void startContainer() throws Exception {
        home = folder.resolve("migware");
        copyTree(MigwareTestSupport.distributionHome(), home);
        // What an operator does first: name the service. Both values are typed lists. The
        // addresses are loopback ones: this container runs in the test machine's own namespace,
        // and its default monitor (monitor-icmp in deploy/) probes the first of them.
        Path service = home.resolve("etc/org.migware.service.cfg");
        String text = Files.readString(service)
                .replace("#addresses = [\"192.0.2.10\"]", "addresses = [\"127.0.0.10\",\"127.0.0.11\"]")
                .replace("#ports = I[\"80\",\"443\"]", "ports = I[\"80\",\"443\"]");
        assertTrue(text.contains("\naddresses = [") && text.contains("\nports = I["),
                "the shipped org.migware.service.cfg has the documented commented examples");
        Files.writeString(service, text);

        container = start();
    }

    /** Starts bin/migware server and waits for its control socket. */
    private Process start() throws Exception {
        ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/migware").toString(), "server")
                .redirectErrorStream(true)
                .redirectOutput(home.resolve("container.out").toFile());
        builder.environment().remove("MIGWARE_CONTROL_SOCKET");
        container = builder.start();
        container.getOutputStream().close();

        Path socket = home.resolve("var/control.sock");
        waitUntil("the control socket " + socket + " appears", START_TIMEOUT, () -> Files.exists(socket));
        return container;
    }

    @AfterAll
    void stopContainer() throws Exception {
        if (container != null && container.isAlive()) {
            container.destroy(); // SIGTERM: Felix's shutdown hook stops the framework
            if (!container.waitFor(30, TimeUnit.SECONDS)) {
                container.destroyForcibly();
                fail("the container did not stop within 30 s of SIGTERM\n" + output());
            }
        }
    }

    @Test
    @Order(1)
    void everyBundleIsActive() throws Exception {
        // The control socket (the core's) can answer before Felix has started the bundles after the core's.
        waitUntil("every bundle of the distribution Active", START_TIMEOUT, () -> {
            String now = exec("lb -s").output;
            return MigwareTestSupport.distributionBundleNames().stream()
                    .allMatch(name -> now.lines().anyMatch(line -> line.contains("|Active") && line.contains("|" + name + " ")));
        });
        String list = exec("lb -s").output;
        for (String name : MigwareTestSupport.distributionBundleNames()) {
            assertTrue(list.lines().anyMatch(line -> line.contains("|Active") && line.contains("|" + name + " ")),
                    name + " is Active in:\n" + list + output());
        }
    }

    /**
     * One component owns PID org.migware.service and publishes it as the ProtectedService; the
     * tracker (and every other bundle that must know the service) binds that service.
     */
    @Test
    @Order(2)
    void aTypedListInEtcReachesTheServiceOwnerAndTheTracker() throws Exception {
        waitUntil("the service's owner shows the addresses and ports of etc/org.migware.service.cfg", CHANGE_TIMEOUT, () -> {
            String info = exec("scr:info org.migware.service.internal.ProtectedServiceComponent").output;
            return info.contains("443") && info.contains("127.0.0.11");
        });
        waitUntil("the tracker is bound to the ProtectedService", CHANGE_TIMEOUT, () -> {
            String info = exec("scr:info org.migware.tracker.internal.TrackerComponent").output;
            return info.contains("org.migware.api.connection.ProtectedService") && info.contains("Bound to");
        });
    }

    /**
     * A jar dropped into deploy/ is installed and started, and uninstalled when deleted, without
     * disturbing what runs: the test bundle exports a package that SCR imports optionally, in a
     * newer version than the container's (org.osgi.service.log 1.5; Pax Logging exports 1.4), and
     * FileInstall's default would refresh SCR to rewire it, restarting every DS component (the
     * tracker's table with them).
     */
    @Test
    @Order(3)
    void deployInstallsAndUninstallsABundleWithoutRestartingComponents() throws Exception {
        // deploy/'s watcher starts after the bundles (start level 4) and scans after its first poll
        waitUntil("the default monitor in deploy/ is Active", CHANGE_TIMEOUT,
                () -> exec("lb -s org.migware.monitor.icmp").output.contains("|Active"));
        String componentsBefore = componentIds();
        assertTrue(componentsBefore.contains("TrackerComponent"), componentsBefore);

        Path jar = home.resolve("deploy/hotdeploy.jar");
        writeBundle(jar, HOT_BUNDLE, "org.osgi.service.log;version=\"1.5.0\"");
        waitUntil(HOT_BUNDLE + " is Active", CHANGE_TIMEOUT,
                () -> exec("lb -s " + HOT_BUNDLE).output.contains("|Active"));
        assertEquals(componentsBefore, componentIds(), "no component was restarted (their ids would have changed)");

        Files.delete(jar);
        waitUntil(HOT_BUNDLE + " is uninstalled", CHANGE_TIMEOUT,
                () -> !exec("lb -s " + HOT_BUNDLE).output.contains(HOT_BUNDLE));
        assertEquals(componentsBefore, componentIds(), "no component was restarted by the uninstall");
    }

    /**
     * Every log of the container goes to one file, var/log/migware.log (Pax Logging, log4j2):
     * MigWare's bundles, Declarative Services, FileInstall and Jetty, none of it to the console.
     * A starting container, with its default monitor deployed and a bundle hot-deployed, logs no
     * warning or error but the one it must give here (no fence): SCR would warn of a reference
     * cycle, a component that fails to activate, a configuration it cannot use.
     */
    @Test
    @Order(4)
    void everyLogGoesToTheOneFileAndTheStartWarnsOnlyThatItIsUnfenced() throws Exception {
        String log = Files.readString(log());
        String both = "\n--- log ---\n" + log + output();
        assertTrue(log.contains("bundle org.apache.felix.scr:"), "SCR's own lines are in the file" + both);
        assertTrue(log.contains("fileinstall - Installing bundle org.migware.monitor.icmp"), "FileInstall's lines are in the file" + both);
        // None lost, the very first ones included: FileInstall's etc/ watcher says "Creating configuration" once for
        // each file of etc/ in the first tenths of a second of the start, while Pax Logging is being configured.
        // (Before org.migware.logging held the start, 1 to 5 of them were missing from every start.)
        try (Stream<Path> files = Files.list(home.resolve("etc"))) {
            List<String> pids = files.map(file -> file.getFileName().toString()).filter(name -> name.endsWith(".cfg"))
                    .map(name -> name.substring(0, name.length() - ".cfg".length())).sorted().toList();
            assertTrue(pids.size() >= 12, "etc/ holds the shipped configurations: " + pids);
            List<String> missing = pids.stream().filter(pid -> !log.contains("Creating configuration {" + pid + "}")
                    && !log.contains("Creating configuration {" + pid.replace('-', '~') + "}")).toList();
            assertEquals(List.of(), missing, "every file of etc/ has its 'Creating configuration' line in the log" + both);
        }
        assertTrue(log.contains("core: state NORMAL at"), "MigWare's lines are in the file" + both);
        assertTrue(log.contains("Started Jetty"), "Jetty's lines are in the file" + both);
        String console = Files.readString(home.resolve("container.out"));
        for (String line : List.of("Creating configuration", "core: state NORMAL", "Started Jetty", "org.apache.felix.scr")) {
            assertFalse(console.contains(line), "'" + line + "' is not on the console" + output());
        }
        List<String> warnings = log.lines().filter(line -> {
            Matcher m = LOG_LINE.matcher(line);
            return m.matches() && !m.group(1).equals("INFO") && !m.group(1).equals("DEBUG")
                    && !(m.group(2).equals("UnfencedWarning") && m.group(3).startsWith("core: unfenced:"));
        }).toList();
        // This home names no capture interface on purpose (it must not capture the test machine's traffic): both live
        // backends are idle, which is how a site leaves the one it does not use, so not a warning.
        assertEquals(List.of(), warnings, "no warning or error at start but 'unfenced'");
        assertTrue(log.contains("org.migware.capture.pcap4j: idle: no 'interfaceName'"), "the idle backend says so" + both);
        assertTrue(log.lines().anyMatch(line -> line.contains("WARN UnfencedWarning - core: unfenced:")),
                "the unfenced warning is there, at WARN (the filter above sees levels)");
        assertFalse(log.contains("Circular reference"), log);
    }

    /**
     * Levels change at run time from the shell (log:set, as in Karaf), with no restart: the
     * framework's bundle events are filtered out by default (the hot deploy above made some), and
     * are written once the Events logger is at INFO. log:set changes the running log4j2 in place,
     * returns once the level is in force, and writes it into etc/log4j2.properties, where every
     * other line stays as it was.
     */
    @Test
    @Order(8)
    void aLevelChangesAtRunTimeFromTheShell() throws Exception {
        assertFalse(Files.readString(log()).contains("BundleEvent"),
                "the hot deploy's bundle events were not written at the shipped level (Events = WARN)");
        Path file = home.resolve("etc/log4j2.properties");
        List<String> before = Files.readAllLines(file);
        Result set = exec("log:set INFO Events");
        assertEquals(0, set.exit, set.output);
        assertFalse(set.output.contains("not in force"), set.output);
        assertTrue(exec("log:get").output.contains("Events = INFO"), "log:get shows the new level");
        Result bad = exec("log:set LOUD Events");
        assertTrue(bad.output.contains("unknown level 'LOUD'"), "a wrong level is refused, saying why: " + bad.output);

        // in force when log:set returned: the next bundle event is written
        Path jar = home.resolve("deploy/levels.jar");
        writeBundle(jar, HOT_BUNDLE + ".levels", "org.migware.itests.levels");
        waitUntil("the hot deploy's BundleEvent INSTALLED is in the log", CHANGE_TIMEOUT,
                () -> Files.readString(log()).contains("BundleEvent INSTALLED"));
        Files.delete(jar);
        List<String> after = Files.readAllLines(file);
        List<String> changedLines = new ArrayList<>();
        for (int i = 0; i < Math.max(before.size(), after.size()); i++) {
            String was = i < before.size() ? before.get(i) : null;
            String is = i < after.size() ? after.get(i) : null;
            if (!java.util.Objects.equals(was, is)) {
                changedLines.add(was + " -> " + is);
            }
        }
        assertEquals(List.of("logger.events.level = WARN -> logger.events.level = INFO"), changedLines,
                "only the Events level changed in etc/log4j2.properties");
        assertEquals(0, exec("log:set WARN Events").exit, "back to the shipped level");
        assertEquals(before, Files.readAllLines(file), "the file is as shipped again");
    }
    /**
     * Issue 11, acceptance 7: a second start beside the running container is refused with a clear
     * message before it touches anything, and the running one carries on as it was: the same
     * process, the same control socket (a second Felix would have replaced it), its framework cache
     * not cleaned (a second Felix cleans it at its first init).
     */
    @Test
    @Order(5)
    void aSecondStartIsRefusedAndTheRunningContainerIsUntouched() throws Exception {
        Path socket = home.resolve("var/control.sock");
        Object socketInode = Files.getAttribute(socket, "unix:ino");
        Path marker = home.resolve("var/felix-cache/left-by-the-test");
        Files.writeString(marker, "a second Felix would clean the cache, and this with it");

        Result second = launcher("server");
        assertEquals(1, second.exit, second.output);
        assertTrue(second.output.contains("a MigWare container is already running with " + home.resolve("var")
                + " (pid " + container.pid() + "); it was left alone"), second.output);

        assertTrue(container.isAlive(), "the running container carries on" + output());
        assertEquals(socketInode, Files.getAttribute(socket, "unix:ino"), "its control socket is the same file");
        assertTrue(Files.exists(marker), "its framework cache was not cleaned");
        assertEquals(Long.toString(container.pid()), Files.readString(home.resolve("var/migware.pid")).strip());
        assertEquals(0, exec("lb -s").exit, "it still answers");
        Files.delete(marker);
    }

    @Test
    @Order(6)
    void statusNamesTheRunningContainer() throws Exception {
        Result status = launcher("status");
        assertEquals(0, status.exit, status.output);
        assertEquals("migware: running (pid " + container.pid() + ", " + home.resolve("var") + ")", status.output.strip());
    }

    @Test
    @Order(7)
    void versionIsTheBuiltOne() throws Exception {
        Result version = launcher("version");
        assertEquals(0, version.exit, version.output);
        assertEquals("MigWare " + System.getProperty("migware.version"), version.output.strip());
    }

    /**
     * A jar in deploy/ that its group or every user can write is not installed, so none of its
     * code runs (sshd's StrictModes; the core claims it from FileInstall), and the log says why and
     * what to do; the same jar, made writable by its owner only and copied again, starts.
     */
    @Test
    @Order(9)
    void aDeployedJarOthersCanWriteIsRefused() throws Exception {
        String name = HOT_BUNDLE + ".unsafe";
        Path jar = deployWritableByEveryone("unsafe", name);
        String real = jar.toRealPath().toString();
        waitUntil("the refusal is in the log", CHANGE_TIMEOUT,
                () -> Files.readString(log()).contains("core: refusing to load " + real));
        String line = Files.readString(log()).lines().filter(l -> l.contains("core: refusing to load " + real))
                .findFirst().orElseThrow();
        assertTrue(line.contains(" ERROR ") && line.contains("is writable by its group and every user")
                && line.contains("chmod go-w " + real), line);
        assertFalse(exec("lb -s " + name).output.contains(name), "not installed");

        Files.delete(jar);
        waitUntil("the refused jar's removal is seen", CHANGE_TIMEOUT,
                () -> Files.readString(log()).contains("core: " + jar + " left deploy/; it was refused and never loaded"));
        writeBundle(jar, name, "org.migware.itests.unsafe"); // the umask's mode: only the owner writes
        waitUntil(name + " is Active once only its owner can write it", CHANGE_TIMEOUT,
                () -> exec("lb -s " + name).output.contains("|Active"));
        Files.delete(jar);
        waitUntil(name + " is uninstalled", CHANGE_TIMEOUT, () -> !exec("lb -s " + name).output.contains(name));
    }

    @Test
    @Order(10)
    void sigtermStopsTheContainerCleanly() throws Exception {
        container.destroy();
        assertTrue(container.waitFor(30, TimeUnit.SECONDS), "stopped within 30 s of SIGTERM\n" + output());
        assertFalse(Files.exists(home.resolve("var/control.sock")),
                "the core removed its control socket on the way down\n" + output());
        Result status = launcher("status");
        assertEquals(3, status.exit, "status of a stopped container: " + status.output);
        assertEquals("migware: not running (" + home.resolve("var") + ")", status.output.strip());
    }

    /** The lock ends with the container's process, so it starts again; 'stop' ends it and waits for that. */
    @Test
    @Order(11)
    void stopEndsTheContainerAndWaits() throws Exception {
        container = start();
        Result stop = launcher("stop");
        assertEquals(0, stop.exit, stop.output);
        assertEquals("migware: stopped (pid " + container.pid() + ")", stop.output.strip());
        // Ended: gone, or a zombie its parent (this JVM, whose reaper may be slow on a busy machine) has not collected yet.
        String state = processState(container.pid());
        assertTrue(state.equals("gone") || state.equals("Z"), "the process has ended when stop returns (state " + state + ")");
        assertTrue(container.waitFor(30, TimeUnit.SECONDS), "and is collected");
        assertFalse(Files.exists(home.resolve("var/control.sock")), "the control socket is gone" + output());
        Result again = launcher("stop");
        assertEquals(0, again.exit, again.output);
        assertEquals("migware: not running (" + home.resolve("var") + ")", again.output.strip());
    }

    /**
     * The log is appended at every start, and rotated by size into a bounded number of
     * generations: two starts so far left two start lines in migware.log; with the size cut to
     * 2 KB and two generations kept, one more start rolls it over several times and keeps
     * migware.log.1 and .2 only, each near the size.
     */
    @Test
    @Order(12)
    void theLogIsAppendedAtEveryStartAndRotatedBySize() throws Exception {
        String before = Files.readString(log());
        assertEquals(2, before.split("core: state NORMAL at", -1).length - 1,
                "both starts of this home are in the one file" + output());

        Path cfg = home.resolve("etc/log4j2.properties");
        String shipped = Files.readString(cfg);
        String small = shipped.replace("policies.size.size = 16MB", "policies.size.size = 2KB").replace("strategy.max = 10", "strategy.max = 2");
        assertFalse(small.equals(shipped), "the shipped file has the documented size and generations");
        Files.writeString(cfg, small);
        try {
            container = start();
            Result stop = launcher("stop");
            assertEquals(0, stop.exit, stop.output);
        } finally {
            Files.writeString(cfg, shipped); // the next start logs as shipped again
        }

        Path dir = home.resolve("var/log");
        assertTrue(Files.exists(dir.resolve("migware.log.1")) && Files.exists(dir.resolve("migware.log.2")),
                "rotated generations: " + listing(dir));
        assertFalse(Files.exists(dir.resolve("migware.log.3")), "no more than 2 generations kept: " + listing(dir));
        for (String name : List.of("migware.log", "migware.log.1", "migware.log.2")) {
            long size = Files.size(dir.resolve(name));
            // the size is checked before each line: a file ends at most one line past it
            assertTrue(size > 0 && size <= 2048 + 2048, name + " is " + size + " bytes: " + listing(dir));
        }
    }

    /**
     * The case that matters most: an unsafe jar already in deploy/ when the container starts is
     * refused before anything could load it (the deploy watcher waits for start level 4, when the
     * core's refusal is registered), and the safe jar beside it starts.
     */
    @Test
    @Order(13)
    void anUnsafeJarPresentAtStartIsNeverInstalled() throws Exception {
        String name = HOT_BUNDLE + ".atstart";
        Path jar = deployWritableByEveryone("atstart", name);
        try {
            container = start();
            String real = jar.toRealPath().toString();
            waitUntil("the refusal is in the log", START_TIMEOUT,
                    () -> Files.readString(log()).contains("core: refusing to load " + real));
            waitUntil("the default monitor beside it is Active", CHANGE_TIMEOUT,
                    () -> exec("lb -s org.migware.monitor.icmp").output.contains("|Active"));
            assertFalse(exec("lb -s " + name).output.contains(name), "never installed");
            assertFalse(Files.readString(log()).contains("Installing bundle " + name), "FileInstall never installed it");
        } finally {
            Result stop = launcher("stop");
            assertEquals(0, stop.exit, stop.output);
            Files.deleteIfExists(jar);
        }
    }

    /** @return deploy/{@code file}.jar, a bundle {@code symbolicName} of mode 0666, moved in whole */
    private Path deployWritableByEveryone(String file, String symbolicName) throws IOException {
        Path jar = home.resolve("deploy/" + file + ".jar");
        Path staged = folder.resolve(file + "-staged.jar");
        writeBundle(staged, symbolicName, "org.migware.itests." + file);
        Files.setAttribute(staged, "unix:mode", 0666);
        Files.move(staged, jar, StandardCopyOption.ATOMIC_MOVE);
        return jar;
    }

    private Path log() {
        return home.resolve("var/log/migware.log");
    }

    private static String listing(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> {
                try {
                    return f.getFileName() + " " + Files.size(f);
                } catch (IOException e) {
                    return f.getFileName() + " ?";
                }
            }).sorted().toList().toString();
        }
    }

    // ---------------------------------------------------------------- helpers

    /** @return the process's state letter from /proc (R, S, D, Z, ...), or "gone" when it no longer exists */
    private static String processState(long pid) throws IOException {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        String text;
        try {
            text = Files.readString(stat);
        } catch (java.nio.file.NoSuchFileException gone) {
            return "gone";
        }
        // pid (comm) state ...: comm may hold spaces and parentheses, the state follows the last ')'
        return text.substring(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3);
    }

    private record Result(int exit, String output) {
    }

    private Result exec(String command) throws IOException, InterruptedException {
        return launcher("exec", command);
    }

    /** Runs bin/migware with these arguments to its end: its exit status and output (standard output and error). */
    private Result launcher(String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(home.resolve("bin/migware").toString()));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().remove("MIGWARE_CONTROL_SOCKET");
        Process process = builder.start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(90, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("bin/migware " + String.join(" ", arguments) + " did not end within 90 s");
        }
        return new Result(process.exitValue(), output);
    }

    /**
     * scr:list without the states (a delayed component may get activated meanwhile): each component's
     * name with its id, sorted (scr:list's order within a bundle varies).
     */
    private String componentIds() throws IOException, InterruptedException {
        List<String> lines = exec("scr:list").output.replaceAll("State:[A-Z_]+", "State:*").lines().toList();
        List<String> components = new ArrayList<>();
        for (int i = 0; i + 1 < lines.size(); i++) {
            if (lines.get(i + 1).strip().startsWith("Id:")) {
                components.add(lines.get(i).strip() + " " + lines.get(i + 1).strip());
            }
        }
        return String.join("\n", components.stream().sorted().toList());
    }

    private String output() {
        try {
            return "\n--- container output ---\n" + Files.readString(home.resolve("container.out"));
        } catch (IOException e) {
            return "\n(no container output: " + e + ")";
        }
    }

    private interface Condition {
        boolean holds() throws Exception;
    }

    private void waitUntil(String what, Duration timeout, Condition condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.holds()) {
            if (!container.isAlive()) {
                fail("the container ended (exit " + container.exitValue() + ") while waiting until " + what + output());
            }
            if (System.nanoTime() - deadline > 0) {
                fail("not within " + timeout.toSeconds() + " s: " + what + output());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(250));
        }
    }

    private void writeBundle(Path jar, String symbolicName, String exportPackage) throws IOException {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", symbolicName);
        main.putValue("Bundle-Version", "1.0.0");
        main.putValue("Export-Package", exportPackage);
        // written outside deploy/ and moved in, so FileInstall never sees half a jar
        Path partial = folder.resolve(jar.getFileName() + ".partial");
        try (OutputStream out = Files.newOutputStream(partial); JarOutputStream ignored = new JarOutputStream(out, manifest)) {
            // a manifest is all a bundle needs (Felix does not look for the exported package's classes)
        }
        Files.move(partial, jar, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Predicate<Path> state = path -> from.relativize(path).startsWith("var");
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : (Iterable<Path>) paths.filter(state.negate())::iterator) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

}
