package org.migware.monitor.icmp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.migware.testing.Verdicts.awaitStatus;
import static org.migware.testing.Verdicts.inject;
import static org.migware.testing.Verdicts.inject;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

import org.junit.jupiter.api.Test;
import org.migware.api.connection.ServiceEndpoints;
import org.migware.api.health.HealthStatus;
import org.migware.api.health.HealthVerdict;
import org.migware.api.testing.TestNamespace;
import org.migware.monitor.support.ProbeResult;
import org.migware.monitor.support.ProbeSettings;
import org.migware.monitor.support.VerdictStateMachine;
import org.migware.testing.FakeClock;

import com.sun.jna.Native;

class IcmpMonitorTest {

    private static final Duration THESIS_INTERVAL = Duration.ofMillis(500);

    @Test
    void defaultsAreTheSafeProfileAndTheTargetIsTheFirstServiceAddress() {
        IcmpMonitor.Config config = IcmpConfigs.icmp(Map.of());
        assertEquals(new ProbeSettings(100, 100, 8, 1), IcmpMonitor.settings(config));
        assertEquals("192.0.2.10", IcmpMonitor.target(service("192.0.2.10", "192.0.2.11"), config).getHostAddress());
        assertEquals("192.0.2.99", IcmpMonitor.target(service("192.0.2.10"),
                IcmpConfigs.icmp(Map.of("target", "192.0.2.99"))).getHostAddress());
    }

    @Test
    void oneLineChoosesTheThesisProfileAndAKeyBesideItOverridesOneValue() {
        assertEquals(ProbeSettings.THESIS, IcmpMonitor.settings(IcmpConfigs.icmp(Map.of("profile", "thesis"))));
        assertEquals(new ProbeSettings(10, 10, 5, 1), IcmpMonitor.settings(IcmpConfigs.icmp(Map.of("profile", "fast"))));
        assertEquals(new ProbeSettings(500, 300, 1, 1),
                IcmpMonitor.settings(IcmpConfigs.icmp(Map.of("profile", "thesis", "timeoutMillis", 300L))));
        // the lab's explicit thesis keys, without a profile, are the thesis whatever the default profile
        assertEquals(ProbeSettings.THESIS, IcmpMonitor.settings(IcmpConfigs.icmp(
                Map.of("intervalMillis", 500L, "timeoutMillis", 500L, "misses", 1, "recoveries", 1))));
        assertEquals("'profile' must be one of safe, thesis, fast (is 'fastest')",
                assertThrows(IllegalArgumentException.class, () -> IcmpMonitor.settings(IcmpConfigs.icmp(Map.of("profile", "fastest"))))
                        .getMessage());
    }

    @Test
    void aMissingOrInvalidTargetIsNamed() {
        assertEquals("'target' is not set, and neither is 'addresses' in org.migware.service",
                assertThrows(IllegalArgumentException.class, () -> IcmpMonitor.target(null, IcmpConfigs.icmp(Map.of())))
                        .getMessage());
        assertEquals("'target': 'primary.example' is not an IP address literal (host names are not resolved)",
                assertThrows(IllegalArgumentException.class,
                        () -> IcmpMonitor.target(null, IcmpConfigs.icmp(Map.of("target", "primary.example")))).getMessage());
        // A wrong 'addresses' never reaches the monitor: the service's owner refuses it and names
        // the key (ProtectedServiceComponentTest), and the monitor sees no service, as above.
    }

    @Test
    void aServiceThatArrivesChangesAndLeavesRestartsTheMonitorWithItsFirstAddress() {
        IcmpMonitor monitor = new IcmpMonitor(IcmpConfigs.icmp(Map.of()));
        monitor.activate();
        try {
            assertTrue(monitor.currentVerdict().reason().contains("'target' is not set"));
            monitor.bindProtectedService(() -> service("192.0.2.10"));
            assertEquals("192.0.2.10", monitor.currentVerdict().target());
            monitor.updatedProtectedService(() -> service("192.0.2.20", "192.0.2.10"));
            assertEquals("192.0.2.20", monitor.currentVerdict().target());
            monitor.unbindProtectedService(null);
            assertTrue(monitor.currentVerdict().reason().contains("'target' is not set"));
        } finally {
            monitor.deactivate();
        }
        monitor.unbindProtectedService(null); // DS may unbind after deactivation: no loop starts again
    }

