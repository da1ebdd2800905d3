package org.migware.proxy.internal.mapping;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The translation's laws over the whole 32-bit space. Sequence numbers are drawn from anywhere, and
 * often from next to 0 (where unsigned sequence numbers wrap at 2^32) and next to 2^31 (where a
 * signed comparison would go wrong), so wrap-around is exercised in every run.
 */
class ConnectionTranslationPropertiesTest {

    private static final int NEAR = 1 << 16;

    @Provide
    Arbitrary<Integer> sequenceNumbers() {
        return Arbitraries.oneOf(Arbitraries.integers(), Arbitraries.integers().between(-NEAR, NEAR),
                Arbitraries.integers().between(Integer.MIN_VALUE, Integer.MIN_VALUE + NEAR),
                Arbitraries.integers().between(Integer.MAX_VALUE - NEAR, Integer.MAX_VALUE));
    }

    private static ConnectionTranslation translation(int forgedSynSeq, int clientResume, int replicaIsn, int clientAck) {
        return ConnectionTranslation.builder().clientSequence(forgedSynSeq, clientResume)
                .serverSequence(replicaIsn, clientAck).build();
    }

    @Property
    void clientToReplicaToClientIsTheIdentity(@ForAll("sequenceNumbers") int forgedSynSeq,
            @ForAll("sequenceNumbers") int clientResume, @ForAll("sequenceNumbers") int replicaIsn,
            @ForAll("sequenceNumbers") int clientAck, @ForAll("sequenceNumbers") int value) {
        ConnectionTranslation t = translation(forgedSynSeq, clientResume, replicaIsn, clientAck);
        // server space: the client's ack (or SACK edge) comes back as the replica's seq of that byte
        assertEquals(value, t.replicaToClientSeq(t.clientToReplicaAck(value)));
        assertEquals(value, t.replicaToClientSeq(t.clientToReplicaSackEdge(value)));
        assertEquals(value, t.clientToReplicaAck(t.replicaToClientSeq(value)));
        // client space: the client's seq comes back as the replica's ack (or SACK edge) of that byte
        assertEquals(value, t.replicaToClientAck(t.clientToReplicaSeq(value)));
        assertEquals(value, t.replicaToClientSackEdge(t.clientToReplicaSeq(value)));
    }

    @Property
    void theReplicasFirstByteIsTheOneTheClientExpects(@ForAll("sequenceNumbers") int replicaIsn,
            @ForAll("sequenceNumbers") int clientAck, @ForAll("sequenceNumbers") int clientResume) {
        ConnectionTranslation t = translation(clientResume - 1, clientResume, replicaIsn, clientAck);
        assertEquals(clientAck, t.replicaToClientSeq(replicaIsn + 1));
        assertEquals(clientResume, t.clientToReplicaSeq(clientResume), "d1 = 0 as MigWare forges");
        assertEquals(0, t.d1());
    }

    @Property
    void distancesSurviveTheWrap(@ForAll("sequenceNumbers") int replicaIsn, @ForAll("sequenceNumbers") int clientAck,
            @ForAll("sequenceNumbers") int start, @ForAll @IntRange(min = 1, max = 1 << 30) int length) {
        // a segment of any length that may cross 2^32 on one side only: its length stays the same
        ConnectionTranslation t = translation(-1, 0, replicaIsn, clientAck);
        assertEquals(length, t.replicaToClientSeq(start + length) - t.replicaToClientSeq(start));
        assertEquals(length, t.clientToReplicaAck(start + length) - t.clientToReplicaAck(start));
    }

    @Property
    void sackBlocksMoveWithTheSequenceSpaceTheyDescribe(@ForAll("sequenceNumbers") int forgedSynSeq,
            @ForAll("sequenceNumbers") int clientResume, @ForAll("sequenceNumbers") int replicaIsn,
            @ForAll("sequenceNumbers") int clientAck, @ForAll("sequenceNumbers") int segmentSeq,
            @ForAll @IntRange(min = 1, max = 65535) int segmentLength) {
        ConnectionTranslation t = translation(forgedSynSeq, clientResume, replicaIsn, clientAck);

        // the replica sends server bytes [s, s + n); the client receives them as [s', s' + n) and SACKs that
        int clientLeft = t.replicaToClientSeq(segmentSeq);
        int clientRight = t.replicaToClientSeq(segmentSeq + segmentLength);
        assertEquals(segmentSeq, t.clientToReplicaSackEdge(clientLeft), "the client's block names the replica's bytes");
        assertEquals(segmentSeq + segmentLength, t.clientToReplicaSackEdge(clientRight));

        // the client sends client bytes [c, c + n); the replica receives them as [c', c' + n) and SACKs that
        int replicaLeft = t.clientToReplicaSeq(segmentSeq);
        int replicaRight = t.clientToReplicaSeq(segmentSeq + segmentLength);
        assertEquals(segmentSeq, t.replicaToClientSackEdge(replicaLeft), "the replica's block names the client's bytes");
        assertEquals(segmentSeq + segmentLength, t.replicaToClientSackEdge(replicaRight));
    }

    @Property
    void asMigWareForgesTheReplicasSackBlocksPassUnchanged(@ForAll("sequenceNumbers") int clientResume,
            @ForAll("sequenceNumbers") int replicaIsn, @ForAll("sequenceNumbers") int clientAck,
            @ForAll("sequenceNumbers") int edge) {
        ConnectionTranslation t = translation(clientResume - 1, clientResume, replicaIsn, clientAck);
        assertEquals(edge, t.replicaToClientSackEdge(edge));
        assertEquals(edge, t.replicaToClientAck(edge));
    }

    @Property
    void timestampsRoundTrip(@ForAll("sequenceNumbers") int primaryLastTsval, @ForAll("sequenceNumbers") int replicaTsval,
            @ForAll("sequenceNumbers") int laterReplicaTsval) {
        int offset = ConnectionTranslation.timestampOffset(primaryLastTsval, replicaTsval);
        ConnectionTranslation t = ConnectionTranslation.builder().timestampOffset(offset).build();
        assertEquals(primaryLastTsval, t.replicaToClientTsval(replicaTsval), "the clock continues the primary's");
        // the client echoes what it got; the replica gets its own value back
        assertEquals(laterReplicaTsval, t.clientToReplicaTsecr(t.replicaToClientTsval(laterReplicaTsval)));
        // the replica's clock advances by the same amount on the client's side (PAWS compares differences)
        assertEquals(laterReplicaTsval - replicaTsval,
                t.replicaToClientTsval(laterReplicaTsval) - t.replicaToClientTsval(replicaTsval));
    }

    @Property
    void aRescaledWindowNeverExceedsTheReplicasRealWindow(@ForAll @IntRange(min = 0, max = 14) int primaryShift,
            @ForAll @IntRange(min = 0, max = 14) int replicaShift, @ForAll @IntRange(min = 0, max = 65535) int window) {
        ConnectionTranslation t = ConnectionTranslation.builder().windowShifts(primaryShift, replicaShift).build();
        int rescaled = t.replicaToClientWindow(window);
        long real = (long) window << replicaShift;
        assertTrue(rescaled >= 0 && rescaled <= 65535, "fits the 16-bit field: " + rescaled);
        assertTrue((long) rescaled << primaryShift <= real, "offers no more than the replica has");
        // and it is the best such value: one more unit would be too much, unless the field is full
        assertTrue(rescaled == 65535 || (long) (rescaled + 1) << primaryShift > real, "rounded down, not further");
    }
}
