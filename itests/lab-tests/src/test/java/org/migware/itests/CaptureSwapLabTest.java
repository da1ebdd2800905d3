package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.migware.lab.Await;
import org.migware.lab.LabException;
import org.migware.lab.experiments.CaptureBackend;
import org.migware.lab.experiments.DetectionExperiment;
import org.migware.lab.experiments.MigrationExperiment;
import org.migware.lab.experiments.MigwareInstance;
import org.migware.lab.experiments.MigwareStatus;
import org.migware.lab.network.LabNetwork;

/**
 * Issue 14, acceptance 2: the live capture backend is swapped on the running container while 200
 * clients push records, pcap4j → ring → pcap4j, as an operator would: the new backend's
 * configuration gets the interface, and once its source runs the old one's configuration is
 * removed. The oracle is the applications: the failover a few seconds later must carry every
 * connection to the replica, which receives every record after the primary's last, without gap or
 * duplicate. The table the proxy reads at the failover must hold all 200 with their handshakes.
 */
class CaptureSwapLabTest {

    private static final int CONNECTIONS = 200;

    @Test
    void swappingPcap4jForTheRingAndBackUnderLoadLosesNoConnection() {
        String prefix = "mwcsw";
        List<String> steps = new CopyOnWriteArrayList<>();
        List<String> tableAtFailover = new CopyOnWriteArrayList<>();
        MigrationExperiment.Options options = MigrationExperiment.Options.defaults(BuiltDistribution.home())
                .withConnections(CONNECTIONS).withPrefix(prefix).withCapture(CaptureBackend.PCAP4J)
                .withMonitor(DetectionExperiment.Profile.FAST)
                .withBeforeFailureMillis(22_000).withAfterFailureMillis(20_000);
        MigrationExperiment.Result result = MigrationExperiment.run(options, message -> System.out.println("[lab] " + message),
                new MigrationExperiment.Observer() {
                    @Override
                    public void ready(LabNetwork lab, MigwareInstance migware) {
                        Thread swaps = new Thread(() -> {
                            try {
                                Await.sleep(5000);
                                steps.add(swap(migware, CaptureBackend.PCAP4J, CaptureBackend.RING));
                                Await.sleep(5000);
                                steps.add(swap(migware, CaptureBackend.RING, CaptureBackend.PCAP4J));
                            } catch (LabException | AssertionError e) {
                                steps.add("swap failed: " + e.getMessage());
                            }
                        }, "capture-swaps");
                        swaps.setDaemon(true);
                        swaps.start();
                    }

                    @Override
                    public void pulled(LabNetwork lab, MigwareInstance migware, Instant pulled) {
                        tableAtFailover.add(migware.query("migware:connections"));
                    }
                });

        System.out.println("[lab] swaps:\n" + String.join("\n", steps));
        assertEquals(2, steps.stream().filter(s -> s.startsWith("swapped ")).count(), () -> "both swaps done: " + steps);
        String table = String.join("", tableAtFailover);
        assertEquals(CONNECTIONS, table.lines().filter(l -> l.contains(" handshake=seen ")).count(), table);
        assertFalse(table.contains("handshake=missed"), table);

        String broken = result.connections().stream().filter(c -> !c.survived()).map(Object::toString)
                .collect(Collectors.joining("\n"));
        assertEquals(CONNECTIONS, result.connections().size());
        assertEquals(CONNECTIONS, result.survived(), () -> "broken connections:\n" + broken + "\nsteps: " + steps + "\n"
                + result.log().lines().filter(l -> l.contains("capture") || l.contains("tracker:") || l.contains("core:"))
                        .limit(80).collect(Collectors.joining("\n")));
        for (MigrationExperiment.ConnectionOutcome c : result.connections()) {
            assertEquals(0, c.replicaDuplicates(), c::toString);
            assertEquals(0, c.replicaTorn(), () -> "torn record at the replica: " + c);
        }
        MigrationScenariosLabTest.assertRecovered(result, CONNECTIONS);
        assertEquals(List.of(CaptureBackend.PCAP4J.sourceName(LabNetwork.ROLE_INTERFACE)), result.finalStatus().capturesRunning(),
                "pcap4j captures again at the end, alone");
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
    }

    /**
     * Configures {@code to} on the lab's interface, waits until its source runs beside the old one,
     * then removes {@code from}'s configuration and waits until {@code to}'s source runs alone.
     *
     * @return what happened, with the tracked count after the swap
     */
    private static String swap(MigwareInstance migware, CaptureBackend from, CaptureBackend to) {
        long started = System.nanoTime();
        String toSource = to.sourceName(LabNetwork.ROLE_INTERFACE);
        migware.configure(to.pid(), Map.of("interfaceName", LabNetwork.ROLE_INTERFACE, "bufferSize", "268435456"));
        Await.until(toSource + " running", Duration.ofSeconds(20), () -> status(migware).capturesRunning().contains(toSource));
        int trackedBoth = status(migware).tracked();
        migware.configure(from.pid(), Map.of());
        Await.until(toSource + " running alone", Duration.ofSeconds(20),
                () -> status(migware).capturesRunning().equals(List.of(toSource)));
        MigwareStatus after = status(migware);
        return "swapped " + from + " -> " + to + " in " + Duration.ofNanos(System.nanoTime() - started).toMillis()
                + " ms; tracked with both running " + trackedBoth + ", after " + after.tracked();
    }

    private static MigwareStatus status(MigwareInstance migware) {
        return migware.status();
    }
}
