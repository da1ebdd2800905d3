package org.migware.lab.experiments;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.migware.lab.Await;
import org.migware.lab.Commands;
import org.migware.lab.ExecResult;
import org.migware.lab.LabException;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.LabProcess;
import org.migware.lab.network.Role;

/**
 * A MigWare container running inside a lab namespace: a private copy of the built distribution
 * with its own {@code etc/}, started with {@code bin/migware server}, asked questions with
 * {@code bin/migware exec} through its control socket (a Unix socket is a file, so it answers
 * from outside the namespace too).
 */
public final class MigwareInstance implements AutoCloseable {

    /** The control protocol's last line: {@code #exit=<status>} (org.migware.core's ControlProtocol). */
    private static final String EXIT_TRAILER = "#exit=";

    private final Path home;
    private final Path etc;
    private final Path deploy;
    private final Path var;
    /** Where the container's log is: migware.log, appended at every start, and its rotated generations. */
    private final Path logDir;
    /** The container's process: a new one after {@link #crashAndRestart}. */
    private volatile LabProcess process;
    /** How the process was started, to start it again the same way. */
    private final LabNetwork lab;
    private final Role role;
    private final String processName;
    private final List<String> command;

    private MigwareInstance(Path home, Path etc, Path deploy, Path var, Path logDir, LabNetwork lab, Role role,
            String processName, List<String> command) {
        this.home = home;
        this.etc = etc;
        this.deploy = deploy;
        this.var = var;
        this.logDir = logDir;
        this.lab = lab;
        this.role = role;
        this.processName = processName;
        this.command = List.copyOf(command);
        this.process = lab.start(role, processName, command.toArray(String[]::new));
    }

    /**
     * How an experiment starts its MigWare in the lab: by default a copy of the built distribution
     * ({@link #start(LabNetwork, Role, Path, Map, Duration)}); a test of the Debian package starts the
     * installed one instead ({@link #startInstalled}).
     */
    @FunctionalInterface
    public interface Starter {

        /**
         * @param configs PID to properties, written into the instance's etc folder before it starts
         * @return the running instance, its control socket answering
         */
        MigwareInstance start(LabNetwork lab, Role role, Map<String, Map<String, String>> configs, Duration startTimeout);
    }

    /**
     * An installed MigWare: its home (bin/migware, whose conf/layout names the folders below), its
     * configuration and state folders, and the command that runs {@code bin/migware server} as the
     * service would (e.g. {@code setpriv} to its user and capabilities), or nothing.
     *
     * @param home e.g. {@code /usr/share/migware}
     * @param etc e.g. {@code /etc/migware}
     * @param deploy e.g. {@code /var/lib/migware/deploy}
     * @param var e.g. {@code /var/lib/migware}: the control socket is {@code control.sock} there
     * @param logDir e.g. {@code /var/log/migware}: where the container writes {@code migware.log}
     * @param runAs the command and arguments placed before {@code home/bin/migware server}
     */
    public record Installed(Path home, Path etc, Path deploy, Path var, Path logDir, List<String> runAs) {

        /** Copies the command: the record stays a value. */
        public Installed {
            runAs = List.copyOf(runAs);
        }
    }

    /**
     * Copies {@code distribution} into the lab's work folder, writes {@code configs} into its
     * {@code etc/} (PID to properties; an empty map deletes that PID's file), and starts it.
     *
     * @throws LabException when the distribution is not built or does not come up
     */
    public static MigwareInstance start(LabNetwork lab, Role role, Path distribution, Map<String, Map<String, String>> configs,
            Duration startTimeout) {
        return start(lab, role, null, distribution, configs, null, startTimeout);
    }

