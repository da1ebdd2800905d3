package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The assembled distribution has the promised layout, a configuration file in etc/ for every
 * configuration PID that MigWare's bundles use, and a launcher that explains itself and its
 * errors. Plain Jupiter: files and short processes, no container.
 */
class DistributionLayoutTest {

    private final Path home = MigwareTestSupport.distributionHome();

    @Test
    void hasTheLayout() throws IOException {
        Path launcher = home.resolve("bin/migware");
        assertTrue(Files.isRegularFile(launcher), "bin/migware");
        assertTrue(Files.getPosixFilePermissions(launcher).contains(PosixFilePermission.OWNER_EXECUTE),
                "bin/migware is executable");
        assertTrue(Files.isRegularFile(home.resolve("bin/felix.jar")), "bin/felix.jar");
        assertTrue(Files.isRegularFile(home.resolve("lib/migware-lab.jar")), "lib/migware-lab.jar for bin/migware lab");
        assertTrue(Files.isRegularFile(home.resolve("lib/migware-lab-report.jar")), "lib/migware-lab-report.jar: the main job of bin/migware lab");
        assertTrue(Files.isRegularFile(home.resolve("lib/jna.jar")), "lib/jna.jar: the lab's wire-impairment box (--delay, --reorder)");
        assertTrue(Files.isRegularFile(home.resolve("lib/gson.jar")), "lib/gson.jar: the lab reads MigWare's status as JSON");
        assertTrue(Files.isDirectory(home.resolve("deploy")), "deploy/");
        assertTrue(Files.isRegularFile(home.resolve("etc/org.apache.felix.fileinstall-deploy.cfg")),
                "etc/ adds the FileInstall watcher of deploy/");

        Properties config = new Properties();
        try (InputStream in = Files.newInputStream(home.resolve("conf/config.properties"))) {
            config.load(in);
        }
        assertEquals("${migware.home}/bundle", config.getProperty("felix.auto.deploy.dir"));
        // etc/, deploy/ and var/ are wherever bin/migware says (conf/layout, MIGWARE_ETC, ...): the package moves them
        assertEquals("${migware.etc}", config.getProperty("felix.fileinstall.dir"));
        assertTrue(config.getProperty("org.osgi.framework.storage").startsWith("${migware.var}/"),
                "the framework's storage is under var/");
        assertTrue(Files.isRegularFile(home.resolve("conf/layout")), "conf/layout documents the folders");
    }

    @Test
    void bundleFilesAreNamedBySymbolicName() {
        List<Path> jars = MigwareTestSupport.distributionBundles();
        List<String> names = MigwareTestSupport.distributionBundleNames();
        for (int i = 0; i < jars.size(); i++) {
            String file = jars.get(i).getFileName().toString();
            assertTrue(file.startsWith(names.get(i) + "-"), file + " starts with its symbolic name " + names.get(i));
        }
        assertTrue(names.contains("org.migware.core"), "the core ships: " + names);
    }

    /** etc/ must have a file for every configuration PID that a shipped MigWare component names. */
    @Test
    void etcHasAFileForEveryConfigurationPid() throws IOException {
        Set<String> pids = new TreeSet<>();
        for (Path jar : MigwareTestSupport.distributionBundles()) {
            if (jar.getFileName().toString().startsWith(MigwareTestSupport.MIGWARE_PREFIX)) {
                pids.addAll(configurationPids(jar));
            }
        }
        List<String> missing = new ArrayList<>();
        for (String pid : pids) {
            if (!Files.isRegularFile(home.resolve("etc").resolve(pid + ".cfg"))) {
                missing.add(pid);
            }
        }
        assertTrue(missing.isEmpty(), "etc/ lacks a commented <pid>.cfg for " + missing + " (PIDs in use: " + pids + ")");
    }

