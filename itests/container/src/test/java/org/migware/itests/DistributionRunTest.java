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
     * disturbing what runs: the test bundle exports a package that SCR imports optionally
     * (org.osgi.service.log 1.4, which the container lacks), and FileInstall's default would
     * refresh SCR to wire it, restarting every DS component (the tracker's table with them).
     */
    @Test
    @Order(3)
    void deployInstallsAndUninstallsABundleWithoutRestartingComponents() throws Exception {
        String componentsBefore = componentIds();
        assertTrue(componentsBefore.contains("TrackerComponent"), componentsBefore);

        Path jar = home.resolve("deploy/hotdeploy.jar");
        writeBundle(jar, HOT_BUNDLE, "org.osgi.service.log;version=\"1.4.0\"");
        waitUntil(HOT_BUNDLE + " is Active", CHANGE_TIMEOUT,
                () -> exec("lb -s " + HOT_BUNDLE).output.contains("|Active"));
        assertEquals(componentsBefore, componentIds(), "no component was restarted (their ids would have changed)");

        Files.delete(jar);
        waitUntil(HOT_BUNDLE + " is uninstalled", CHANGE_TIMEOUT,
                () -> !exec("lb -s " + HOT_BUNDLE).output.contains(HOT_BUNDLE));
        assertEquals(componentsBefore, componentIds(), "no component was restarted by the uninstall");
    }

    /**
     * Declarative Services logs its errors and warnings (conf/config.properties: ds.loglevel=warn)
     * on the console as {@code ERROR : bundle ...} and {@code WARN  : bundle ...}: a reference
     * cycle, a component that fails to activate, a configuration it cannot use. A starting
     * container, with its default monitor deployed and a bundle hot-deployed, has none.
     */
    @Test
    @Order(4)
    void theStartLogHasNoScrErrorOrWarning() throws Exception {
        String console = Files.readString(home.resolve("container.out"));
        assertTrue(console.contains("migware"), "the console was captured:\n" + console);
        for (String line : console.lines().toList()) {
            boolean scrLine = (line.startsWith("ERROR") || line.startsWith("WARN")) && line.contains(" : bundle ");
            assertFalse(scrLine || line.contains("Circular reference"), "SCR reported: " + line + output());
        }
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

    /** scr:list without the states (a delayed component may get activated meanwhile): names and ids. */
    private String componentIds() throws IOException, InterruptedException {
        return exec("scr:list").output.replaceAll("State:[A-Z_]+", "State:*");
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
