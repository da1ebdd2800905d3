package org.migware.core.internal.status;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;
import java.net.InetAddress;

import org.migware.api.connection.Endpoint;
import org.migware.api.failover.Delivery;
import org.migware.api.failover.DeliveryTotals;
import org.migware.api.failover.KeptConnection;
import org.migware.api.failover.MappingSnapshot;
import org.migware.api.failover.MigrationPhase;
import org.migware.api.failover.MigrationProgress;
import org.migware.api.failover.NotReplayableReason;
import org.migware.api.failover.ReplayReadiness;

/** The words are those the migration bundle wrote itself before the status was typed. */
class StatusTextTest {

    @Test
    void recoveryInTheWordsOfTheOldSummary() {
        assertEquals("1 recovered, 0 failed, 2 pending, 1 not recoverable, in 14 ms; 120 client bytes handed over;"
                + " framing newline: 1 record heads prepended, 0 not kept; 4 resets for no connection;"
                + " ECN refused by the replica for 1", StatusText.migration(StatusRecords.recovering()));
    }

    @Test
    void withoutFramingResetsOrEcnRefusalsOnlyTheCounts() {
        MigrationProgress done = new MigrationProgress(MigrationPhase.RECOVERED, null, StatusRecords.NOW, StatusRecords.NOW,
                2_999_999L, 200, 0, 0, 0, 0, List.of(), 0, 0, 0, MigrationProgress.NO_FRAMING, 0, 0, 0, 0);
        assertEquals("200 recovered, 0 failed, 0 pending, 0 not recoverable, in 2 ms; 0 client bytes handed over",
                StatusText.migration(done));
    }

    @Test
    void theIdlePhases() {
        assertEquals("not configured (etc/org.migware.proxy.cfg: 'replicaAddress' is not set): connections will not be migrated at failover",
                StatusText.migration(MigrationProgress.notConfigured()));
        assertEquals("unavailable: cannot open /dev/net/tun", StatusText.migration(MigrationProgress.unavailable("cannot open /dev/net/tun")));
        MigrationProgress ready = new MigrationProgress(MigrationPhase.READY, null, null, null, 0, 0, 0, 0, 0, 0, List.of(), 3, 0, 0,
                MigrationProgress.NO_FRAMING, 0, 0, 0, 0);
        assertEquals("ready: no failover yet (3 new connections passed through)", StatusText.migration(ready));
    }

    @Test
    void aMappingInTheWordsOfTheOldLine() {
        assertEquals("10.77.0.1:40000 (shadow 198.18.0.2:10000) state=ESTABLISHED d2=4000000000 tsOffset=-3 windowShift=7->8"
                + " ecn=refused-by-replica streamStart=3000000000 handOverLeft=12 toReplica=5 toClient=4",
                StatusText.mappings(List.of(StatusRecords.mapping())).get(0));
    }

    @Test
    void theWholeStatus() {
        assertEquals("""
                state:       PROXY since 2026-11-30T09:59:55Z (recovery finished: 1 recovered)
                policy:      quorum 2, hold-down 500 ms, dry run
                fence:       ipmitool power off (last attempt failed: fence command exited 1: bmc unreachable)
                capture:     pcap4j:eth0 running received=100 dropped.kernel=2 dropped.interface=1 dropped.migware=3 (listener-failed=3)
                connections: 1 of 10 created=5 evicted=1 expired.idle=2 expired.closed=3 sources=0
                packets:     tracked=7 ignored=4 (not-ip=4) malformed=0
                migration:   1 recovered, 0 failed, 2 pending, 1 not recoverable, in 14 ms; 120 client bytes handed over;\
                 framing newline: 1 record heads prepended, 0 not kept; 4 resets for no connection; ECN refused by the replica for 1
                monitor:     icmp DOWN target=10.77.0.2 at 2026-11-30T09:59:54Z (no reply)
                """, StatusText.status(StatusRecords.report(), true));
    }

    /** Before failover the operator sees what a failover now would do with the kept connections; after it, what replay did. */
    @Test
    void deliveryBeforeAndReplayAfterFailover() {
        DeliveryTotals before = new DeliveryTotals("auto 443=resume", 1_048_576, 1_073_741_824, 12, 3, 0, 1, 0, 0, 0, 2, 0,
                0, 0, 0, 0, 0, 0, 0);
        MigrationProgress ready = new MigrationProgress(MigrationPhase.READY, null, null, null, 0, 0, 0, 0, 0, 0, List.of(), 0, 0, 0,
                MigrationProgress.NO_FRAMING, 0, 0, 0, 0, before);
        assertEquals("ready: no failover yet (0 new connections passed through); delivery auto 443=resume: 12 replayable,"
                + " 3 resumable only, 0 not migratable (not replayable since start: handshake-missed=1 tls=2),"
                + " kept 1048576 of 1073741824 bytes", StatusText.migration(ready));
        DeliveryTotals after = new DeliveryTotals("replay", 0, 1_073_741_824, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 11, 1, 2, 5000, 3000, 1);
        MigrationProgress done = new MigrationProgress(MigrationPhase.RECOVERED, null, StatusRecords.NOW, StatusRecords.NOW,
                2_999_999L, 12, 0, 0, 0, 0, List.of(), 0, 0, 0, MigrationProgress.NO_FRAMING, 0, 0, 0, 0, after);
        assertEquals("12 recovered, 0 failed, 0 pending, 0 not recoverable, in 2 ms; 0 client bytes handed over; replay: 12 replayed,"
                + " 11 caught up, 1 diverged (reset), 2 not replayable (reset); 5000 replica bytes verified, 3000 dropped;"
                + " 1 resumed in the middle of a response (reset)",
                StatusText.migration(done));
    }

    @Test
    void aReplayedMappingAndAKeptConnection() throws Exception {
        MappingSnapshot m = StatusRecords.mapping();
        MappingSnapshot replayed = new MappingSnapshot(m.client(), m.shadow(), m.replica(), m.state(), m.translation(), m.ecn(),
                m.streamStart(), m.handOverBytesLeft(), m.packetsToReplica(), m.packetsToClient(),
                new MappingSnapshot.Replay(10_000, 6_000, 7_000, 3_000, 2_500_000, MappingSnapshot.ReplayOutcome.CATCHING_UP));
        assertEquals("10.77.0.1:40000 (shadow 198.18.0.2:10000) state=ESTABLISHED d2=4000000000 tsOffset=-3 windowShift=7->8"
                + " ecn=refused-by-replica streamStart=3000000000 handOverLeft=12 toReplica=5 toClient=4"
                + " replay=catching_up verified=7000 left=3000 catchUpMs=2", StatusText.mappings(List.of(replayed)).get(0));
        KeptConnection kept = new KeptConnection(new Endpoint(InetAddress.getByName("10.77.0.1"), 40000, null),
                new Endpoint(InetAddress.getByName("10.77.0.2"), 443, null), Delivery.REPLAY, ReplayReadiness.NOT_MIGRATABLE,
                NotReplayableReason.TLS_SEEN, 517, 0, 0);
        assertEquals("10.77.0.1:40000 -> 10.77.0.2:443 delivery=replay readiness=NOT_MIGRATABLE reason=TLS_SEEN kept=517 digested=0"
                + " acked=0", StatusText.kept(List.of(kept)).get(0));
    }
}