    /**
     * As {@link #start(LabNetwork, Role, Path, Map, Duration)}, with a name (several instances may
     * run in one namespace, each in its own home {@code migware-<role>-<name>}) and the monitor
     * bundles to hot-deploy. A home left by an earlier instance of the same name is removed first,
     * so nothing (Felix's bundle cache, a deployed jar, a config) carries over from it.
     *
     * @param name a short name, or null for the home {@code migware-<role>}
     * @param deployed the symbolic names of the bundles of {@code monitors/} that {@code deploy/}
     *        holds, exactly (e.g. {@code org.migware.monitor.tcp}; an empty set deploys no monitor),
     *        or null to keep the distribution's {@code deploy/} as shipped
     */
    public static MigwareInstance start(LabNetwork lab, Role role, String name, Path distribution,
            Map<String, Map<String, String>> configs, Collection<String> deployed, Duration startTimeout) {
        Path launcher = distribution.resolve("bin/migware");
        if (!Files.isExecutable(launcher)) {
            throw new LabException("no MigWare distribution at " + distribution + " (build it: mvn -pl distribution -am package)");
        }
        String folder = "migware-" + role.name().toLowerCase(Locale.ROOT) + (name == null ? "" : "-" + name);
        Path home = lab.workDir().resolve(folder);
        if (name != null) {
            deleteTree(home);
        }
        copyTree(distribution, home);
        if (name != null) {
            // Several named instances may share a namespace: each lets the kernel pick its HTTP port,
            // or all but the first would fail to bind the distribution's 9464.
            setHttpPort(home, 0);
        }
        if (deployed != null) {
            setDeployed(home, deployed);
        }
        configs.forEach((pid, properties) -> writeConfig(home.resolve("etc"), pid, properties));
        return awaitStarted(new MigwareInstance(home, home.resolve("etc"), home.resolve("deploy"), home.resolve("var"),
                home.resolve("var/log"), lab, role,
                name == null ? "migware" : "migware-" + name, List.of(home.resolve("bin/migware").toString(), "server")),
                startTimeout);
    }

    /**
     * Starts an installed MigWare (the Debian package's) in {@code role}'s namespace: writes
     * {@code configs} into its etc folder (as the administrator would edit {@code /etc/migware}),
     * then runs {@code runAs... home/bin/migware server} there. Its state stays where the
     * installation keeps it.
     *
     * @throws LabException when it is not installed or does not come up
     */
    public static MigwareInstance startInstalled(LabNetwork lab, Role role, Installed installed,
            Map<String, Map<String, String>> configs, Duration startTimeout) {
        Path launcher = installed.home().resolve("bin/migware");
        if (!Files.isExecutable(launcher)) {
            throw new LabException("no installed MigWare at " + installed.home());
        }
        configs.forEach((pid, properties) -> writeConfig(installed.etc(), pid, properties));
        List<String> command = new ArrayList<>(installed.runAs());
        command.add(launcher.toString());
        command.add("server");
        return awaitStarted(new MigwareInstance(installed.home(), installed.etc(), installed.deploy(), installed.var(),
                installed.logDir(), lab, role,
                "migware", command), startTimeout);
    }

    private static MigwareInstance awaitStarted(MigwareInstance instance, Duration startTimeout) {
        LabProcess process = instance.process;
        try {
            Await.until("MigWare's control socket at " + instance.controlSocket(), startTimeout,
                    () -> {
                        if (!process.isAlive()) {
                            throw new LabException("MigWare exited: " + process.stdout() + process.stderr());
                        }
                        return Files.exists(instance.controlSocket()) && instance.tryQuery("migware:status").isPresent();
                    });
        } catch (RuntimeException e) {
            instance.close();
            throw e;
        }
        return instance;
    }

    /**
     * Kills the container with SIGKILL, as the out-of-memory killer or a crash would end it (no
     * bundle stops, nothing is saved), and starts it again at once with the same home, as
     * systemd's {@code Restart=always} would.
     *
     * @return how long the container did not answer: from the kill to its control socket answering again
     * @throws LabException when it does not come back
     */
    public Duration crashAndRestart(Duration startTimeout) {
        long killed = System.nanoTime();
        LabProcess dead = process;
        int exit = dead.destroy(Duration.ZERO);
        if (dead.isAlive()) {
            throw new LabException("MigWare survived SIGKILL: " + dead);
        }
        process = lab.start(role, processName, command.toArray(String[]::new));
        awaitStarted(this, startTimeout);
        Duration down = Duration.ofNanos(System.nanoTime() - killed);
        if (exit != 137 && exit != -1) {
            throw new LabException("MigWare's exit after SIGKILL was " + exit + ", not 137");
        }
        return down;
    }

