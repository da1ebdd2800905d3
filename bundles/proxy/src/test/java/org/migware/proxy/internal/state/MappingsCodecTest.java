package org.migware.proxy.internal.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.migware.proxy.internal.mapping.ConnectionTranslation;
import org.migware.proxy.internal.mapping.Mapping;
import org.migware.proxy.internal.mapping.MappingState;
import org.migware.proxy.internal.mapping.MigrationCounters;
import org.migware.proxy.internal.mapping.RecoveryCandidate;
import org.migware.proxy.internal.mapping.Replica;

/**
 * The mappings' saved state, on its own: what it writes, it reads back, it reads what the code
 * before wrote (version 3, from before the split into packages and before the half-close fields and
 * closed tuples of version 4), and it refuses what breaks a bound before allocating for it.
 */
class MappingsCodecTest {

    private static final Replica REPLICA = new Replica(0x0a4d_0003, 0);

    /** What {@link MappingsCodec#read} handed over. */
    private static final class Read implements MappingsCodec.Restorer {
        MappingsCodec.Header header;
        MigrationCounters counters;
        final List<Mapping> mappings = new ArrayList<>();
        final List<MappingsCodec.ClosedTuple> closed = new ArrayList<>();

        @Override
        public void closedTuple(MappingsCodec.ClosedTuple tuple) {
            closed.add(tuple);
        }

        @Override
        public void header(MappingsCodec.Header h, MigrationCounters c) {
            header = h;
            counters = c;
        }

        @Override
        public void mapping(Mapping mapping) {
            mappings.add(mapping);
        }
    }

    private static Read read(byte[] bytes) throws IOException {
        Read read = new Read();
        int count = MappingsCodec.read(new DataInputStream(new ByteArrayInputStream(bytes)), REPLICA, read);
        assertEquals(count, read.mappings.size());
        return read;
    }

