package org.migware.tracker.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.TcpState;
import org.migware.testing.TcpFrame;

/**
 * The tracker's state machine over the whole 32-bit sequence space (the arithmetic itself is
 * tested with {@code org.migware.api.wire.SequenceNumbers}).
 */
class SequencePropertiesTest {

    /**
     * Whatever the ISNs (so wrap-around anywhere), whatever order the mirror delivers the data
     * segments in and however many it duplicates, each side's byte count and highest sequence end
     * are what the sender's application wrote.
     */
    @Property(tries = 300)
    void bytesAndSequenceEndsSurviveReorderingAndDuplicates(
            @ForAll long clientIsn, @ForAll long serverIsn,
            @ForAll("segmentSizes") List<Integer> clientSegments,
            @ForAll("segmentSizes") List<Integer> serverSegments,
            @ForAll long shuffleSeed, @ForAll @IntRange(min = 0, max = 10) int duplicates) {
        StoreHarness h = new StoreHarness();
        h.handshake(40000, clientIsn, serverIsn);
        List<TcpFrame> frames = new ArrayList<>();
        long clientTotal = addSegments(frames, clientSegments, true, clientIsn + 1, serverIsn + 1);
        long serverTotal = addSegments(frames, serverSegments, false, serverIsn + 1, clientIsn + 1);
        Random random = new Random(shuffleSeed);
        Collections.shuffle(frames, random);
        for (int i = 0; i < duplicates && !frames.isEmpty(); i++) {
            frames.add(random.nextInt(frames.size() + 1), frames.get(random.nextInt(frames.size())));
        }
        frames.forEach(h::feed);

        ConnectionSnapshot c = h.connection(40000);
        assertEquals(clientTotal, c.clientToServer().bytes());
        assertEquals(serverTotal, c.serverToClient().bytes());
        assertEquals((clientIsn + 1 + clientTotal) & 0xffff_ffffL, c.clientToServer().highestSequenceEnd());
        assertEquals((serverIsn + 1 + serverTotal) & 0xffff_ffffL, c.serverToClient().highestSequenceEnd());
        assertEquals(TcpState.ESTABLISHED, c.state());
    }

    private static long addSegments(List<TcpFrame> frames, List<Integer> sizes, boolean fromClient, long firstSeq, long ack) {
        long seq = firstSeq;
        for (int size : sizes) {
            TcpFrame frame = fromClient ? TcpFrame.fromClient(40000) : TcpFrame.fromServer(40000);
            frames.add(frame.seq(seq).ack(ack).payload(size));
            seq += size;
        }
        return seq - firstSeq;
    }

    @Provide
    Arbitrary<List<Integer>> segmentSizes() {
        return Arbitraries.integers().between(1, 1460).list().ofMaxSize(30);
    }

    /** A RST whose sequence number lies outside the receiver's window never ends the connection. */
    @Property(tries = 300)
    void rstOutsideTheWindowChangesNothing(@ForAll long clientIsn, @ForAll long serverIsn,
            @ForAll @LongRange(min = (65_535L << 7) + 1, max = (1L << 31)) long offset) {
        StoreHarness h = new StoreHarness();
        h.handshake(40000, clientIsn, serverIsn);
        h.feed(TcpFrame.fromServer(40000).seq(serverIsn + 1 + offset).flags(0x04));
        h.feed(TcpFrame.fromServer(40000).seq(serverIsn + 1 - offset).flags(0x04));
        assertEquals(TcpState.ESTABLISHED, h.connection(40000).state());
    }

    /**
     * Random interleavings of valid segments and forged ones (RSTs and FINs off RCV.NXT, data
     * beyond and before the window, ACKs of data never sent and too old, TSval jumps, SYNs and
     * SYN-ACKs without window scale, bad checksums, IP lengths beyond the frame, late duplicates)
     * for one tuple: after each sequence the tracker holds exactly what the independent model of
     * the two Linux stacks holds. The seed is fixed so that a failure repeats.
     */
    @Property(tries = 1500, seed = "20261206")
    void forgedFramesAmongValidOnesLeaveWhatLinuxWouldBelieve(@ForAll long seed,
            @ForAll @IntRange(min = 1, max = 80) int frames) {
        StoreHarness h = new StoreHarness();
        LinuxReceiverModel model = new LinuxReceiverModel(new Random(seed));
        for (byte[] frame : model.handshake()) {
            h.feed(frame);
        }
        for (int n = 0; n < frames; n++) {
            h.feed(model.next());
            assertMatches(model, h.connection(LinuxReceiverModel.PORT));
        }
    }

    private static void assertMatches(LinuxReceiverModel model, ConnectionSnapshot c) {
        String where = "after " + model.history;
        assertEquals(TcpState.ESTABLISHED, c.state(), where);
        assertSide(model.client, c.clientToServer(), where);
        assertSide(model.server, c.serverToClient(), where);
        assertTrue(c.windowScalingNegotiated(), where);
    }

    private static void assertSide(LinuxReceiverModel.Side side, org.migware.api.connection.DirectionState d, String where) {
        assertEquals(side.isn & 0xffff_ffffL, d.initialSequence(), "ISN " + where);
        assertEquals(side.mss, d.mss(), "MSS " + where);
        assertEquals(LinuxReceiverModel.SHIFT, d.windowScale(), "window scale " + where);
        assertEquals(side.sendNext & 0xffff_ffffL, d.highestSequenceEnd(), "SND.NXT " + where);
        assertEquals(side.acked & 0xffff_ffffL, d.highestAck(), "ACK " + where);
        assertEquals(side.tsVal & 0xffff_ffffL, d.lastTimestampValue(), "TSval " + where);
        assertEquals(side.bytes, d.bytes(), "bytes " + where);
    }

    @Property(tries = 50)
    void tableNeverExceedsItsBound(@ForAll @IntRange(min = 1, max = 50) int bound, @ForAll @Size(max = 200) List<@IntRange(min = 1, max = 65535) Integer> ports) {
        StoreHarness h = new StoreHarness(bound);
        for (int port : ports) {
            h.handshake(port, port * 7L, port * 13L);
            assertTrue(h.store.size() <= bound);
        }
    }
}
