package org.migware.proxy.internal.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

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

/** The mappings' saved state, on its own: what it writes, it reads back, and it reads what the code before the split wrote. */
class MappingsCodecTest {

    private static final Replica REPLICA = new Replica(0x0a4d_0003, 0);

    /** What {@link MappingsCodec#read} handed over. */
    private static final class Read implements MappingsCodec.Restorer {
        MappingsCodec.Header header;
        MigrationCounters counters;
        final List<Mapping> mappings = new ArrayList<>();

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
            MappingsCodec.write(out, read.header, read.counters, read.mappings);
        }
        return bytes.toByteArray();
    }

    private static byte[] fixture(String name) throws IOException {
        try (InputStream in = MappingsCodecTest.class.getResourceAsStream("/org/migware/proxy/internal/state/" + name)) {
            assertNotNull(in, name);
            return in.readAllBytes();
        }
    }

    @Test
    void theFilesTheOldCodeWroteReadAndWriteBackByteForByte() throws IOException {
        for (String name : List.of("proxy-v3.state", "proxy-v3-handshaking.state")) {
            byte[] old = fixture(name);
            Read read = read(old);
            assertEquals(1, read.mappings.size(), name);
            assertArrayEquals(old, write(read), name);
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
        Read saved = new Read();
        saved.header = new MappingsCodec.Header(5, 1_000_000, -1);
        saved.counters = new MigrationCounters();
        saved.counters.recovered = 1;
        saved.counters.dropped = 2;
        saved.counters.ecnRefused = 1;
        saved.mappings.add(m);

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
        assertArrayEquals(bytes, write(read), "written back the same");
    }

    @Test
    void anotherVersionIsRefused() throws IOException {
        byte[] state = fixture("proxy-v3.state");
        state[7] = 4; // the version's low byte
        IOException refused = assertThrows(IOException.class, () -> read(state));
        assertEquals("not a proxy state of version 3", refused.getMessage());
    }
}