    private static byte[] write(Read read) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            MappingsCodec.write(out, read.header, read.counters, read.mappings, read.closed);
        }
        return bytes.toByteArray();
    }

    private static byte[] fixture(String name) throws IOException {
        try (InputStream in = MappingsCodecTest.class.getResourceAsStream("/org/migware/proxy/internal/state/" + name)) {
            assertNotNull(in, name);
            return in.readAllBytes();
        }
    }

    /**
     * A version 3 file reads as it did, and is written back as version 4: the same bytes with the
     * version changed, the single mapping's new fields after it (no FIN to hand over, none written,
     * both ends 0, as a version 3 mapping has them) and no closed tuple. That version 4 file in
     * turn writes back byte for byte.
     */
    @Test
    void theFilesTheOldCodeWroteReadAndWriteBackAsVersion4() throws IOException {
        for (String name : List.of("proxy-v3.state", "proxy-v3-handshaking.state")) {
            byte[] old = fixture(name);
            assertEquals(3, old[7], name);
            Read read = read(old);
            assertEquals(1, read.mappings.size(), name);
            assertEquals(List.of(), read.closed, name);
            Mapping m = read.mappings.get(0);
            assertEquals(List.of(false, 0, 0L, 0, 0), List.of(m.finToHandOver, m.finSequence, m.finSentNanos, m.lastReplicaAck, m.clientNext));
            byte[] expected = java.util.Arrays.copyOf(old, old.length + 1 + 4 + 1 + 4 + 4 + 4);
            expected[7] = 4;
            byte[] v4 = write(read);
            assertArrayEquals(expected, v4, name);
            assertArrayEquals(v4, write(read(v4)), name);
        }
        Mapping waiting = read(fixture("proxy-v3-handshaking.state")).mappings.get(0);
        assertEquals(MappingState.HANDSHAKING, waiting.state);
        assertNull(waiting.translation, "no SYN-ACK yet");
        assertEquals(1, waiting.pending.size(), "the client frame that waited for the handshake");
    }

    @Test
    void everyFieldOfAMappingSurvives() throws IOException {
        RecoveryCandidate candidate = new RecoveryCandidate(null, 0x0a4d_0001, 40000, 0x0200_0000_0001L, 0x0a4d_0002, 7000,
                0x0200_0000_0002L, 1018, 5001, 1460, 7, 10, true, true, true, -294_967_296, 77, 502);
        Mapping m = new Mapping(candidate, 0x0a4d_0001, 40000, 0x0200_0000_0001L, 0x0a4d_0002, 7000, 0x0200_0000_0002L,
                0xc612_0002, 10_000);
        m.state = MappingState.ESTABLISHED;
        m.translation = ConnectionTranslation.builder().client(0x0a4d_0001, 40000).service(0x0a4d_0002, 7000)
                .shadow(0xc612_0002, 10_000).replica(REPLICA.address(), 7000).clientSequence(1009, 1010)
                .serverSequence(70_000, 5001).timestampOffset(-1157).windowShifts(10, 9).build();
        m.handOver = new byte[] {'c', '1', ' ', 'r', '2', '\n'};
        m.streamStart = 1010;
        m.handOverSent = 6;
        m.handOverAck = 1012;
        m.handOverDuplicates = 3;
        m.replicaIsn = 70_000;
        m.replicaWindowShift = 9;
        m.segmentSize = 1448;
        m.lastClientTsval = 11;
        m.lastReplicaTsval = 12;
        m.lastAckToReplica = 70_001;
        m.synAttempts = 2;
        m.toReplica = 13;
        m.toClient = 14;
        m.clientFin = true;
        m.ecnRefused = true;
        m.pending = new ArrayDeque<>(List.of(new byte[] {1, 2, 3}));
        m.finToHandOver = true;
        m.finSequence = 1020;
        m.finSentNanos = 123_456_789;
        m.lastReplicaAck = 1019;
        m.clientNext = 1021;
        Read saved = new Read();
        saved.header = new MappingsCodec.Header(5, 1_000_000, -1);
        saved.counters = new MigrationCounters();
        saved.counters.recovered = 1;
        saved.counters.dropped = 2;
        saved.counters.ecnRefused = 1;
        saved.mappings.add(m);
        MappingsCodec.ClosedTuple closed = new MappingsCodec.ClosedTuple(0x0a4d_0001, 40007, 0x0a4d_0002, 7000, 5032, 1021,
                0x0200_0000_0001L, 0x0200_0000_0002L, 1_796_601_660_000L);
        saved.closed.add(closed);

        byte[] bytes = write(saved);
        Read read = read(bytes);
        assertEquals(saved.header, read.header);
        assertEquals(1, read.counters.recovered);
        assertEquals(2, read.counters.dropped);
        Mapping r = read.mappings.get(0);
        assertEquals(candidate, r.candidate);
        assertEquals(m.toString(), r.toString());
        assertEquals(m.translation.toString(), r.translation.toString());
        assertArrayEquals(m.handOver, r.handOver);
        assertEquals(List.of(70_000, 9, 1448, 11, 12, 70_001, 2), List.of(r.replicaIsn, r.replicaWindowShift, r.segmentSize,
                r.lastClientTsval, r.lastReplicaTsval, r.lastAckToReplica, r.synAttempts));
        assertEquals(List.of(1010, 6, 1012, 3), List.of(r.streamStart, r.handOverSent, r.handOverAck, r.handOverDuplicates));
        assertEquals(List.of(13L, 14L), List.of(r.toReplica, r.toClient));
        assertEquals(List.of(true, false, true), List.of(r.clientFin, r.replicaFin, r.ecnRefused));
        assertArrayEquals(new byte[] {1, 2, 3}, r.pending.peek());
        assertEquals(List.of(true, 1020, 1019, 1021), List.of(r.finToHandOver, r.finSequence, r.lastReplicaAck, r.clientNext));
        assertTrue(r.finSentNanos != 0, "the FIN was written before: the restorer times its repeat on its own clock");
        assertEquals(List.of(closed), read.closed);
        assertArrayEquals(bytes, write(read), "written back the same");
    }

    @Test
    void anotherVersionIsRefused() throws IOException {
        byte[] state = fixture("proxy-v3.state");
        state[7] = 5; // the version's low byte
        IOException refused = assertThrows(IOException.class, () -> read(state));
        assertEquals("a proxy state of version 5, not 3 to 4", refused.getMessage());
        state[7] = 2;
        assertThrows(IOException.class, () -> read(state));
    }

    /** A file with one mapping (one pending frame) and one closed tuple, and where its counts lie. */
    private static byte[] oneOfEach() throws IOException {
        Read saved = read(fixture("proxy-v3-handshaking.state"));
        saved.closed.add(new MappingsCodec.ClosedTuple(1, 2, 3, 4, 5, 6, 7, 8, 9));
        return write(saved);
    }

    /**
     * A forged or damaged count or length is refused with a message that names it, before
     * anything is allocated for it: a closed tuple count beyond what the engine keeps, a pending
     * frame count beyond what a handshake holds, a frame longer than any the engine takes, a
     * negative mapping count, an unknown state.
     */
    @Test
    void countsAndLengthsBeyondTheirBoundsAreRefusedBeforeAllocating() throws IOException {
        byte[] valid = oneOfEach();
        Read read = read(valid);
        assertEquals(1, read.closed.size());
        int closedCount = valid.length - 44 - 4;
        // before it, the mapping's version 4 fields (14 bytes), its one frame and that frame's length
        int pendingCount = closedCount - 14 - read.mappings.get(0).pending.peek().length - 4 - 4;
        int mappingCount = 8 + 3 * 8 + 7 * 4 + 2 * 8; // after the magic and version, the header and the counters
        int frameLength = pendingCount + 4;
        assertEquals(1, java.nio.ByteBuffer.wrap(valid, closedCount, 4).getInt(), "found the closed tuple count");
        assertEquals(1, java.nio.ByteBuffer.wrap(valid, pendingCount, 4).getInt(), "found the pending frame count");

        assertEquals("a closed tuple count 65537 outside 0..65536", refused(valid, closedCount, 65_537));
        assertEquals("a closed tuple count -1 outside 0..65536", refused(valid, closedCount, -1));
        assertEquals("a pending frame count 257 outside 0..256", refused(valid, pendingCount, 257));
        assertEquals("a pending frame of 2147483647 bytes, more than " + org.migware.proxy.internal.translation.ClientToReplica.MAX_FRAME, refused(valid, frameLength, Integer.MAX_VALUE));
        assertEquals("a negative length -5", refused(valid, frameLength, -5));
        assertEquals("a negative mapping count -1", refused(valid, mappingCount, -1));
        byte[] unknownState = valid.clone();
        unknownState[mappingCount + 4] = 9;
        assertEquals("an unknown mapping state 9", assertThrows(IOException.class, () -> read(unknownState)).getMessage());
        // a count the file does not hold is read only as far as the file goes
        byte[] moreThanHeld = valid.clone();
        java.nio.ByteBuffer.wrap(moreThanHeld).putInt(closedCount, 65_536);
        assertThrows(java.io.EOFException.class, () -> read(moreThanHeld));
    }

    private static String refused(byte[] valid, int at, int value) {
        byte[] forged = valid.clone();
        java.nio.ByteBuffer.wrap(forged).putInt(at, value);
        return assertThrows(IOException.class, () -> read(forged)).getMessage();
    }
}
