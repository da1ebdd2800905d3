package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.migware.lab.experiments.DetectionExperiment;
import org.migware.lab.experiments.MigrationExperiment;
import org.migware.lab.experiments.MigrationExperiment.ConnectionOutcome;
import org.migware.lab.experiments.MigrationExperiment.Result;
import org.migware.lab.experiments.MigrationExperiment.Scenario;
import org.migware.lab.experiments.MigwareInstance;
import org.migware.lab.experiments.MigwareStatus;
import org.migware.lab.experiments.ReplayExperiment;
import org.migware.lab.network.LabNetwork;

/**
 * Issue 9's limits and regression points on the lab's own workloads: the scenarios that pass
 * with {@code resume} pass with {@code auto} (and push with {@code replay}), and a connection
 * whose stream outgrew {@code replayBytesPerConnection} is resumed with {@code auto}, reset with
 * {@code replay}, and reported as not replayable before the failover. The oracle is the
 * applications: the push clients' errors and the records the replica's application received.
 */
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
class DeliveryLabTest {

    private static final int CONNECTIONS = 10;

    /** The push scenario, 10 connections, a record every 100 ms, the fast monitor, with proxy settings. */
    private static MigrationExperiment.Options push(String prefix, String delivery) {
        return MigrationExperiment.Options.forScenario(Scenario.PUSH, BuiltDistribution.home()).withPrefix(prefix)
                .withConnections(CONNECTIONS).withIntervalMillis(100).withRecordSize(1000)
                .withBeforeFailureMillis(8000).withAfterFailureMillis(8000).withMonitor(DetectionExperiment.Profile.FAST)
                .withProxySetting("delivery", delivery);
    }

    /** Runs, and returns the result with {@code migware:status --json} as it was just before the pull. */
    private static Result run(MigrationExperiment.Options options, AtomicReference<String> statusBeforePull) {
        Result result = MigrationExperiment.run(options, message -> System.out.println("[lab " + options.prefix() + "] " + message),
                new MigrationExperiment.Observer() {
                    @Override
                    public void aboutToPull(LabNetwork lab, MigwareInstance migware) {
                        statusBeforePull.set(migware.query(MigwareStatus.COMMAND));
                    }
                });
        assertFalse(LabNetwork.leftovers(options.prefix()), "the lab's namespaces must be gone");
        return result;
    }

    private static String broken(Result result) {
        return result.connections().stream().filter(c -> !c.survived()).map(Object::toString).collect(Collectors.joining("\n"))
                + "\n" + result.statusAfter();
    }

    /** Push passes with every delivery: replay hands the replica each whole stream; its application sees records from the first. */
    @ParameterizedTest(name = "delivery {0}")
    @ValueSource(strings = {"auto", "replay"})
    void pushCarriesOnWithEveryDelivery(String delivery) {
        AtomicReference<String> before = new AtomicReference<>();
        Result result = run(push("mwdl" + delivery.charAt(0), delivery), before);
        assertEquals(CONNECTIONS, ReplayExperiment.count(before.get(), "replayable"), () -> "all replayable before:\n" + before.get());
        assertEquals(CONNECTIONS, result.survived(), () -> broken(result));
        for (ConnectionOutcome c : result.connections()) {
            assertEquals("", c.clientError(), c::toString);
            assertEquals(0, c.replicaTorn(), c::toString);
            if (delivery.equals("replay")) {
                assertEquals(1, c.replicaFirstRecord(), () -> "replayed from the stream's first byte: " + c);
            }
        }
        MigrationScenariosLabTest.assertRecovered(result, CONNECTIONS);
    }

    /**
     * Streams beyond {@code replayBytesPerConnection} (16 KiB; each client sends 10 KB a second):
     * reported as not replayable before the failover; with {@code auto} they are resumed and carry
     * on; with {@code replay} each client is reset at the failover (it sees the error) and none
     * hangs.
     */
    @ParameterizedTest(name = "delivery {0}")
    @ValueSource(strings = {"auto", "replay"})
    void connectionsBeyondTheBoundAreResumedWithAutoAndResetWithReplay(String delivery) {
        AtomicReference<String> before = new AtomicReference<>();
        Result result = run(push("mwdb" + delivery.charAt(0), delivery)
                .withProxySetting("replayChunkBytes", "4096").withProxySetting("replayBytesPerConnection", "16384"), before);
        assertEquals(0, ReplayExperiment.count(before.get(), "replayable"), before::get);
        assertEquals(CONNECTIONS, ReplayExperiment.count(before.get(), "streamTooLong"),
                () -> "every connection reported too long to keep, before the failover:\n" + before.get());
        if (delivery.equals("auto")) {
            assertEquals(CONNECTIONS, result.survived(), () -> broken(result));
            result.connections().forEach(c -> assertEquals("", c.clientError(), c::toString));
            MigrationScenariosLabTest.assertRecovered(result, CONNECTIONS);
        } else {
            for (ConnectionOutcome c : result.connections()) {
                assertFalse(c.clientError().isEmpty(), () -> "reset at the failover, the client says so: " + c);
                assertTrue(c.replicaRecords() <= 0, () -> "nothing of it reached the replica's application: " + c);
            }
        }
    }
}
