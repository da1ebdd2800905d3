package org.migware.lab.oracles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordCheckerTest {

    private static String records(long conn, long fromSeq, long toSeq, int size) {
        StringBuilder sb = new StringBuilder();
        for (long seq = fromSeq; seq <= toSeq; seq++) {
            sb.append(RecordFormat.toString(conn, seq, size));
        }
        return sb.toString();
    }

    private static RecordChecker check(String stream) {
        RecordChecker checker = new RecordChecker();
        byte[] bytes = stream.getBytes(StandardCharsets.US_ASCII);
        checker.feed(bytes, 0, bytes.length, null);
        return checker;
    }

    @Test
    void recordHasTheRequestedSizeAndReadablePadding() {
        String record = RecordFormat.toString(7, 42, 20);
        assertEquals(20, record.length());
        assertEquals("c7 r42 uvwxyzabdefg\n", record);
        // Too small a size still gives a whole header and the newline.
        assertEquals("c12345 r6\n", RecordFormat.toString(12345, 6, 3));
        assertEquals(10, RecordFormat.encodedLength(12345, 6, 3));
        assertEquals("c1 r2 \n", RecordFormat.toString(1, 2, 7));
    }

    @Test
    void paddingNeverContainsARecordStart() {
        assertTrue(RecordFormat.ALPHABET.indexOf('c') < 0);
    }

    @Test
    void intactStreamCountsEveryRecordInOrder() {
        String stream = records(3, 1, 100, 64);
        RecordChecker checker = check(stream);
        assertEquals(stream.length(), checker.bytes());
        assertEquals(100, checker.records());
        assertEquals(3, checker.connId());
        assertEquals(1, checker.firstSeq());
        assertEquals(100, checker.lastSeq());
        assertEquals(0, checker.gaps() + checker.duplicates() + checker.torn() + checker.corrupt() + checker.foreign());
        assertEquals(0, checker.trailingBytes());
    }

    @Test
    void anySplitIntoReadsGivesTheSameResult() {
        String stream = records(9, 1, 30, 33);
        byte[] bytes = stream.getBytes(StandardCharsets.US_ASCII);
        RecordChecker checker = new RecordChecker();
        List<Long> seen = new ArrayList<>();
        for (int i = 0; i < bytes.length; i += 7) {
            checker.feed(ByteBuffer.wrap(bytes, i, Math.min(7, bytes.length - i)), (conn, seq) -> seen.add(seq));
        }
        assertEquals(30, checker.records());
        assertEquals(30, seen.size());
        assertEquals(30L, seen.get(29));
        assertEquals(0, checker.torn() + checker.corrupt());
    }

    @Test
    void gapsAndDuplicatesAreCounted() {
        RecordChecker checker = check(records(1, 1, 3, 40) + records(1, 6, 6, 40) + records(1, 5, 6, 40)
                + records(1, 10, 10, 40));
        assertEquals(7, checker.records());
        assertEquals(2, checker.gaps());
        assertEquals(2 + 3, checker.missing());
        assertEquals(2, checker.duplicates());
        assertEquals(10, checker.lastSeq());
    }

    @Test
    void streamResumingMidRecordIsOneTornRecordThenResynchronises() {
        String whole = records(2, 1, 10, 50);
        String resumed = whole.substring(3 * 50 + 17); // starts 17 bytes into record 4
        RecordChecker checker = check(resumed);
        assertEquals(1, checker.torn());
        assertEquals(6, checker.records());
        assertEquals(5, checker.firstSeq());
        assertEquals(0, checker.corrupt());
    }

    @Test
    void recordStartingInsideAnotherMeansTheFirstLostItsEnd() {
        String a = RecordFormat.toString(2, 1, 50);
        String b = RecordFormat.toString(2, 2, 50);
        RecordChecker checker = check(a.substring(0, 30) + b);
        assertEquals(1, checker.torn());
        assertEquals(1, checker.records());
        assertEquals(2, checker.firstSeq());
    }

    @Test
    void alteredPaddingIsCorruptAndOtherConnectionsRecordsAreForeign() {
        String record = RecordFormat.toString(4, 1, 40);
        String altered = record.substring(0, 20) + "zz" + record.substring(22);
        RecordChecker checker = check(altered + RecordFormat.toString(5, 2, 40));
        assertEquals(2, checker.records());
        assertEquals(1, checker.corrupt());
        assertEquals(1, checker.foreign());
    }

    @Test
    void unfinishedRecordAtTheEndIsTrailing() {
        RecordChecker checker = check(records(1, 1, 2, 40) + RecordFormat.toString(1, 3, 40).substring(0, 25));
        assertEquals(2, checker.records());
        assertEquals(25, checker.trailingBytes());
    }
}
