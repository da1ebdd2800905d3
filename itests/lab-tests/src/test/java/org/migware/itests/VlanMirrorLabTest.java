package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.migware.lab.Await;
import org.migware.lab.experiments.CaptureBackend;
import org.migware.lab.experiments.DetectionExperiment;
import org.migware.lab.experiments.MigrationExperiment;
import org.migware.lab.experiments.MigrationExperiment.ConnectionOutcome;
import org.migware.lab.experiments.MigrationExperiment.Result;
import org.migware.lab.experiments.MigrationExperiment.Scenario;
import org.migware.lab.experiments.MigwareInstance;
import org.migware.lab.network.ImpairedLink;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.network.Role;
import org.migware.lab.network.TrunkCounters;

/**
 * Issue 10, point 9: MigWare on a VLAN-tagged mirror. The backup's link is an 802.1Q trunk
 * ({@link LabNetwork#trunkWithNativeHost}: this kernel has no 8021q module, so the lab's wire box
 * tags): every frame of the clients' conversations with the primary reaches the backup tagged with
 * VLAN {@value #VLAN}, and of what leaves it only frames tagged {@value #VLAN} go on (untagged) to the
 * hub, besides the backup host's own frames (its MAC, the native VLAN: the ICMP monitor's echoes). A
 * frame MigWare sent untagged for the primary is dropped by the trunk, as a switch drops it.
 *
 * <p>The trunk goes in before the clients start: every handshake MigWare's capture sees is tagged.
 * After the pull, in PROXY, the clients' neighbour caches are flushed: they must ask ARP for the
 * primary's address again, in the VLAN, and only MigWare can answer. Request/response: every answer
 * after the failover crosses the trunk from MigWare to the client. The oracle is the applications
 * (every record at the replica, every answer byte-exact at the client), the client's kernel (its
 * neighbour entry for the primary's address resolved again) and the trunk's own counters (frames
 * it tagged and untagged, and that it dropped nothing untagged that was not the backup host's).
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class VlanMirrorLabTest {

    private static final int VLAN = 100;
    private static final int CONNECTIONS = 20;

    @ParameterizedTest(name = "capture {0}")
    @EnumSource(CaptureBackend.class)
    void captureArpAnswersAndForwardingWorkOnAVlanTaggedMirror(CaptureBackend capture) {
        String prefix = "mwvlan" + capture.name().substring(0, 1).toLowerCase(Locale.ROOT);
        MigrationExperiment.Options options = MigrationExperiment.Options.forScenario(Scenario.REQUEST_RESPONSE,
                BuiltDistribution.home()).withPrefix(prefix).withConnections(CONNECTIONS).withIntervalMillis(200)
                .withBeforeFailureMillis(4000).withAfterFailureMillis(8000).withMonitor(DetectionExperiment.Profile.FAST)
                .withCapture(capture);
        AtomicReference<ImpairedLink> trunk = new AtomicReference<>();
        AtomicReference<TrunkCounters> beforePull = new AtomicReference<>();
        AtomicReference<TrunkCounters> after = new AtomicReference<>();
        AtomicReference<String> neighbour = new AtomicReference<>("");
        AtomicReference<String> primaryMac = new AtomicReference<>("");
        Result result = MigrationExperiment.run(options, message -> System.out.println("[lab " + prefix + "] " + message),
                new MigrationExperiment.Observer() {
                    @Override
                    public void ready(LabNetwork lab, MigwareInstance migware) {
                        trunk.set(lab.trunkWithNativeHost(Role.BACKUP, VLAN));
                        primaryMac.set(lab.macAddress(Role.PRIMARY));
                        // the monitor's echoes cross the native VLAN: it must still see the primary UP
                        Await.sleep(1000);
                        assertTrue(migware.status().says("icmp", "UP"), "the ICMP monitor still UP across the trunk");
                    }

                    @Override
                    public void aboutToPull(LabNetwork lab, MigwareInstance migware) {
                        beforePull.set(trunk.get().trunkCounters());
                    }

                    @Override
                    public void pulled(LabNetwork lab, MigwareInstance migware, Instant pulled) {
                        Await.until("PROXY", Duration.ofSeconds(30), () -> migware.status().proxy());
                        lab.exec(Role.CLIENT, "ip", "neigh", "flush", "all").requireSuccess();
                        String primary = lab.address(Role.PRIMARY);
                        Await.until("the client's neighbour entry for " + primary + " resolved again", Duration.ofSeconds(10),
                                () -> lab.exec(Role.CLIENT, "ip", "neigh", "show", primary).stdout().contains("lladdr"));
                        neighbour.set(lab.exec(Role.CLIENT, "ip", "neigh", "show", primary).stdout().trim());
                    }

                    @Override
                    public void finished(LabNetwork lab, MigwareInstance migware) {
                        after.set(trunk.get().trunkCounters());
                    }
                });
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
        TrunkCounters before = beforePull.get();
        TrunkCounters end = after.get();
        long answers = result.connections().stream().mapToLong(ConnectionOutcome::responses).filter(r -> r > 0).sum();
        System.out.printf("[lab %s] %d connections, %d answers checked; the trunk before the pull: %s; at the end: %s;"
                + " the client's neighbour entry after the flush in PROXY: %s%n", prefix, result.connections().size(), answers,
                before.toMap(), end.toMap(), neighbour.get());

        assertTrue(before.tagged() > CONNECTIONS * 10L, () -> "the clients' frames reached the backup tagged: " + before);
        assertTrue(end.untagged() - before.untagged() > CONNECTIONS * 10L,
                () -> "MigWare's frames to the clients left the backup tagged " + VLAN + ": " + end);
        assertEquals(0, end.droppedUntagged(), () -> "nothing but the backup host's own frames left the backup untagged: " + end);
        assertEquals(0, end.droppedOtherVlan(), () -> "no frame of another VLAN: " + end);
        assertTrue(neighbour.get().contains(primaryMac.get()), () -> "the client asked ARP in PROXY and got the primary's MAC "
                + primaryMac.get() + " (MigWare's answer, tagged): " + neighbour.get());

        assertEquals(CONNECTIONS, result.connections().size());
        String broken = result.connections().stream().filter(c -> !c.survived() || !c.answeredAfterFailover())
                .map(Object::toString).collect(Collectors.joining("\n"));
        for (ConnectionOutcome c : result.connections()) {
            assertEquals("", c.clientError(), () -> c + "\n" + broken + "\n" + result.statusAfter());
            assertEquals(0, c.wrongResponses(), () -> "a cut, garbled or repeated answer: " + c);
            assertTrue(c.survived(), () -> "the replica's application did not get every record after the primary's last: " + c
                    + "\nall broken:\n" + broken);
            assertEquals(0, c.replicaTorn(), () -> "a torn record at the replica: " + c);
            assertEquals(c.recordsSent(), c.lastResponseSeq(), () -> "the last record was not answered: " + c);
            assertTrue(c.lastResponseSeq() > c.primaryLastRecord(), () -> "no answer came from the replica: " + c);
        }
        MigrationScenariosLabTest.assertRecovered(result, CONNECTIONS);
    }
}
