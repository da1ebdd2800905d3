package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.migware.lab.Commands;
import org.migware.lab.ExecResult;

/**
 * Acceptance 3 of issue 11, the package itself: the .deb the build made installs with {@code dpkg -i}
 * on this machine and leaves what it promises (files, a system user, owners and modes, conffiles, a
 * unit systemd accepts), and {@code dpkg --purge} takes all of it away again. The oracles are dpkg,
 * the file system, the user database and systemd-analyze. Root, like the lab tests.
 */
@Timeout(300)
class DebianPackageTest {

    @Test
    void installsWhatItPromisesAndPurgesIt() throws IOException {
        assumeTrue(Commands.effectiveUid() == 0, "dpkg -i needs root");
        try (DebianPackage installed = DebianPackage.install()) {
            assertTrue(DebianPackage.installed(), "dpkg lists migware as installed");

            // the service user: a system account without a login, whose home is the state folder
            String[] account = getent("passwd", "migware").split(":");
            assertTrue(Integer.parseInt(account[2]) < 1000, "a system uid: " + String.join(":", account));
            assertEquals("/var/lib/migware", account[5]);
            assertEquals("/usr/sbin/nologin", account[6]);
            assertEquals(account[3], getent("group", "migware").split(":")[2], "its own group");

            // what the service may write is the service's, and nobody else's
            assertOwnedAndMode(DebianPackage.VAR, "migware", "rwxr-x---");
            assertOwnedAndMode(DebianPackage.LOG, "migware", "rwxr-x---");
            // what it runs and reads is root's: the service can neither plant a bundle nor change its code
            assertOwnedAndMode(DebianPackage.VAR.resolve("deploy"), "root", "rwxr-xr-x");
            assertOwnedAndMode(DebianPackage.HOME.resolve("bin/migware"), "root", "rwxr-xr-x");
            assertOwnedAndMode(DebianPackage.ETC, "root", "rwxr-xr-x");
            assertOwnedAndMode(DebianPackage.UNIT, "root", "rw-r--r--");
            try (Stream<Path> files = Files.walk(DebianPackage.HOME)) {
                List<String> notRoots = files.filter(p -> !owner(p).equals("root")).map(Path::toString).toList();
                assertEquals(List.of(), notRoots, "everything under /usr/share/migware is root's");
            }
            assertTrue(jars(DebianPackage.HOME.resolve("bundle")).stream().anyMatch(j -> j.startsWith("org.migware.core-")),
                    "the bundles: " + jars(DebianPackage.HOME.resolve("bundle")));
            assertTrue(jars(DebianPackage.VAR.resolve("deploy")).stream().anyMatch(j -> j.startsWith("org.migware.monitor.icmp-")),
                    "deploy/ holds the default monitor");
            assertEquals(DebianPackage.HOME.resolve("bin/migware"), Path.of("/usr/bin/migware").toRealPath(), "migware on the PATH");
            assertTrue(Files.readString(DebianPackage.HOME.resolve("conf/layout")).contains("MIGWARE_ETC=${MIGWARE_ETC:-/etc/migware}"),
                    "the package's layout points bin/migware at /etc/migware");

            // every file of etc/ is a conffile: an upgrade keeps the administrator's changes
            try (Stream<Path> files = Files.list(DebianPackage.ETC)) {
                TreeSet<String> etc = files.map(Path::toString).collect(Collectors.toCollection(TreeSet::new));
                TreeSet<String> conffiles = run("dpkg-query", "-W", "-f=${Conffiles}", "migware").stdout().lines()
                        .map(String::strip).filter(l -> !l.isEmpty()).map(l -> l.split("\\s+")[0])
                        .collect(Collectors.toCollection(TreeSet::new));
                assertTrue(etc.contains("/etc/migware/org.migware.service.cfg"), etc.toString());
                assertEquals(etc, conffiles);
            }

            // systemd accepts the installed unit as it is: no error, no warning (an unknown key is only a warning)
            ExecResult verify = run("systemd-analyze", "verify", DebianPackage.UNIT.toString());
            assertEquals(0, verify.exitCode(), verify.describeFailure());
            assertEquals("", verify.stdout() + verify.stderr(), "systemd-analyze verify has nothing to say");
            Map<String, String> unit = DebianPackage.serviceSettings();
            assertEquals("/usr/share/migware/bin/migware server", unit.get("ExecStart"));

            // bin/migware finds the package's folders through conf/layout
            String help = run("/usr/bin/migware", "help").stdout();
            assertTrue(help.contains("/etc/migware") && help.contains("/var/lib/migware/deploy") && help.contains("/var/log/migware"), help);
        }
        assertFalse(DebianPackage.installed(), "purged");
        assertFalse(run("getent", "passwd", "migware").ok(), "the purge removes the user");
        assertFalse(run("getent", "group", "migware").ok(), "and its group");
        for (Path gone : List.of(DebianPackage.HOME, DebianPackage.ETC, DebianPackage.VAR, DebianPackage.LOG, DebianPackage.UNIT,
                Path.of("/usr/bin/migware"))) {
            assertFalse(Files.exists(gone, LinkOption.NOFOLLOW_LINKS), gone + " is gone after the purge");
        }
    }

    private static void assertOwnedAndMode(Path path, String owner, String mode) throws IOException {
        PosixFileAttributes attributes = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        assertEquals(owner, attributes.owner().getName(), path + "'s owner");
        assertEquals(owner, attributes.group().getName(), path + "'s group");
        assertEquals(mode, PosixFilePermissions.toString(attributes.permissions()), path + "'s mode");
    }

    private static String owner(Path path) {
        try {
            return Files.getOwner(path, LinkOption.NOFOLLOW_LINKS).getName();
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    private static List<String> jars(Path folder) {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            return List.of("(cannot list " + folder + ": " + e.getMessage() + ")");
        }
    }

    private static String getent(String database, String key) {
        ExecResult result = run("getent", database, key);
        assertTrue(result.ok(), result.describeFailure());
        return result.stdout().strip();
    }

    private static ExecResult run(String... command) {
        return Commands.run(Duration.ofSeconds(60), command);
    }
}