    @Test
    void unconfiguredOrInvalidMonitorIsUnknownNamingTheKey() {
        IcmpMonitor unconfigured = new IcmpMonitor(IcmpConfigs.icmp(Map.of()));
        unconfigured.activate();
        try {
            assertEquals("icmp", unconfigured.name());
            assertEquals(HealthStatus.UNKNOWN, unconfigured.currentVerdict().status());
            assertTrue(unconfigured.currentVerdict().reason().contains("'target' is not set"));
        } finally {
            unconfigured.deactivate();
        }
        IcmpMonitor badMisses = new IcmpMonitor(IcmpConfigs.icmp(Map.of("misses", -1)));
        badMisses.bindProtectedService(() -> service("127.0.0.1"));
        badMisses.activate();
        try {
            assertEquals("not probing: 'misses' must be at least 1 (is -1)", badMisses.currentVerdict().reason());
        } finally {
            badMisses.deactivate();
        }
    }

    /** The thesis's settings on a fake clock: DOWN after one lost reply, UP after one reply. */
    @Test
    void thesisStateMachineOnAFakeClock() {
        FakeClock clock = new FakeClock(Instant.parse("2026-01-01T00:00:00Z"));
        VerdictStateMachine machine = new VerdictStateMachine("icmp", "192.0.2.10", ProbeSettings.THESIS, clock, "starting");
        assertEquals(HealthStatus.UNKNOWN, machine.current().status());
        clock.advance(THESIS_INTERVAL);
        assertEquals(HealthStatus.UP, machine.record(ProbeResult.success("echo reply in 0.20 ms")).orElseThrow().status());
        clock.advance(THESIS_INTERVAL);
        HealthVerdict down = machine.record(ProbeResult.miss("no echo reply within 500 ms")).orElseThrow();
        assertEquals(HealthStatus.DOWN, down.status());
        assertEquals(Instant.parse("2026-01-01T00:00:01Z"), down.time());
        assertEquals("no echo reply within 500 ms (1 miss)", down.reason());
        clock.advance(THESIS_INTERVAL);
        assertEquals(HealthStatus.UP, machine.record(ProbeResult.success("echo reply in 0.20 ms")).orElseThrow().status());
    }

    /** The fast profile, 20 ms x 3: two lost replies are tolerated, the third is DOWN 60 ms after the first. */
    @Test
    void fastProfileStateMachineOnAFakeClock() {
        FakeClock clock = new FakeClock(Instant.EPOCH);
        VerdictStateMachine machine = new VerdictStateMachine("icmp", "192.0.2.10", new ProbeSettings(20, 20, 3, 1), clock, "starting");
        ProbeResult reply = ProbeResult.success("echo reply");
        ProbeResult lost = ProbeResult.miss("no echo reply within 20 ms");
        machine.record(reply);
        for (int i = 0; i < 10; i++) { // flapping: a lost reply now and then is no failover
            clock.advance(Duration.ofMillis(20));
            assertTrue(machine.record(lost).isEmpty());
            clock.advance(Duration.ofMillis(20));
            assertTrue(machine.record(lost).isEmpty());
            clock.advance(Duration.ofMillis(20));
            assertTrue(machine.record(reply).isEmpty());
        }
        Instant firstLoss = clock.instant().plusMillis(20);
        for (int i = 0; i < 2; i++) {
            clock.advance(Duration.ofMillis(20));
            machine.record(lost);
        }
        clock.advance(Duration.ofMillis(20));
        HealthVerdict down = machine.record(lost).orElseThrow();
        assertEquals(HealthStatus.DOWN, down.status());
        assertEquals(Duration.ofMillis(40), Duration.between(firstLoss, down.time()));
    }

    @Test
    void loopbackAnswers() throws Exception {
        assumeTrue(TestNamespace.isRoot(), "raw sockets need root");
        try (IcmpSocket socket = IcmpSocket.open(Native.load("c", RawSocketLibC.class), InetAddress.getByName("127.0.0.1"), 0x5a5a)) {
            IcmpProbe probe = new IcmpProbe(socket);
            for (int i = 0; i < 5; i++) {
                ProbeResult result = probe.probe(Duration.ofMillis(500));
                assertTrue(result.isSuccess(), result.reason());
                assertTrue(result.reason().startsWith("echo reply in "), result.reason());
            }
        }
    }