    /**
     * Every key in an etc/ file (commented or not) is one its component reads, as its metatype
     * says: a misspelt or renamed key would otherwise be ignored without a word.
     */
    @Test
    void etcKeysAreKeysTheComponentsRead() throws IOException {
        Map<String, Set<String>> keysByPid = new TreeMap<>();
        for (Path jar : MigwareTestSupport.distributionBundles()) {
            if (jar.getFileName().toString().startsWith(MigwareTestSupport.MIGWARE_PREFIX)) {
                metatypeKeys(jar, keysByPid);
            }
        }
        List<String> unknown = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(home.resolve("etc"), "org.migware.*.cfg")) {
            for (Path file : files) {
                String pid = file.getFileName().toString().replaceFirst("\\.cfg$", "");
                Set<String> known = keysByPid.get(pid);
                if (known == null) {
                    continue; // no shipped bundle describes this PID (yet)
                }
                for (String line : Files.readAllLines(file, StandardCharsets.ISO_8859_1)) {
                    Matcher key = CFG_KEY.matcher(line);
                    if (key.matches() && !known.contains(key.group(1)) && !perPortOverride(key.group(1), known)) {
                        unknown.add(file.getFileName() + ": " + key.group(1) + " (known: " + known + ")");
                    }
                }
            }
        }
        assertTrue(!keysByPid.isEmpty(), "the MigWare bundles describe their configurations (metatype)");
        assertTrue(unknown.isEmpty(), "keys in etc/ that no component reads:\n  " + String.join("\n  ", unknown));
    }

    /** {@code delivery.443}: a known key overridden for one port, which a metatype cannot list. */
    private static boolean perPortOverride(String key, Set<String> known) {
        int dot = key.lastIndexOf('.');
        return dot > 0 && known.contains(key.substring(0, dot)) && key.substring(dot + 1).chars().allMatch(Character::isDigit);
    }

    @Test
    void helpExplainsTheCommands() throws Exception {
        Result help = run(List.of(home.resolve("bin/migware").toString(), "help"), null);
        assertEquals(0, help.exit, help.output);
        assertTrue(help.output.contains("exec 'CMD'"), help.output);
    }

    @Test
    void execWithoutARunningContainerSaysSo(@TempDir Path folder) throws Exception {
        Result exec = run(List.of(home.resolve("bin/migware").toString(), "exec", "lb"),
                new String[] {"MIGWARE_CONTROL_SOCKET", folder.resolve("none.sock").toString()});
        assertEquals(3, exec.exit, exec.output);
        assertTrue(exec.output.contains("no control socket"), exec.output);
    }

    @Test
    void refusesAJavaOlderThan17(@TempDir Path fakeJavaHome) throws Exception {
        Path java = fakeJavaHome.resolve("bin/java");
        Files.createDirectories(java.getParent());
        Files.writeString(java, "#!/bin/sh\necho 'openjdk version \"11.0.22\" 2024-01-16' >&2\n");
        java.toFile().setExecutable(true);

        Result start = run(List.of(home.resolve("bin/migware").toString(), "server"),
                new String[] {"JAVA_HOME", fakeJavaHome.toString()});
        assertEquals(1, start.exit, start.output);
        assertTrue(start.output.contains("needs Java 17 or newer") && start.output.contains("11.0.22"), start.output);
    }

    @Test
    void saysWhenJavaHomeHasNoJava(@TempDir Path emptyJavaHome) throws Exception {
        Result start = run(List.of(home.resolve("bin/migware").toString(), "server"),
                new String[] {"JAVA_HOME", emptyJavaHome.toString()});
        assertEquals(1, start.exit, start.output);
        assertTrue(start.output.contains("JAVA_HOME is"), start.output);
        assertFalse(start.output.contains("Welcome"), start.output);
    }

    @Test
    void saysWhenThereIsNoJava(@TempDir Path tools) throws Exception {
        // a PATH with the tools the script uses, but no java
        for (String tool : List.of("bash", "readlink", "dirname", "grep", "sed", "cut", "mkdir")) {
            Path found = onPath(tool);
            Files.createSymbolicLink(tools.resolve(tool), found);
        }
        ProcessBuilder builder = new ProcessBuilder(tools.resolve("bash").toString(),
                home.resolve("bin/migware").toString(), "server").redirectErrorStream(true);
        builder.environment().clear();
        builder.environment().put("PATH", tools.toString());
        Result start = run(builder);
        assertEquals(1, start.exit, start.output);
        assertTrue(start.output.contains("no java found"), start.output);
    }

    private static Path onPath(String tool) {
        for (String folder : System.getenv("PATH").split(":")) {
            Path candidate = Path.of(folder, tool);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new AssertionError(tool + " is not on the PATH of the test");
    }

    /** "key = value" or "#key = value" (a commented default); prose comments have "# " and no "=" after one word. */
    private static final Pattern CFG_KEY = Pattern.compile("#?([A-Za-z][A-Za-z0-9_.]*)\\s*[=:].*");
    private static final Pattern OCD = Pattern.compile("<OCD\\s[^>]*?\\bid=\"([^\"]+)\"(.*?)</OCD>", Pattern.DOTALL);
    private static final Pattern AD = Pattern.compile("<AD\\s[^>]*?\\bid=\"([^\"]+)\"");
    private static final Pattern DESIGNATE = Pattern.compile(
            "<Designate\\s[^>]*?\\bpid=\"([^\"]+)\"[^>]*>\\s*<Object\\s[^>]*?\\bocdref=\"([^\"]+)\"");
    private static final Pattern IMPLEMENTATION = Pattern.compile("<implementation\\s[^>]*?\\bclass=\"([^\"]+)\"");

    /**
     * Adds to keysByPid the attribute ids of the bundle's metatype, per PID: an OCD designated for
     * a PID, and the OCD of a component's nested config type (Component$Config) for each of the
     * component's configuration PIDs (a component with several PIDs has no Designate).
     */
    private static void metatypeKeys(Path jar, Map<String, Set<String>> keysByPid) throws IOException {
        Map<String, Set<String>> keysByOcd = new TreeMap<>();
        Map<String, String> ocdByPid = new TreeMap<>();
        Map<String, Set<String>> pidsByImplementation = new TreeMap<>();
        try (JarFile file = new JarFile(jar.toFile())) {
            for (JarEntry entry : java.util.Collections.list(file.entries())) {
                if (!entry.getName().startsWith("OSGI-INF/") || !entry.getName().endsWith(".xml")) {
                    continue;
                }
                String xml;
                try (InputStream in = file.getInputStream(entry)) {
                    xml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                Matcher ocd = OCD.matcher(xml);
                while (ocd.find()) {
                    Set<String> keys = keysByOcd.computeIfAbsent(ocd.group(1), id -> new TreeSet<>());
                    Matcher ad = AD.matcher(ocd.group(2));
                    while (ad.find()) {
                        keys.add(ad.group(1));
                    }
                }
                Matcher designate = DESIGNATE.matcher(xml);
                while (designate.find()) {
                    ocdByPid.put(designate.group(1), designate.group(2));
                }
                Matcher implementation = IMPLEMENTATION.matcher(xml);
                Matcher pids = CONFIGURATION_PID.matcher(xml);
                if (implementation.find() && pids.find()) {
                    pidsByImplementation.computeIfAbsent(implementation.group(1), c -> new TreeSet<>())
                            .addAll(Arrays.asList(pids.group(1).trim().split("\\s+")));
                }
            }
        }
        ocdByPid.forEach((pid, ocd) -> keysByPid.computeIfAbsent(pid, p -> new TreeSet<>())
                .addAll(keysByOcd.getOrDefault(ocd, Set.of())));
        pidsByImplementation.forEach((implementation, pids) -> keysByOcd.forEach((ocd, keys) -> {
            if (ocd.startsWith(implementation + "$")) {
                pids.forEach(pid -> keysByPid.computeIfAbsent(pid, p -> new TreeSet<>()).addAll(keys));
            }
        }));
    }

    private static final Pattern CONFIGURATION_PID = Pattern.compile("configuration-pid=\"([^\"]*)\"");
    private static final Pattern COMPONENT_NAME = Pattern.compile("<(?:\\w+:)?component[^>]*\\sname=\"([^\"]*)\"");

    /** The configuration PIDs that the DS descriptors of a bundle name explicitly. */
    private static Set<String> configurationPids(Path jar) throws IOException {
        Set<String> pids = new TreeSet<>();
        try (JarFile file = new JarFile(jar.toFile())) {
            Enumeration<JarEntry> entries = file.entries();
            while (entries.hasMoreElements()) {
                JarEntry entry = entries.nextElement();
                if (!entry.getName().startsWith("OSGI-INF/") || !entry.getName().endsWith(".xml")
                        || entry.getName().startsWith("OSGI-INF/metatype/")) {
                    continue;
                }
                String xml;
                try (InputStream in = file.getInputStream(entry)) {
                    xml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                Matcher name = COMPONENT_NAME.matcher(xml);
                String componentName = name.find() ? name.group(1) : "";
                Matcher pid = CONFIGURATION_PID.matcher(xml);
                while (pid.find()) {
                    for (String one : pid.group(1).trim().split("\\s+")) {
                        // "$" and the default (the component's name) are not PIDs anyone configures by file
                        if (!one.isEmpty() && !one.equals("$") && !one.equals(componentName)) {
                            pids.add(one);
                        }
                    }
                }
            }
        }
        return pids;
    }

    private record Result(int exit, String output) {
    }

    private static Result run(List<String> command, String[] environment) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (environment != null) {
            builder.environment().put(environment[0], environment[1]);
        }
        return run(builder);
    }

    private static Result run(ProcessBuilder builder) throws Exception {
        List<String> command = builder.command();
        Process process = builder.start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(command + " did not end within 60 s: " + output);
        }
        return new Result(process.exitValue(), output);
    }
}
