package org.migware.itests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.migware.lab.Commands;
import org.migware.lab.ExecResult;

/**
 * The Debian package the build made (distribution/target/migware_VERSION_all.deb), installed on this
 * machine with {@code dpkg -i} for one test and purged again ({@code dpkg --purge}) when closed, also
 * after a failure. The machine must run the tests as root, as the lab tests do.
 */
final class DebianPackage implements AutoCloseable {

    static final String NAME = "migware";
    static final Path HOME = Path.of("/usr/share/migware");
    static final Path ETC = Path.of("/etc/migware");
    static final Path VAR = Path.of("/var/lib/migware");
    static final Path LOG = Path.of("/var/log/migware");
    static final Path UNIT = Path.of("/lib/systemd/system/migware.service");

    private static final Duration DPKG_TIMEOUT = Duration.ofMinutes(2);

    private DebianPackage() {
    }

    /** @return the one .deb beside the assembled distribution */
    static Path built() {
        Path target = BuiltDistribution.home().getParent();
        List<Path> debs = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(target, "migware_*_all.deb")) {
            files.forEach(debs::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + target, e);
        }
        if (debs.size() != 1) {
            throw new IllegalStateException("expected one migware_*_all.deb in " + target + " (mvn package builds it), found " + debs);
        }
        return debs.get(0);
    }

    /** Installs the built package (a leftover of an earlier run is purged first). */
    static DebianPackage install() {
        purgeIfInstalled();
        dpkg("-i", built().toString());
        return new DebianPackage();
    }

    /** @return whether dpkg lists the package as installed */
    static boolean installed() {
        ExecResult query = Commands.run(DPKG_TIMEOUT, "dpkg-query", "-W", "-f=${Status}", NAME);
        return query.ok() && query.stdout().contains("install ok installed");
    }

    /** @return the [Service] settings of the installed unit, key to value, in the file's order */
    static Map<String, String> serviceSettings() {
        Map<String, String> settings = new LinkedHashMap<>();
        boolean inService = false;
        try {
            for (String raw : Files.readAllLines(UNIT)) {
                String line = raw.strip();
                if (line.startsWith("[")) {
                    inService = line.equals("[Service]");
                } else if (inService && !line.isEmpty() && !line.startsWith("#") && line.contains("=")) {
                    settings.put(line.substring(0, line.indexOf('=')).strip(), line.substring(line.indexOf('=') + 1).strip());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + UNIT, e);
        }
        return settings;
    }

    /**
     * The command that runs the unit's ExecStart as its User, Group, capabilities and
     * NoNewPrivileges say, through setpriv (this machine has no systemd as PID 1), with the
     * environment systemd gives a service of that user.
     */
    static List<String> runAsTheUnitSays() {
        Map<String, String> unit = serviceSettings();
        String user = unit.get("User");
        String ambient = capabilities(unit.get("AmbientCapabilities"));
        List<String> command = new ArrayList<>(List.of(Commands.tool("setpriv", "util-linux"),
                "--reuid=" + user, "--regid=" + unit.get("Group"), "--init-groups",
                "--inh-caps=-all," + ambient, "--ambient-caps=" + ambient,
                "--bounding-set=-all," + capabilities(unit.get("CapabilityBoundingSet"))));
        if ("yes".equals(unit.get("NoNewPrivileges"))) {
            command.add("--no-new-privs");
        }
        command.addAll(List.of("env", "HOME=" + VAR, "USER=" + user, "LOGNAME=" + user));
        return command;
    }

    /** {@code CAP_NET_RAW CAP_NET_ADMIN} as setpriv writes it: {@code +net_raw,+net_admin}. */
    private static String capabilities(String unitList) {
        List<String> caps = new ArrayList<>();
        for (String cap : unitList.trim().split("\\s+")) {
            caps.add("+" + cap.toLowerCase(java.util.Locale.ROOT).replaceFirst("^cap_", ""));
        }
        return String.join(",", caps);
    }

    @Override
    public void close() {
        dpkg("--purge", NAME);
    }

    private static void purgeIfInstalled() {
        if (installed() || Commands.run(DPKG_TIMEOUT, "dpkg-query", "-W", NAME).ok()) {
            dpkg("--purge", NAME);
        }
    }

    private static void dpkg(String... arguments) {
        List<String> command = new ArrayList<>(List.of("dpkg"));
        command.addAll(List.of(arguments));
        ExecResult result = Commands.run(DPKG_TIMEOUT, command);
        if (!result.ok()) {
            throw new IllegalStateException(result.describeFailure());
        }
    }
}
