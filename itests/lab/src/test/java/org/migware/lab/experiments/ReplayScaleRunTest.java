package org.migware.lab.experiments;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.migware.lab.oracles.RttLog;

/** The clients' wait across the failover, from a hand-made round-trip log. */
class ReplayScaleRunTest {

    @Test
    void theFirstAnswerOfEachTouchedConnectionCountsFromTheLaterOfItsSendAndThePull() {
        long pull = 10_000;
        RttLog log = new RttLog();
        log.add(9_000, 500, 1); // answered before the pull: not counted
        log.add(9_900, 400_000, 1); // sent before the pull, answered 300 ms after it
        log.add(10_500, 1_000, 1); // a later answer of the same connection
        log.add(10_200, 50_000, 2); // sent after the pull, answered 50 ms later
        log.add(9_999, 3_000, 3); // answered before the link was down: still the primary's
        log.add(10_400, 1_000, 4); // sent after PROXY: the outage did not touch it
        long[] waits = ReplayScaleRun.firstAnswerWaits(log, pull, pull + 5, 10_300);
        Arrays.sort(waits);
        assertArrayEquals(new long[] {50, 300}, waits);
    }
}
