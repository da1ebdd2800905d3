package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Collectors;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.migware.lab.LabNetwork;
import org.migware.lab.MigrationExperiment;

/**
 * The thesis's experiment on modern Linux TCP (timestamps, SACK, window scaling, randomised
 * TSval): N clients push a numbered record every 500 ms; after 40 records each the primary's
 * link is pulled; MigWare in the backup detects it, re-creates every connection against the
 * replica and proxies from then on, answering the clients' ARP (their neighbour timers are
 * shortened, so they ask again and again). The oracle is the applications: no client error, and
 * the replica's application receives every record after the last one the primary's got, in
 * order, without gap or duplicate.
 */
class MigrationLabTest {

    @ParameterizedTest(name = "{0} connections")
    @ValueSource(ints = {1, 10, 100, 200})
    void everyConnectionSurvivesThePrimarysDeath(int connections) {
        String prefix = "mwmig" + connections;
        MigrationExperiment.Options options = MigrationExperiment.Options.defaults(MigwareTestSupport.distributionHome())
                .withConnections(connections).withPrefix(prefix)
                .withBeforeFailureMillis(22_000)
                .withAfterFailureMillis(connections == 200 ? 60_000 : 20_000);
        MigrationExperiment.Result result = MigrationExperiment.run(options, message -> System.out.println("[lab] " + message));

        assertEquals(connections, result.connections().size());
        String broken = result.connections().stream().filter(c -> !c.survived()).map(Object::toString)
                .collect(Collectors.joining("\n"));
        assertEquals(connections, result.survived(), () -> "broken connections:\n" + broken + "\n" + result.statusAfter()
                + "\nMigWare's log:\n" + result.log().lines().filter(l -> !l.contains("] INFO MigrationEngine - proxy: 10."))
                        .limit(80).collect(Collectors.joining("\n")));
        for (MigrationExperiment.ConnectionOutcome c : result.connections()) {
            assertTrue(c.primaryLastRecord() >= 40, () -> "at least 40 records before the failure: " + c);
            assertEquals(0, c.replicaDuplicates(), c::toString);
        }
        assertTrue(result.statusAfter().contains("state:       PROXY"), result.statusAfter());
        assertTrue(result.statusAfter().contains(connections + " recovered, 0 failed"), result.statusAfter());
        assertTrue(result.statusAfter().contains("migration:   " + connections + " recovered, 0 failed, 0 pending, 0 not recoverable"),
                result.statusAfter());
        assertFalse(LabNetwork.leftovers(prefix), "the lab's namespaces must be gone");
    }
}