    /** @return the folder of the container's state, control socket and recordings (var/, or the package's /var/lib/migware) */
    public Path var() {
        return var;
    }

    /** @return the copy's home folder */
    public Path home() {
        return home;
    }

    /** @return the running container's process */
    public LabProcess process() {
        return process;
    }

    /** @return where the control socket lives */
    public Path controlSocket() {
        return var.resolve("control.sock");
    }

    /**
     * Runs one Gogo command in the container.
     *
     * @throws LabException when the command fails or the container does not answer
     */
    public String exec(String command) {
        ExecResult result = Commands.run(Duration.ofSeconds(30), home.resolve("bin/migware").toString(), "exec", command);
        if (!result.ok()) {
            throw new LabException("'" + command + "' failed (exit " + result.exitCode() + "): " + result.stdout() + result.stderr());
        }
        return result.stdout();
    }

    /**
     * Runs one Gogo command in the container like {@link #exec}, but talks to the control socket
     * from this JVM (one line with the command, then the output and a {@code #exit=<status>}
     * trailer line) instead of starting {@code bin/migware exec}, a JVM per command: cheap enough
     * to poll {@code migware:status} many times a second.
     *
     * @throws LabException when the command fails or the container does not answer
     */
    public String query(String command) {
        StringBuilder out = new StringBuilder();
        int exit = 1;
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(controlSocket()));
            channel.write(ByteBuffer.wrap((command.replace('\n', ' ') + "\n").getBytes(StandardCharsets.UTF_8)));
            channel.shutdownOutput();
            BufferedReader reader = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.startsWith(EXIT_TRAILER)) {
                    exit = Integer.parseInt(line.substring(EXIT_TRAILER.length()).trim());
                } else {
                    out.append(line).append('\n');
                }
            }
        } catch (IOException | NumberFormatException e) {
            throw new LabException("cannot talk to MigWare at " + controlSocket() + ": " + e.getMessage(), e);
        }
        if (exit != 0) {
            throw new LabException("'" + command + "' failed (exit " + exit + "): " + out);
        }
        return out.toString();
    }

    /** @return the command's output, or empty when the container does not answer or the command fails */
    public Optional<String> tryQuery(String command) {
        try {
            return Optional.of(query(command));
        } catch (LabException e) {
            return Optional.empty();
        }
    }

    /** @return {@code migware:status --json}, read */
    public MigwareStatus status() {
        return MigwareStatus.parse(query(MigwareStatus.COMMAND));
    }

    /**
     * @return the container's log so far: its log file (every start of this home, appended; the
     *         rotated generations are not read), then what the running process wrote to standard
     *         error (a JVM that dies early says why there)
     */
    public String log() {
        Path file = logDir.resolve("migware.log");
        String written;
        try {
            written = Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            written = "(cannot read " + file + ": " + e + ")\n";
        }
        return written + process.stderr();
    }

    /**
     * Hot-deploys a bundle of the distribution's {@code monitors/} folder: copies its jar into
     * {@code deploy/}, where FileInstall installs and starts it within about a second.
     *
     * @param symbolicName e.g. {@code org.migware.monitor.tcp}
     */
    public void deploy(String symbolicName) {
        Path jar = monitorJar(home, symbolicName);
        try {
            Files.copy(jar, deploy.resolve(jar.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot deploy " + jar, e);
        }
    }

    /**
     * Removes a bundle's jar from {@code deploy/}; FileInstall uninstalls it within about a second.
     *
     * @param symbolicName e.g. {@code org.migware.monitor.icmp}
     */
    public void undeploy(String symbolicName) {
        for (Path jar : jarsOf(deploy, symbolicName)) {
            try {
                Files.deleteIfExists(jar);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot undeploy " + jar, e);
            }
        }
    }

    /**
     * Writes (or, with an empty map, deletes) one configuration file in {@code etc/}; the running
     * container applies it within about a second.
     *
     * @param pid the PID, or {@code <factory pid>-<name>} for a factory configuration
     * @param properties the keys and values
     */
    public void configure(String pid, Map<String, String> properties) {
        writeConfig(etc, pid, properties);
    }

    private static void setDeployed(Path home, Collection<String> symbolicNames) {
        Path deploy = home.resolve("deploy");
        try (Stream<Path> jars = Files.list(deploy)) {
            for (Path jar : (Iterable<Path>) jars::iterator) {
                if (jar.getFileName().toString().endsWith(".jar")) {
                    Files.delete(jar);
                }
            }
            for (String symbolicName : symbolicNames) {
                Path jar = monitorJar(home, symbolicName);
                Files.copy(jar, deploy.resolve(jar.getFileName()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up " + deploy, e);
        }
    }

    private static Path monitorJar(Path home, String symbolicName) {
        List<Path> jars = jarsOf(home.resolve("monitors"), symbolicName);
        if (jars.size() != 1) {
            throw new LabException("expected one " + symbolicName + "-*.jar in " + home.resolve("monitors") + ", found " + jars);
        }
        return jars.get(0);
    }

    private static List<Path> jarsOf(Path folder, String symbolicName) {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(p -> {
                String file = p.getFileName().toString();
                return file.startsWith(symbolicName + "-") && file.endsWith(".jar")
                        && Character.isDigit(file.charAt(symbolicName.length() + 1));
            }).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + folder, e);
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : (Iterable<Path>) paths.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.delete(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + root, e);
        }
    }

    /** @return {@code migware:connections --json} through {@code bin/migware exec}, read */
    public MigwareConnections connections() {
        return MigwareConnections.parse(exec(MigwareConnections.COMMAND));
    }

    /** @return {@code migware:connections --json} through the control socket (as {@link #query}), read */
    public MigwareConnections queryConnections() {
        return MigwareConnections.parse(query(MigwareConnections.COMMAND));
    }

    /**
     * @param filter {@code ip}, {@code ip:port}, {@code [ipv6]:port} or {@code :port}
     * @param limit the most connections listed
     * @return one page of the connections with an end there, filtered by the container, with how
     *         many match in all; through the control socket
     */
    public MigwareConnections queryConnections(String filter, int limit) {
        return MigwareConnections.parse(query(MigwareConnections.command(filter, limit)));
    }

    @Override
    public void close() {
        process.destroy(Duration.ofSeconds(10));
    }

    /** The port of the instance's /metrics and /health (Felix HTTP Jetty's framework property, conf/config.properties). */
    private static void setHttpPort(Path home, int port) {
        Path config = home.resolve("conf").resolve("config.properties");
        try {
            String text = Files.readString(config);
            String changed = text.replaceAll("(?m)^org\\.osgi\\.service\\.http\\.port=.*$", "org.osgi.service.http.port=" + port);
            if (changed.equals(text)) {
                changed = text + "\norg.osgi.service.http.port=" + port + "\n";
            }
            Files.writeString(config, changed);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set the HTTP port in " + config, e);
        }
    }

    private static void writeConfig(Path etc, String pid, Map<String, String> properties) {
        Path file = etc.resolve(pid + ".cfg");
        try {
            if (properties.isEmpty()) {
                Files.deleteIfExists(file);
                return;
            }
            List<String> lines = new ArrayList<>();
            lines.add("# written by the MigWare lab");
            properties.forEach((key, value) -> lines.add(key + " = " + value));
            Files.write(file, lines);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    static void copyTree(Path from, Path to) {
        Path target = to.toAbsolutePath().normalize();
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path source : (Iterable<Path>) paths::iterator) {
                Path relative = from.relativize(source);
                String top = relative.getNameCount() > 0 ? relative.getName(0).toString() : "";
                if (top.equals("var") || top.equals("lab-results") || source.toAbsolutePath().normalize().startsWith(target)) {
                    // What a container run leaves (its cache, socket, log and the state it restores
                    // at start) is not part of the product: a lab instance starts with none of it. Nor
                    // are the lab's results, when the lab runs from the distribution's own folder, and
                    // least of all the copy being made there.
                    continue;
                }
                Path copy = to.resolve(relative.toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(copy);
                } else if (!source.getFileName().toString().endsWith(".sock")) {
                    Files.copy(source, copy, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES,
                            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the distribution " + from + " to " + to, e);
        }
    }
}
