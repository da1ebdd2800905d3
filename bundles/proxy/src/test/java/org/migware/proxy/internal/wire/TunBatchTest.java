package org.migware.proxy.internal.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The TUN reader's batches against a TUN whose queue the test fills: what is taken, in which order, and how often it waits. */
class TunBatchTest {

    /** A TUN with a queue: {@link #read} is the reader's only wait, {@link #readIfQueued} never waits. */
    private static final class QueuedTun implements ReadOnlyTun {
        final ArrayDeque<byte[]> queued = new ArrayDeque<>();
        int waitingReads;
        int readsIfQueued;
        /** The least room any read was given: below the largest packet, the device would skip one. */
        int leastRoom = Integer.MAX_VALUE;
        boolean closed;

        @Override
        public int read(byte[] buffer, int offset, int length) {
            waitingReads++;
            if (queued.isEmpty()) {
                // the real device would wait here; a test that gets here has nothing more to give
                closed = true;
            }
            return take(buffer, offset, length);
        }

        @Override
        public int readIfQueued(byte[] buffer, int offset, int length) {
            readsIfQueued++;
            return queued.isEmpty() && !closed ? 0 : take(buffer, offset, length);
        }

        private int take(byte[] buffer, int offset, int length) {
            if (closed) {
                return -1;
            }
            leastRoom = Math.min(leastRoom, length);
            byte[] p = queued.poll();
            assertTrue(p.length <= length, "a packet longer than the room given would be skipped");
            System.arraycopy(p, 0, buffer, offset, p.length);
            return p.length;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private static byte[] packet(int id, int length) {
        byte[] p = new byte[length];
        Arrays.fill(p, (byte) id);
        p[0] = 0x45;
        return p;
    }

    private static List<byte[]> packets(TunBatch batch) {
        List<byte[]> taken = new ArrayList<>();
        for (int i = 0; i < batch.count(); i++) {
            taken.add(Arrays.copyOfRange(batch.buffer(), batch.offset(i), batch.offset(i) + batch.length(i)));
        }
        return taken;
    }

    /**
     * A backlog of 40 is taken in 3 batches (16, 16, 8), each with one waiting read, in the kernel's
     * order: the engine's lock is then taken 3 times instead of 40.
     */
    @Test
    void aBacklogIsTakenInBatchesWithOneWaitEachInOrder() throws IOException {
        QueuedTun tun = new QueuedTun();
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            byte[] p = packet(i, 40 + i);
            sent.add(p);
            tun.queued.add(p);
        }
        TunBatch batch = new TunBatch();
        List<byte[]> taken = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        while (!tun.queued.isEmpty()) {
            int count = batch.fill(tun);
            sizes.add(count);
            taken.addAll(packets(batch));
        }
        assertEquals(List.of(TunBatch.MAX_PACKETS, TunBatch.MAX_PACKETS, 40 - 2 * TunBatch.MAX_PACKETS), sizes);
        assertEquals(3, tun.waitingReads, "one waiting read per batch");
        assertEquals(sent.size(), taken.size());
        for (int i = 0; i < sent.size(); i++) {
            assertArrayEquals(sent.get(i), taken.get(i), "packet " + i);
        }
    }

    /** A lone packet is handed on at once: the batch asks once whether more is queued and does not wait for it. */
    @Test
    void aLonePacketIsNotHeldForABatch() throws IOException {
        QueuedTun tun = new QueuedTun();
        tun.queued.add(packet(7, 60));
        TunBatch batch = new TunBatch();
        assertEquals(1, batch.fill(tun));
        assertEquals(1, tun.waitingReads);
        assertEquals(1, tun.readsIfQueued, "one look for more, which found none");
        assertArrayEquals(packet(7, 60), packets(batch).get(0));
    }

    /**
     * Large packets end a batch by bytes before its count: every read is given room for the largest
     * IPv4 packet, so the device never skips one as too long.
     */
    @Test
    void everyReadHasRoomForTheLargestPacket() throws IOException {
        QueuedTun tun = new QueuedTun();
        for (int i = 0; i < 6; i++) {
            tun.queued.add(packet(i, 20_000));
        }
        TunBatch batch = new TunBatch();
        int first = batch.fill(tun);
        assertTrue(first < TunBatch.MAX_PACKETS && first * 20_000 >= TunBatch.BATCH_BYTES, "bounded by bytes: " + first);
        int taken = first;
        while (!tun.queued.isEmpty()) {
            taken += batch.fill(tun);
        }
        assertEquals(6, taken);
        assertTrue(tun.leastRoom >= TunDevice.MAX_PACKET_LENGTH, "least room given: " + tun.leastRoom);
    }

    /** Closed for good: -1, so the reader ends. */
    @Test
    void aClosedTunEndsTheReader() throws IOException {
        QueuedTun tun = new QueuedTun();
        tun.close();
        assertEquals(-1, new TunBatch().fill(tun));
    }
}
