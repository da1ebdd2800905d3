package org.migware.proxy.internal.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.migware.api.failover.Delivery;
import org.migware.api.failover.NotReplayableReason;

/**
 * The digest and its check, on streams cut at random: the replica's output, however it is
 * segmented, matches when it is the primary's and is stopped at the first chunk (below the kept
 * bytes) or the first byte (from them on) where it is not — before any segment holding a foreign
 * byte could go on.
 */
class ReplayCatchUpTest {

    private static final int SERVER_ISN = 5000;

    private static ReplayStream stream(ChunkPool pool, byte[] server, int acked) {
        ReplayStream s = ReplayStream.of(1, 2, 3, 4);
        s.startAt(999);
        s.serverStartsAt(SERVER_ISN);
        Random random = new Random(server.length);
        int at = 0;
        while (at < server.length) {
            int n = Math.min(server.length - at, 1 + random.nextInt(3000));
            assertNull(s.serverBytes(pool, 1000, SERVER_ISN + 1 + at, server, at, n));
            at += n;
        }
        s.clientAcknowledged(pool, SERVER_ISN + 1 + acked);
        return s;
    }

    @Test
    void thePrimarysOwnOutputMatchesHoweverItIsCut() {
        Random random = new Random(7);
        for (int round = 0; round < 200; round++) {
            ChunkPool pool = new ChunkPool(4096, 64 << 20);
            byte[] server = new byte[1 + random.nextInt(40_000)];
            random.nextBytes(server);
            int acked = random.nextInt(server.length + 1);
            ReplayCatchUp catchUp = new ReplayCatchUp(stream(pool, server, acked), SERVER_ISN + 1 + acked, pool);
            int at = 0;
            while (at < server.length) {
                int n = Math.min(server.length - at, 1 + random.nextInt(2000));
                ReplayCatchUp.Verdict verdict = catchUp.check(server, at, n, at);
                assertEquals(at + n <= acked ? ReplayCatchUp.Verdict.DROP : ReplayCatchUp.Verdict.FORWARD, verdict, "round " + round);
                at += n;
            }
            assertTrue(catchUp.caughtUp());
            assertEquals(server.length, catchUp.bytesVerified());
        }
    }

    @Test
    void aForeignByteIsFoundBeforeItsSegmentGoesOnWhenTheClientMayLackIt() {
        Random random = new Random(11);
        for (int round = 0; round < 300; round++) {
            ChunkPool pool = new ChunkPool(4096, 64 << 20);
            byte[] server = new byte[100 + random.nextInt(40_000)];
            random.nextBytes(server);
            int acked = random.nextInt(server.length + 1);
            ReplayCatchUp catchUp = new ReplayCatchUp(stream(pool, server, acked), SERVER_ISN + 1 + acked, pool);
            byte[] replica = server.clone();
            int foreign = random.nextInt(server.length);
            replica[foreign] ^= (byte) (1 + random.nextInt(255));
            int at = 0;
            boolean stopped = false;
            while (at < replica.length && !stopped) {
                int n = Math.min(replica.length - at, 1 + random.nextInt(2000));
                ReplayCatchUp.Verdict verdict = catchUp.check(replica, at, n, at);
                if (verdict == ReplayCatchUp.Verdict.DIVERGED) {
                    stopped = true;
                } else if (verdict == ReplayCatchUp.Verdict.FORWARD) {
                    assertTrue(foreign >= at + n || foreign < at,
                            "round " + round + ": a segment with the foreign byte " + foreign + " went on: " + at + "+" + n);
                }
                at += n;
            }
            assertTrue(stopped, "round " + round + ": the difference at " + foreign + " was found");
            assertEquals(ReplayCatchUp.Verdict.DIVERGED, catchUp.check(server, 0, 1, 0), "and nothing goes on after it");
        }
    }

    /**
     * The client's acknowledgement, translated to the replica, stops at the replica bytes checked so
     * far while checking goes on — across the wrap of the replica's sequence space — and passes as it
     * is once the client holds all the primary sent and the replica has regenerated it.
     */
    @Test
    void theClientsAcknowledgementStopsAtTheCheckedBytesUntilCheckingIsOver() {
        ChunkPool pool = new ChunkPool(4096, 64 << 20);
        byte[] server = new byte[10_000];
        new Random(11).nextBytes(server);
        ReplayCatchUp catchUp = new ReplayCatchUp(stream(pool, server, 6_000), SERVER_ISN + 1 + 6_000, pool);
        int replicaIsn = 0xffff_f000; // its byte 4,095 is the last before the wrap
        int d2 = replicaIsn - SERVER_ISN;
        int clientAck = SERVER_ISN + 1 + 6_000 + d2; // the client holds 6,000 bytes
        assertEquals(replicaIsn + 1, catchUp.replicaAckLimit(clientAck, replicaIsn), "nothing checked: nothing acknowledged");
        for (int at = 0; at < 5_000; at += 1_000) {
            assertEquals(ReplayCatchUp.Verdict.DROP, catchUp.check(server, at, 1_000, at));
            assertEquals(replicaIsn + 1 + at + 1_000, catchUp.replicaAckLimit(clientAck, replicaIsn), "after " + (at + 1_000));
        }
        assertEquals(replicaIsn + 1 + 3_000, catchUp.replicaAckLimit(replicaIsn + 1 + 3_000, replicaIsn), "an older one passes as it is");
        assertEquals(ReplayCatchUp.Verdict.FORWARD, catchUp.check(server, 5_000, 5_000, 5_000));
        assertEquals(clientAck, catchUp.replicaAckLimit(clientAck, replicaIsn), "checked beyond it: as it is");
        assertEquals(replicaIsn + 1 + 10_000, catchUp.replicaAckLimit(replicaIsn + 1 + 12_000, replicaIsn), "still checking");
        catchUp.clientAcknowledged(SERVER_ISN + 1 + 10_000);
        assertTrue(catchUp.checkingOver());
        assertEquals(replicaIsn + 1 + 12_000, catchUp.replicaAckLimit(replicaIsn + 1 + 12_000, replicaIsn), "checking over: as it is");
    }

