package org.migware.parser.internal;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.migware.api.packet.ParseResult;

/**
 * The parser's promise of no per-packet allocation, checked by the JVM's own per-thread
 * allocation counter. It counts bytes, not time, so it asserts behaviour, not speed; the
 * speed is the benchmark's business.
 */
class FlyweightParsedPacketAllocationTest {

    private static final int ROUNDS = 100_000;

    @Test
    void parsingAndRewritingAllocateNothing() {
        java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        assumeTrue(threads instanceof com.sun.management.ThreadMXBean, "no per-thread allocation counter");
        com.sun.management.ThreadMXBean counter = (com.sun.management.ThreadMXBean) threads;
        assumeTrue(counter.isThreadAllocatedMemorySupported() && counter.isThreadAllocatedMemoryEnabled());

        List<byte[]> frames = new ArrayList<>();
        for (byte[] frame : LinuxCapturedFramesTest.all()) {
            frames.add(frame.clone());
        }
        for (ParseResult result : ParseResult.values()) {
            frames.add(FlyweightParsedPacketTest.exampleOf(result).clone());
        }
        byte[][] corpus = frames.toArray(new byte[0][]);
        FlyweightParsedPacket view = new FlyweightParsedPacket();

        long warmUp = run(view, corpus, ROUNDS);
        long threadId = Thread.currentThread().getId();
        long before = counter.getThreadAllocatedBytes(threadId);
        long sink = run(view, corpus, ROUNDS);
        long allocated = counter.getThreadAllocatedBytes(threadId) - before;

        assertNotEquals(0, warmUp + sink);
        long packets = (long) ROUNDS * corpus.length;
        // one allocation per packet would be at least 16 bytes each; allow the counter's own noise
        assertTrue(allocated < 16 * 1024, () -> allocated + " bytes allocated for " + packets + " packets");
    }

    private static long run(FlyweightParsedPacket view, byte[][] corpus, int rounds) {
        long sink = 0;
        for (int round = 0; round < rounds; round++) {
            for (byte[] frame : corpus) {
                ParseResult result = view.parse(frame, 0, frame.length);
                sink += result.ordinal() + view.sourceAddressLow() + view.destinationPort() + view.sequenceNumber()
                        + view.payloadLength() + view.mss() + view.timestampValue() + view.sackBlockLeft(0);
                if (result == ParseResult.TCP) {
                    view.setAcknowledgementNumber(view.acknowledgementNumber() + 1);
                    view.setTimestamps(view.timestampValue(), view.timestampEchoReply());
                    view.updateIpv4HeaderChecksum();
                    view.updateTcpChecksum();
                }
            }
        }
        return sink;
    }
}