    @Test
    void ipv6LoopbackAnswers() throws Exception {
        assumeTrue(TestNamespace.isRoot(), "raw sockets need root");
        assumeTrue(java.nio.file.Files.exists(java.nio.file.Path.of("/proc/net/if_inet6"))
                && java.nio.file.Files.readString(java.nio.file.Path.of("/proc/net/if_inet6")).contains(" lo"), "IPv6 on lo");
        try (IcmpSocket socket = IcmpSocket.open(Native.load("c", RawSocketLibC.class), InetAddress.getByName("::1"), 0x5b5b)) {
            ProbeResult result = new IcmpProbe(socket).probe(Duration.ofMillis(500));
            assertTrue(result.isSuccess(), result.reason());
        }
    }

    @Test
    void loopbackComponentIsUp() throws Exception {
        assumeTrue(TestNamespace.isRoot(), "raw sockets need root");
        BlockingQueue<HealthVerdict> verdicts = new LinkedBlockingQueue<>();
        IcmpMonitor monitor = new IcmpMonitor(IcmpConfigs.icmp(Map.of("intervalMillis", 20L)));
        monitor.bindProtectedService(() -> service("127.0.0.1"));
        inject(monitor, List.of(verdicts::add));
        monitor.activate();
        try {
            HealthVerdict up = awaitStatus(verdicts, HealthStatus.UP);
            assertEquals("127.0.0.1", up.target());
            assertEquals("icmp", up.monitor());
        } finally {
            monitor.deactivate();
        }
    }

    /**
     * A primary in a namespace, joined to the test's by a veth pair with addresses: UP; its cable
     * pulled (its end of the pair down): DOWN; plugged back: UP.
     */
    @Test
    void namespacePrimaryUpThenDownWhenItsLinkIsDownThenUpAgain() throws Exception {
        assumeTrue(TestNamespace.available(), "needs root and iproute2");
        try (TestNamespace lab = TestNamespace.builder("mwicmp").vethWithAddresses().create()) {
            // the real probe on the fake clock of the state machine, thesis settings
            FakeClock clock = new FakeClock(Instant.EPOCH);
            VerdictStateMachine machine = new VerdictStateMachine("icmp", lab.namespaceAddress(), ProbeSettings.THESIS, clock, "starting");
            try (IcmpSocket socket = IcmpSocket.open(Native.load("c", RawSocketLibC.class), InetAddress.getByName(lab.namespaceAddress()), 0x6b6b)) {
                IcmpProbe probe = new IcmpProbe(socket);
                clock.advance(THESIS_INTERVAL);
                ProbeResult first = probe.probe(Duration.ofMillis(2000)); // the first one may wait for ARP
                assertTrue(first.isSuccess(), first.reason());
                assertEquals(HealthStatus.UP, machine.record(first).orElseThrow().status());

                lab.pullCable();
                clock.advance(THESIS_INTERVAL);
                ProbeResult lost = probe.probe(Duration.ofMillis(500));
                assertTrue(lost.isMiss(), lost.reason());
                assertEquals(HealthStatus.DOWN, machine.record(lost).orElseThrow().status());
            }

            // the whole component, with its thread, through the same pull and plug
            lab.plugCable();
            BlockingQueue<HealthVerdict> verdicts = new LinkedBlockingQueue<>();
            IcmpMonitor monitor = new IcmpMonitor(IcmpConfigs.icmp(Map.of("intervalMillis", 50L, "timeoutMillis", 300L, "misses", 2)));
            monitor.bindProtectedService(() -> service(lab.namespaceAddress()));
            inject(monitor, List.of(verdicts::add));
            monitor.activate();
            try {
                awaitStatus(verdicts, HealthStatus.UP);
                lab.pullCable();
                HealthVerdict down = awaitStatus(verdicts, HealthStatus.DOWN);
                assertTrue(down.reason().endsWith("(2 consecutive misses)"), down.reason());
                assertEquals(lab.namespaceAddress(), down.target());
                lab.plugCable();
                awaitStatus(verdicts, HealthStatus.UP);
            } finally {
                monitor.deactivate();
            }
        }
    }

    /** The endpoints the service's owner would publish for these addresses (port 7, unused by the monitor). */
    static ServiceEndpoints service(String... addresses) {
        return ServiceEndpoints.parse(addresses, new int[] {7});
    }
}
