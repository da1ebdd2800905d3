package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.migware.lab.Await;
import org.migware.lab.LabException;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.experiments.MigrationExperiment;
import org.migware.lab.experiments.MigwareInstance;
import org.migware.lab.experiments.MigwareStatus;

/**
 * The proxy bundle is updated before the failover (its keeper's client streams kept in its data
 * area), and the bundles are hot-swappable in PROXY too: after the failover, while every client's
 * connection runs through MigWare, the proxy bundle and then the core bundle are updated in the
 * running container. The proxy keeps its mappings in its bundle data area across the update,
 * the core its state; the oracle is the applications — every connection lives on, the replica
 * receives every record after the primary's last, in order, without gap or duplicate.
 */
class ProxyHotSwapLabTest {

    @Test
    void updatingTheProxyAndTheCoreInProxyStateBreaksNoConnection() {
        String prefix = "mwhot";
        List<String> steps = new CopyOnWriteArrayList<>();
        MigrationExperiment.Options options = MigrationExperiment.Options.defaults(BuiltDistribution.home())
                .withConnections(20).withPrefix(prefix).withBeforeFailureMillis(8_000).withAfterFailureMillis(20_000);
        MigrationExperiment.Result result = MigrationExperiment.run(options, message -> System.out.println("[lab] " + message),
                new MigrationExperiment.Observer() {
                    @Override
                    public void ready(LabNetwork lab, MigwareInstance migware) {
                        // Before the failover too: 4 s into the clients' 8 s, the proxy is updated in NORMAL
                        // and must carry on with the client streams its keeper had followed.
                        BundleUpdates.updateLater(migware, "org.migware.proxy", 4000, steps);
                    }

                    @Override
                    public void pulled(LabNetwork lab, MigwareInstance migware, Instant pulled) {
                        Await.until("PROXY", Duration.ofSeconds(10), () -> migware.status().proxy());
                        String proxyUpdate = BundleUpdates.update(migware, "org.migware.proxy");
                        steps.add(proxyUpdate);
                        // the update logs in the command's thread, to MigWare's log file, before the command returns
                        assertTrue(migware.log().contains("carrying on with 20 mappings kept in "),
                                () -> proxyUpdate + "\n" + migware.log().lines().filter(l -> l.contains("proxy:")).limit(40)
                                        .collect(Collectors.joining("\n")));
                        steps.add(BundleUpdates.update(migware, "org.migware.core"));
                        Await.until("the core back", Duration.ofSeconds(20), () -> {
                            try {
                                MigwareStatus status = migware.status();
                                return status.reason().contains("kept across a restart of the core")
                                        && status.migration().started() && status.migration().recovered() == 20;
                            } catch (LabException notYet) {
                                return false;
                            }
                        });
                        steps.add(migware.query("migware:status"));
                    }
                });

        String broken = result.connections().stream().filter(c -> !c.survived()).map(Object::toString)
                .collect(Collectors.joining("\n"));
        assertEquals(20, result.connections().size());
        assertEquals(20, result.survived(), () -> "broken connections:\n" + broken + "\nsteps: " + steps + "\n"
                + result.log().lines().filter(l -> l.contains("proxy:") || l.contains("core:")).limit(80)
                        .collect(Collectors.joining("\n")));
        for (MigrationExperiment.ConnectionOutcome c : result.connections()) {
            assertEquals(0, c.replicaDuplicates(), c::toString);
            assertTrue(c.replicaLastRecord() > c.primaryLastRecord() + 10, () -> "records kept flowing after the updates: " + c);
        }
        assertTrue(result.finalStatus().proxy(), result.statusAfter());
        assertTrue(result.finalStatus().reason().contains("kept across a restart of the core"), result.statusAfter());
        assertTrue(result.log().contains("proxy: carrying on with 20 client streams kept across the restart"),
                () -> "the update in NORMAL kept the keeper's streams (MigWare's log); steps: " + steps);
        for (MigrationExperiment.ConnectionOutcome c : result.connections()) {
            assertEquals(0, c.replicaTorn(), () -> "torn record at the replica: " + c);
        }
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
    }
}
