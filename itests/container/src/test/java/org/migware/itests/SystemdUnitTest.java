package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Debian package's systemd unit, as the .deb ships it, passes {@code systemd-analyze verify}
 * without a word, and says what the issue asks of the service: its own user, only CAP_NET_RAW and
 * CAP_NET_ADMIN, no new privileges, a read-only system but its two folders, restarted always. The
 * package is unpacked into a throwaway root (dpkg-deb -x, no maintainer script runs), so this needs
 * neither root nor systemd as PID 1; the host's own units are copied beside it for the default
 * dependencies (sysinit.target, ...) that verify loads. setup-machine installs systemd.
 */
class SystemdUnitTest {

    private static final String UNIT = "lib/systemd/system/migware.service";

    @TempDir
    Path root;

    @Test
    void systemdAcceptsTheShippedUnit() throws Exception {
        unpackWithHostUnits();
        Result verify = verify(UNIT);
        assertEquals(0, verify.exit, verify.output);
        assertEquals("", verify.output, "systemd-analyze verify has nothing to say about the unit");
    }

    /** The check above can fail: verify reports a misspelt key (only as a warning, with exit status 0). */
    @Test
    void verifyReportsAMisspeltKey() throws Exception {
        unpackWithHostUnits();
        String unit = Files.readString(root.resolve(UNIT));
        assertTrue(unit.contains("\nNoNewPrivileges=yes\n"), unit);
        Files.writeString(root.resolve("lib/systemd/system/migware-misspelt.service"),
                unit.replace("\nNoNewPrivileges=yes\n", "\nNoNewPrivilege=yes\n"));
        Result verify = verify("lib/systemd/system/migware-misspelt.service");
        assertTrue(verify.output.contains("Unknown key 'NoNewPrivilege'"), verify.output);
    }

    @Test
    void theUnitRunsAsMigwareWithOnlyTheTwoCapabilities() throws Exception {
        unpackWithHostUnits();
        List<String> lines = Files.readAllLines(root.resolve(UNIT), StandardCharsets.UTF_8);
        for (String setting : List.of("User=migware", "Group=migware", "ExecStart=/usr/share/migware/bin/migware server",
                "AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN", "CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN",
                "NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/migware /var/log/migware",
                "Restart=always")) {
            assertTrue(lines.contains(setting), "the unit says " + setting);
        }
        assertTrue(Files.isExecutable(root.resolve("usr/share/migware/bin/migware")), "ExecStart is in the package");
    }

    private void unpackWithHostUnits() throws Exception {
        Result unpack = run(List.of("dpkg-deb", "-x", deb().toString(), root.toString()));
        assertEquals(0, unpack.exit, unpack.output);
        Path hostUnits = Path.of("/lib/systemd/system");
        assertTrue(Files.isDirectory(hostUnits), "systemd is not installed (bash .ci/setup-machine installs it)");
        // -n: never replace the package's own unit
        Result copy = run(List.of("cp", "-an", hostUnits + "/.", root.resolve("lib/systemd/system").toString()));
        assertEquals(0, copy.exit, copy.output);
    }

    private Result verify(String unit) throws Exception {
        return run(List.of("systemd-analyze", "verify", "--root=" + root, "/" + unit));
    }

    private static Path deb() throws IOException {
        Path target = MigwareTestSupport.distributionHome().getParent();
        List<Path> debs = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(target, "migware_*_all.deb")) {
            files.forEach(debs::add);
        }
        assertEquals(1, debs.size(), "one migware_*_all.deb in " + target + ": " + debs);
        return debs.get(0);
    }

    private record Result(int exit, String output) {
    }

    private static Result run(List<String> command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
        return new Result(process.exitValue(), output);
    }
}
