package org.migware.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A MigWare container running inside a lab namespace: a private copy of the built distribution
 * with its own {@code etc/}, started with {@code bin/migware server}, asked questions with
 * {@code bin/migware exec} through its control socket (a Unix socket is a file, so it answers
 * from outside the namespace too).
 */
public final class MigwareInstance implements AutoCloseable {

    private final Path home;
    private final LabProcess process;

    private MigwareInstance(Path home, LabProcess process) {
        this.home = home;
        this.process = process;
    }

    /**
     * Copies {@code distribution} into the lab's work folder, writes {@code configs} into its
     * {@code etc/} (PID to properties; an empty map deletes that PID's file), and starts it.
     *
     * @throws LabException when the distribution is not built or does not come up
     */
    public static MigwareInstance start(LabNetwork lab, Role role, Path distribution, Map<String, Map<String, String>> configs,
            Duration startTimeout) {
        Path launcher = distribution.resolve("bin/migware");
        if (!Files.isExecutable(launcher)) {
            throw new LabException("no MigWare distribution at " + distribution + " (build it: mvn -pl distribution -am package)");
        }
        Path home = lab.workDir().resolve("migware-" + role.name().toLowerCase());
        copyTree(distribution, home);
        configs.forEach((pid, properties) -> writeConfig(home, pid, properties));
        LabProcess process = lab.start(role, "migware", home.resolve("bin/migware").toString(), "server");
        MigwareInstance instance = new MigwareInstance(home, process);
        try {
            Await.until("MigWare's control socket at " + instance.controlSocket(), startTimeout,
                    () -> {
                        if (!process.isAlive()) {
                            throw new LabException("MigWare exited: " + process.stdout() + process.stderr());
                        }
                        return Files.exists(instance.controlSocket()) && instance.tryExec("migware:status").isPresent();
                    });
        } catch (RuntimeException e) {
            instance.close();
            throw e;
        }
        return instance;
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
        return home.resolve("var/control.sock");
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

    private Optional<String> tryExec(String command) {
        ExecResult result = Commands.run(Duration.ofSeconds(30), home.resolve("bin/migware").toString(), "exec", command);
        return result.ok() ? Optional.of(result.stdout()) : Optional.empty();
    }

    /** @return every line of {@code migware:connections}, parsed, keyed by client port */
    public Map<Integer, TrackedConnectionLine> connections() {
        Map<Integer, TrackedConnectionLine> lines = new LinkedHashMap<>();
        for (String line : exec("migware:connections").split("\n")) {
            TrackedConnectionLine parsed = TrackedConnectionLine.parse(line);
            if (parsed != null) {
                lines.put(parsed.clientPort(), parsed);
            }
        }
        return lines;
    }

    @Override
    public void close() {
        process.destroy(Duration.ofSeconds(10));
    }

    private static void writeConfig(Path home, String pid, Map<String, String> properties) {
        Path file = home.resolve("etc").resolve(pid + ".cfg");
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

    private static void copyTree(Path from, Path to) {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path source : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else if (!source.getFileName().toString().endsWith(".sock")) {
                    Files.copy(source, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES,
                            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the distribution " + from + " to " + to, e);
        }
    }
}
