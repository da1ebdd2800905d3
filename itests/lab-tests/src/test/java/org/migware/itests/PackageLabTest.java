package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.migware.lab.Commands;
import org.migware.lab.ExecResult;
import org.migware.lab.experiments.MigrationExperiment;
import org.migware.lab.experiments.MigwareInstance;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.Role;

/**
 * Acceptance 3 of issue 11 on the lab: the MigWare the Debian package installed, run as its systemd
 * unit says — user migware, only CAP_NET_RAW and CAP_NET_ADMIN (ambient and bounding), no new
 * privileges; through setpriv, as this machine has no systemd as PID 1 — captures, fails over and
 * carries every connection on. The workload is MigrationLabTest's push experiment, configured by
 * writing /etc/migware as an administrator would. The oracles: the applications (no client error;
 * the replica's application receives every record after the primary's last one, without gap,
 * duplicate or torn record) and the kernel (the process's credentials in /proc, the owners of the
 * control socket and the TUN device).
 */
class PackageLabTest {

    private static final int CONNECTIONS = 20;
    /** CAP_NET_ADMIN (12) and CAP_NET_RAW (13), as /proc/PID/status prints a capability set. */
    private static final String NET_ADMIN_AND_RAW = "0000000000003000";

    @Test
    void theInstalledServiceCapturesFailsOverAndCarriesConnectionsAsUserMigware() {
        String prefix = "mwapkg";
        try (DebianPackage installed = DebianPackage.install()) {
            int migwareUid = uid("migware");
            List<String> runAs = DebianPackage.runAsTheUnitSays();
            MigwareInstance.Installed service = new MigwareInstance.Installed(DebianPackage.HOME, DebianPackage.ETC,
                    DebianPackage.VAR.resolve("deploy"), DebianPackage.VAR, DebianPackage.LOG, runAs);
            AtomicReference<Map<String, String>> credentials = new AtomicReference<>();
            AtomicReference<String> tunOwner = new AtomicReference<>();
            AtomicReference<ExecResult> statusCommand = new AtomicReference<>();
            AtomicReference<Long> pid = new AtomicReference<>();
            MigrationExperiment.Observer observer = new MigrationExperiment.Observer() {
                @Override
                public void ready(LabNetwork lab, MigwareInstance migware) {
                    // ip netns exec, setpriv, env and bin/migware each exec the next: the process is the JVM itself
                    credentials.set(status(migware.process().pid()));
                    pid.set(migware.process().pid());
                    // the package's launcher on the PATH finds the service through its lock in /var/lib/migware
                    statusCommand.set(Commands.run(Duration.ofSeconds(30), "/usr/bin/migware", "status"));
                }

                @Override
                public void finished(LabNetwork lab, MigwareInstance migware) {
                    ExecResult owner = lab.exec(Role.BACKUP, "cat", "/sys/class/net/mig0/owner");
                    tunOwner.set(owner.ok() ? owner.stdout().strip() : owner.describeFailure());
                }
            };
            MigrationExperiment.Options options = MigrationExperiment.Options.defaults(BuiltDistribution.home())
                    .withConnections(CONNECTIONS).withPrefix(prefix).withBeforeFailureMillis(12_000).withAfterFailureMillis(15_000);
            MigrationExperiment.Result result = MigrationExperiment.run(options,
                    (lab, role, configs, timeout) -> MigwareInstance.startInstalled(lab, role, service, configs, timeout),
                    message -> System.out.println("[lab] " + message), observer);

            // as the unit says: user and group migware, exactly the two capabilities, no way to gain more
            Map<String, String> status = credentials.get();
            assertNotNull(status, "MigWare's process was seen");
            assertEquals("java", status.get("Name"), "the lab's process is the JVM: " + status);
            assertEquals(migwareUid, Integer.parseInt(status.get("Uid").split("\\s+")[0]), "real uid: " + status);
            assertEquals(migwareUid, Integer.parseInt(status.get("Uid").split("\\s+")[1]), "effective uid: " + status);
            assertEquals(NET_ADMIN_AND_RAW, status.get("CapEff"), "effective capabilities: " + status);
            assertEquals(NET_ADMIN_AND_RAW, status.get("CapAmb"), "ambient capabilities: " + status);
            assertEquals(NET_ADMIN_AND_RAW, status.get("CapBnd"), "bounding set: " + status);
            assertEquals("1", status.get("NoNewPrivs"), "no new privileges: " + status);
            ExecResult running = statusCommand.get();
            assertEquals(0, running.exitCode(), running.describeFailure());
            assertEquals("migware: running (pid " + pid.get() + ", /var/lib/migware)", running.stdout().strip());

            // what the applications saw: every connection carried on to the replica
            assertEquals(CONNECTIONS, result.connections().size());
            String broken = result.connections().stream().filter(c -> !c.survived()).map(Object::toString)
                    .collect(Collectors.joining("\n"));
            assertEquals(CONNECTIONS, result.survived(), () -> "broken connections:\n" + broken + "\n" + result.statusAfter()
                    + "\nMigWare's log:\n" + result.log().lines().limit(80).collect(Collectors.joining("\n")));
            for (MigrationExperiment.ConnectionOutcome c : result.connections()) {
                assertTrue(c.primaryLastRecord() >= 20, () -> "records before the failure: " + c);
                assertEquals(0, c.replicaDuplicates(), c::toString);
                assertEquals(0, c.replicaTorn(), () -> "torn record at the replica: " + c);
            }
            MigrationScenariosLabTest.assertRecovered(result, CONNECTIONS);

            // the kernel's word on who owns what the service made: the TUN it created and its control socket
            assertEquals(Integer.toString(migwareUid), tunOwner.get(), "the TUN device's owner (/sys/class/net/mig0/owner)");
            assertFalse(Files.exists(DebianPackage.VAR.resolve("control.sock")), "the socket is removed when MigWare stops");
            assertEquals("migware", owner(DebianPackage.VAR.resolve("felix-cache")), "the framework cache is the service's");
            assertEquals("migware", owner(DebianPackage.VAR.resolve("migware.lock")), "so is its lock");
            assertEquals("rwxr-x---", mode(DebianPackage.VAR));
        }
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
        assertFalse(DebianPackage.installed(), "purged");
    }

    /** @return /proc/PID/status as name to value */
    private static Map<String, String> status(long pid) {
        try {
            return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream().filter(l -> l.contains(":"))
                    .collect(Collectors.toMap(l -> l.substring(0, l.indexOf(':')), l -> l.substring(l.indexOf(':') + 1).strip(),
                            (a, b) -> a));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the status of process " + pid, e);
        }
    }

    private static int uid(String user) {
        return Integer.parseInt(Commands.run(Duration.ofSeconds(10), "id", "-u", user).requireSuccess().stdout().strip());
    }

    private static String owner(Path path) {
        try {
            return Files.getOwner(path).getName();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String mode(Path path) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
