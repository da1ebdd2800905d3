package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.experiments.MigrationExperiment;
import org.migware.lab.experiments.MigwareInstance;

/**
 * The tracker bundle is updated in NORMAL, 4 s into the clients' traffic, while the live
 * capture runs: it saves its table to its bundle data area and the new revision reads it back.
 * Every bundle can be swapped without losing a connection, so the failover a few seconds later
 * must still find each of the 20 connections with its handshake (ISNs, MSS, window scale, SACK)
 * and re-create it; the oracle is the applications — every connection lives on.
 *
 * <p>The clients start only once the tracker's table is up ({@code MigrationExperiment} waits for it):
 * the tracker bundle starts after the capture bundle, and a client connecting in between would be
 * tracked from mid-stream (handshake missed) whether or not the tracker is updated later.
 */
class TrackerHotSwapLabTest {

    @Test
    void updatingTheTrackerInNormalStateKeepsEveryConnectionRecoverable() {
        String prefix = "mwtrk";
        List<String> steps = new CopyOnWriteArrayList<>();
        List<String> tableAtFailover = new CopyOnWriteArrayList<>();
        MigrationExperiment.Options options = MigrationExperiment.Options.defaults(BuiltDistribution.home())
                .withConnections(20).withPrefix(prefix).withBeforeFailureMillis(8_000).withAfterFailureMillis(12_000);
        MigrationExperiment.Result result = MigrationExperiment.run(options, message -> System.out.println("[lab] " + message),
                new MigrationExperiment.Observer() {
                    @Override
                    public void ready(LabNetwork lab, MigwareInstance migware) {
                        // The experiment starts the clients once the tracker's table is up (MigwareStatus.tracking).
                        BundleUpdates.updateLater(migware, "org.migware.tracker", 4000, steps);
                    }

                    @Override
                    public void pulled(LabNetwork lab, MigwareInstance migware, Instant pulled) {
                        tableAtFailover.add(migware.query("migware:connections"));
                    }
                });

        String broken = result.connections().stream().filter(c -> !c.survived()).map(Object::toString)
                .collect(Collectors.joining("\n"));
        assertTrue(result.log().contains("tracker: restored 20 connections"),
                () -> "the update restored the table (MigWare's log); steps: " + steps);
        // The restored table itself, as the proxy read it at the failover: every connection with its handshake.
        String table = String.join("", tableAtFailover);
        assertEquals(20, table.lines().filter(l -> l.contains(" handshake=seen ")).count(), table);
        assertFalse(table.contains("handshake=missed"), table);
        assertEquals(20, result.connections().size());
        assertEquals(20, result.survived(), () -> "broken connections:\n" + broken + "\nsteps: " + steps + "\n"
                + result.log().lines().filter(l -> l.contains("tracker:") || l.contains("proxy:") || l.contains("core:"))
                        .limit(80).collect(Collectors.joining("\n")));
        assertFalse(result.log().contains(" not recoverable: "), () -> result.log().lines()
                .filter(l -> l.contains(" not recoverable: ")).limit(20).collect(Collectors.joining("\n")));
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
    }
}
