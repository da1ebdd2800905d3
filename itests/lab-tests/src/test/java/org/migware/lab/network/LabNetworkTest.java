package org.migware.lab.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.migware.lab.Await;
import org.migware.lab.Commands;
import org.migware.lab.ExecResult;
import org.migware.lab.LabException;

/** The lab's topology, commands, processes and cleanup, for real (root required). */
@Timeout(60)
class LabNetworkTest {

    @TempDir
    Path dir;

    private LabNetwork newLab(String prefix) {
        return LabNetwork.builder().prefix(prefix).workDir(dir).create();
    }

    private static String ip(String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of(Commands.tool("ip", "iproute2")));
        cmd.addAll(List.of(args));
        return Commands.run(Duration.ofSeconds(10), cmd).requireSuccess().stdout();
    }

    @Test
    void buildsTheHubTopologyInsideNamespacesAndRemovesItOnClose() {
        String prefix = LabTestSupport.uniquePrefix();
        String rootLinksBefore = ip("-o", "link", "show");
        LabNetwork lab = newLab(prefix);
        try {
            assertEquals(List.of(prefix + "-hub", prefix + "-client", prefix + "-primary", prefix + "-backup"), lab.namespaces());
            assertTrue(LabTestSupport.netnsList().containsAll(lab.namespaces()));
            assertTrue(LabNetwork.leftovers(prefix));
            // Nothing created in the root namespace.
            assertEquals(rootLinksBefore, ip("-o", "link", "show"));

            String bridge = ip("-n", lab.hubNamespace(), "-d", "link", "show", LabNetwork.BRIDGE);
            assertTrue(bridge.contains("ageing_time 0 "), bridge);
            String ports = ip("-n", lab.hubNamespace(), "-o", "link", "show", "master", LabNetwork.BRIDGE);
            assertEquals(java.util.Set.of(Role.CLIENT, Role.PRIMARY, Role.BACKUP), lab.roles(), "no second backup unless asked for");
            for (Role role : lab.roles()) {
                assertTrue(ports.contains(" " + lab.hubInterface(role) + "@"), ports);
                String eth0 = lab.exec(role, "ip", "-o", "-4", "addr", "show", "dev", "eth0").requireSuccess().stdout();
                assertTrue(eth0.contains(lab.address(role) + "/24"), eth0);
                assertTrue(lab.exec(role, "ip", "-o", "link", "show", "lo").stdout().contains("UP"));
                // IPv6 is off by default: no link-local address, so no neighbour discovery noise.
                assertEquals("", lab.exec(role, "ip", "-o", "-6", "addr", "show").stdout().strip());
                assertTrue(lab.macAddress(role).matches("[0-9a-f]{2}(:[0-9a-f]{2}){5}"));
            }
            assertEquals("10.77.0.1", lab.address(Role.CLIENT));
            assertEquals("10.77.0.2", lab.address(Role.PRIMARY));
            assertEquals("10.77.0.3", lab.address(Role.BACKUP));
            assertTrue(ip("-n", lab.namespace(Role.BACKUP), "link", "show", "eth0").contains("PROMISC"));
            assertFalse(ip("-n", lab.namespace(Role.CLIENT), "link", "show", "eth0").contains("PROMISC"));
        } finally {
            lab.close();
        }
        assertTrue(lab.isClosed());
        assertFalse(LabNetwork.leftovers(prefix));
        assertEquals(List.of(), LabTestSupport.netnsWithPrefix(prefix));
        lab.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> lab.exec(Role.CLIENT, "true"));
    }

    @Test
    void addressesArePerRoleConfigurable() {
        String prefix = LabTestSupport.uniquePrefix();
        try (LabNetwork lab = LabNetwork.builder().prefix(prefix).workDir(dir).address(Role.BACKUP, "10.77.0.30").create()) {
            assertEquals("10.77.0.30", lab.address(Role.BACKUP));
            assertTrue(lab.exec(Role.BACKUP, "ip", "-o", "-4", "addr").stdout().contains("10.77.0.30/24"));
        }
        assertThrows(IllegalArgumentException.class,
                () -> LabNetwork.builder().address(Role.CLIENT, "10.77.0.2").create()); // same as the primary
        assertThrows(IllegalArgumentException.class, () -> LabNetwork.builder().address(Role.CLIENT, "not-an-ip"));
        assertThrows(IllegalArgumentException.class, () -> LabNetwork.builder().prefix("bad prefix"));
    }

    @Test
    void execCapturesOutputAndKillsWhatOutlivesItsTimeout() {
        try (LabNetwork lab = newLab(LabTestSupport.uniquePrefix())) {
            ExecResult ok = lab.exec(Role.PRIMARY, "sh", "-c", "echo out; echo err >&2; exit 3");
            assertEquals(3, ok.exitCode());
            assertEquals("out\n", ok.stdout());
            assertEquals("err\n", ok.stderr());
            assertFalse(ok.ok());
            LabException failure = assertThrows(LabException.class, ok::requireSuccess);
            assertTrue(failure.getMessage().contains("exited with 3: err"), failure.getMessage());

            ExecResult slow = lab.exec(Role.CLIENT, Duration.ofMillis(300), "sleep", "30");
            assertTrue(slow.timedOut());
            assertTrue(slow.elapsed().toMillis() < 5000);
        }
    }

    @Test
    void processesAreStartedWithOutputFilesAndEndedWithTheirChildren() {
        LabNetwork lab = newLab(LabTestSupport.uniquePrefix());
        LabProcess tree;
        LabProcess sleeper;
        long stray;
        try {
            tree = lab.start(Role.CLIENT, "tree", "sh", "-c", "echo started; sleep 60 & sleep 60 & wait");
            tree.awaitOutput("started", Duration.ofSeconds(10));
            Await.until("both children of the shell", Duration.ofSeconds(10),
                    () -> tree.processHandle().children().count() == 2);
            List<ProcessHandle> children = tree.processHandle().children().toList();
            assertEquals(dir.resolve("tree.out"), tree.stdoutFile());
            assertTrue(tree.stdout().contains("started"));
            tree.destroy();
            assertFalse(tree.isAlive());
            for (ProcessHandle child : children) {
                assertFalse(Commands.isRunning(child), "child " + child.pid() + " survived destroy()");
            }

            LabProcess exits = lab.start(Role.PRIMARY, "exits", "sh", "-c", "exit 7");
            assertTrue(exits.waitFor(Duration.ofSeconds(10)));
            assertEquals(7, exits.exitCode().getAsInt());
            LabException early = assertThrows(LabException.class, () -> exits.awaitOutput("never", Duration.ofSeconds(5)));
            assertTrue(early.getMessage().contains("exited with 7"), early.getMessage());

            sleeper = lab.start(Role.PRIMARY, "sleeper", "sleep", "60");
            // A background process that exec() left behind: close() must find it in the namespace.
            stray = Long.parseLong(lab.exec(Role.BACKUP, "sh", "-c", "sleep 60 >/dev/null 2>&1 </dev/null & echo $!")
                    .requireSuccess().stdout().strip());
            assertTrue(ProcessHandle.of(stray).map(Commands::isRunning).orElse(false));
        } finally {
            lab.close();
        }
        assertFalse(sleeper.isAlive());
        Await.until("stray process " + stray + " ended", Duration.ofSeconds(5),
                () -> ProcessHandle.of(stray).map(h -> !Commands.isRunning(h)).orElse(true));
    }

    @Test
    void leftoversOfACrashedRunAreRefusedFoundAndRemoved() {
        String prefix = LabTestSupport.uniquePrefix();
        LabNetwork crashed = newLab(prefix);
        try {
            LabProcess orphan = crashed.start(Role.CLIENT, "orphan", "sleep", "60");
            LabException refused = assertThrows(LabException.class, () -> newLab(prefix));
            assertTrue(refused.getMessage().contains("already exist"), refused.getMessage());
            assertTrue(LabNetwork.leftovers(prefix));

            LabNetwork.removeLeftovers(prefix);
            assertFalse(LabNetwork.leftovers(prefix));
            assertTrue(orphan.waitFor(Duration.ofSeconds(5)), "the orphan was ended");

            try (LabNetwork replacing = LabNetwork.builder().prefix(prefix).workDir(dir).replaceLeftovers(true).create()) {
                assertTrue(LabNetwork.leftovers(prefix));
            }
        } finally {
            crashed.close(); // its namespaces are gone already: must not fail
        }
        assertEquals(List.of(), LabTestSupport.netnsWithPrefix(prefix));
    }

    @Test
    void linkEndsGoDownAndComeBack() {
        try (LabNetwork lab = newLab(LabTestSupport.uniquePrefix())) {
            String hubPort = "ip -o link show dev " + lab.hubInterface(Role.PRIMARY);
            lab.pullPrimaryLink();
            String port = ip("-n", lab.hubNamespace(), "-o", "link", "show", "dev", lab.hubInterface(Role.PRIMARY));
            assertTrue(port.contains("state DOWN"), hubPort + ": " + port);
            // The primary's own interface stays administratively up but loses carrier, like a pulled cable.
            String eth0 = lab.exec(Role.PRIMARY, "ip", "-o", "link", "show", "eth0").stdout();
            assertTrue(eth0.contains("NO-CARRIER"), eth0);
            lab.restorePrimaryLink();
            assertTrue(lab.exec(Role.PRIMARY, "ip", "-o", "link", "show", "eth0").stdout().contains("state UP"));

            lab.pullLink(Role.PRIMARY, LinkEnd.ROLE);
            assertFalse(lab.exec(Role.PRIMARY, "ip", "-o", "link", "show", "eth0").stdout().contains(",UP"));
            lab.restoreLink(Role.PRIMARY, LinkEnd.ROLE);
            assertTrue(lab.exec(Role.PRIMARY, "ip", "-o", "link", "show", "eth0").stdout().contains(",UP"));
        }
    }

    @Test
    void qdiscsAndNetemGoOnEitherEndOfALink() {
        try (LabNetwork lab = newLab(LabTestSupport.uniquePrefix())) {
            lab.setQdisc(Role.PRIMARY, LinkEnd.BOTH, "tbf", "rate", "10mbit", "burst", "32kbit", "latency", "50ms");
            assertTrue(lab.exec(Role.PRIMARY, "tc", "qdisc", "show", "dev", "eth0").stdout().contains("tbf"));
            assertTrue(lab.execIn(lab.hubNamespace(), Duration.ofSeconds(5),
                    List.of("tc", "qdisc", "show", "dev", lab.hubInterface(Role.PRIMARY))).stdout().contains("tbf"));
            lab.clearQdisc(Role.PRIMARY, LinkEnd.BOTH);
            assertFalse(lab.exec(Role.PRIMARY, "tc", "qdisc", "show", "dev", "eth0").stdout().contains("tbf"));
            lab.clearQdisc(Role.PRIMARY, LinkEnd.BOTH); // nothing to clear: no error

            if (lab.netemAvailable()) {
                lab.addNetem(Role.PRIMARY, LinkEnd.ROLE, "delay", "100ms");
                assertTrue(lab.exec(Role.PRIMARY, "tc", "qdisc", "show", "dev", "eth0").stdout().contains("netem"));
                lab.removeNetem(Role.PRIMARY, LinkEnd.ROLE);
                assertFalse(lab.exec(Role.PRIMARY, "tc", "qdisc", "show", "dev", "eth0").stdout().contains("netem"));
            } else {
                // Some kernels (this VM's among them) lack sch_netem: the failure must say so.
                LabException missing = assertThrows(LabException.class,
                        () -> lab.addNetem(Role.PRIMARY, LinkEnd.ROLE, "delay", "100ms"));
                assertTrue(missing.getMessage().contains("not available in this kernel"), missing.getMessage());
            }
        }
    }
}
