package org.migware.proxy.internal.keeper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.migware.api.failover.NotReplayableReason;
import org.migware.api.wire.TcpHeader;
import org.migware.parser.internal.PacketParserComponent;
import org.migware.proxy.internal.replay.ChunkPool;
import org.migware.proxy.internal.replay.DeliveryPolicy;
import org.migware.testing.TcpFrame;

/**
 * Issue 9, limits: the bytes kept for replay stay within {@code replayBytesTotal} under 10,000
 * connections that together want twenty times as much. The oracle is the JVM's own measure of
 * its direct memory and of its heap after a collection, not the pool's count: a chunk left to the
 * collector, or kept bytes copied to the heap, would show there and not in the pool.
 */
class ReplayMemoryBoundTest {

    private static final int CONNECTIONS = 10_000;
    private static final int CHUNK_BYTES = 16 << 10;
    private static final long TOTAL_BOUND = 32L << 20;
    private static final int PER_CONNECTION_BOUND = 1 << 20;
    /** Each connection's client sends this much: 625 MiB together, 20 times the total bound. */
    private static final int SENT_PER_CONNECTION = 64 << 10;
    private static final int SEGMENT = 1400;
    private static final int FIRST_PORT = 20_000;

    @Test
    void tenThousandConnectionsStayWithinTheTotalBoundAsTheJvmMeasuresIt() {
        ChunkPool pool = new ChunkPool(CHUNK_BYTES, TOTAL_BOUND);
        ReplayKeeper replay = new ReplayKeeper(DeliveryPolicy.parse("replay", Map.of()), pool, PER_CONNECTION_BOUND, CONNECTIONS);
        ClientStreamKeeper keeper = new ClientStreamKeeper(RecordFraming.NONE, 1 << 16, CONNECTIONS, () -> ClientStreamKeeperTest.SERVICE,
                new PacketParserComponent().newView(), replay);
        byte[] payload = new byte[SEGMENT];
        // earlier tests in this JVM may have left direct buffers for the collector: settle them first
        long heapBefore = heapUsedAfterCollection();
        long directBefore = directMemoryUsed();

        for (int c = 0; c < CONNECTIONS; c++) {
            int port = FIRST_PORT + c;
            see(keeper, TcpFrame.fromClient(port).seq(1000).flags(TcpHeader.SYN).synOptions(1460, 7, true));
            see(keeper, TcpFrame.fromServer(port).seq(5000).ack(1001).flags(TcpHeader.SYN | TcpHeader.ACK).synOptions(1460, 7, true));
            for (int sent = 0; sent < SENT_PER_CONNECTION; sent += SEGMENT) {
                // the primary acknowledges each segment, so the resume keeper holds little; replay keeps all
                see(keeper, TcpFrame.fromClient(port).seq(1001 + sent).ack(5001).payload(payload));
                see(keeper, TcpFrame.fromServer(port).seq(5001).ack(1001 + sent + SEGMENT));
            }
        }

        long heapPerConnection = (heapUsedAfterCollection() - heapBefore) / CONNECTIONS;
        long direct = directMemoryUsed() - directBefore;
        int[] reasons = keeper.notReplayableCounts();
        long kept = keeper.keptForReplay().stream().filter(k -> k.reason() == null).count();
        System.out.printf("replay memory: %d connections wanting %d MiB; direct memory %.1f MiB (bound %d MiB), heap %d bytes"
                + " per connection; replayable %d, memory full %d%n", CONNECTIONS, (long) CONNECTIONS * SENT_PER_CONNECTION >> 20,
                direct / 1048576.0, TOTAL_BOUND >> 20, heapPerConnection, kept, reasons[NotReplayableReason.KEEPING_MEMORY_FULL.ordinal()]);

        assertTrue(direct <= TOTAL_BOUND, () -> "direct memory grew by " + direct + " bytes, beyond the bound of " + TOTAL_BOUND);
        assertTrue(direct >= TOTAL_BOUND * 9 / 10, () -> "the bound was used, not left idle: " + direct + " bytes");
        // the kept bytes are off the heap: 625 MiB kept there would be 65 KiB per connection
        assertTrue(heapPerConnection < 4096, () -> heapPerConnection + " heap bytes per connection");
        assertTrue(kept > 0, "the first connections fit and stay replayable");
        assertEquals(CONNECTIONS - kept, reasons[NotReplayableReason.KEEPING_MEMORY_FULL.ordinal()],
                "every other connection is counted as not replayable for the full memory");

        keeper.releaseReplay();
        assertEquals(0, pool.bytesInUse());
        assertTrue(directMemoryUsed() - directBefore <= TOTAL_BOUND, "released chunks are kept for reuse, never allocated anew");
    }

    private static void see(ClientStreamKeeper keeper, TcpFrame segment) {
        byte[] frame = segment.build();
        keeper.observe(frame, 0, frame.length);
    }

    private static long directMemoryUsed() {
        return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
    }

    /** Collects until the direct memory freed by the collector's cleaner has settled, then reads the heap. */
    private static long heapUsedAfterCollection() {
        long direct = -1;
        for (int i = 0; i < 20 && direct != directMemoryUsed(); i++) {
            direct = directMemoryUsed();
            System.gc();
            try {
                Thread.sleep(50); // direct buffers are freed by the cleaner thread, after the collection
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