    @Test
    void aGapTlsAndSshMakeAStreamNotReplayable() {
        ChunkPool pool = new ChunkPool(4096, 1 << 20);
        ReplayStream gap = ReplayStream.of(1, 2, 3, 4);
        gap.startAt(999);
        byte[] bytes = "hello".getBytes();
        assertNull(gap.clientBytes(pool, 10, 1000, bytes, 0, 5));
        assertEquals(NotReplayableReason.CAPTURE_GAP, gap.clientBytes(pool, 10, 1010, bytes, 0, 5));
        assertEquals(0, pool.bytesInUse(), "its chunks given back");

        ReplayStream tls = ReplayStream.of(1, 2, 3, 4);
        tls.startAt(999);
        byte[] hello = {0x16, 0x03, 0x01, 0x00, 0x05};
        assertEquals(NotReplayableReason.TLS_SEEN, tls.clientBytes(pool, 10, 1000, hello, 0, hello.length));

        ReplayStream ssh = ReplayStream.of(1, 2, 3, 4);
        ssh.startAt(999);
        byte[] banner = "SSH-2.0-OpenSSH_9.6\r\n".getBytes();
        assertEquals(NotReplayableReason.SSH_SEEN, ssh.clientBytes(pool, 10, 1000, banner, 0, banner.length));

        ReplayStream missed = ReplayStream.of(1, 2, 3, 4);
        missed.startAt(999);
        assertEquals(NotReplayableReason.HANDSHAKE_MISSED, missed.serverBytes(pool, 10, 5001, bytes, 0, 5), "the SYN-ACK was not seen");
    }

    @Test
    void theTotalBoundHoldsAndAConnectionBeyondItIsNotReplayable() {
        ChunkPool pool = new ChunkPool(4096, 3 * 4096);
        byte[] bytes = new byte[4096];
        ReplayStream[] streams = new ReplayStream[4];
        int notKept = 0;
        for (int i = 0; i < streams.length; i++) {
            streams[i] = ReplayStream.of(1, i, 3, 4);
            streams[i].startAt(0);
            NotReplayableReason reason = streams[i].clientBytes(pool, 10, 1, bytes, 0, bytes.length);
            if (reason != null) {
                assertEquals(NotReplayableReason.KEEPING_MEMORY_FULL, reason);
                notKept++;
            }
        }
        assertEquals(1, notKept);
        assertEquals(3 * 4096, pool.bytesInUse());
        assertTrue(pool.bytesInUse() <= pool.bytesLimit());
        streams[0].release(pool);
        assertEquals(2 * 4096, pool.bytesInUse());
    }

    @Test
    void chunkedBytesReadBackWhatWasAppendedAcrossChunks() {
        ChunkPool pool = new ChunkPool(4096, 1 << 20);
        ChunkedBytes bytes = new ChunkedBytes();
        byte[] data = new byte[10_000];
        new Random(3).nextBytes(data);
        assertTrue(bytes.append(pool, 3, data, 0, 5000));
        assertTrue(bytes.append(pool, 3, data, 5000, 5000));
        byte[] back = new byte[10_000];
        bytes.copy(0, back, 0, back.length);
        assertEquals(java.util.Arrays.toString(data), java.util.Arrays.toString(back));
        assertTrue(!bytes.append(pool, 3, data, 0, 5000), "a fourth chunk is beyond the budget");
        bytes.releaseBefore(pool, 8192);
        assertEquals(8192, bytes.start());
        assertEquals(data[9000], bytes.get(9000));
    }

    @Test
    void thePolicyReadsPerPortOverrides() {
        DeliveryPolicy policy = DeliveryPolicy.parse("auto", Map.of("delivery.443", "resume", "delivery.1883", "REPLAY", "other", "x"));
        assertEquals(Delivery.AUTO, policy.forPort(80));
        assertEquals(Delivery.RESUME, policy.forPort(443));
        assertEquals(Delivery.REPLAY, policy.forPort(1883));
        assertEquals("auto 443=resume 1883=replay", policy.describe());
        assertTrue(policy.anyReplay());
        assertTrue(!DeliveryPolicy.parse("resume", Map.of()).anyReplay());
        assertThrows(IllegalArgumentException.class, () -> DeliveryPolicy.parse("sometimes", Map.of()));
        assertThrows(IllegalArgumentException.class, () -> DeliveryPolicy.parse("resume", Map.of("delivery.http", "replay")));
    }
}
