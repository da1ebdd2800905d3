package org.migware.lab.oracles;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The request/response client's check of the answers it receives. */
class ResponseCheckerTest {

    private final List<Long> answered = new ArrayList<>();

    private void feed(ResponseChecker checker, String text, long highestSent) {
        checker.feed(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)), highestSent, answered::add);
    }

    @Test
    void answersInOrderCountAndAreReportedWhateverTheReadBoundaries() {
        ResponseChecker checker = new ResponseChecker(7);
        String stream = "ok c7 r1\nok c7 r2\nok c7 r3\n";
        // One byte per read: the checker must not depend on how the stream was split.
        for (int i = 0; i < stream.length(); i++) {
            feed(checker, stream.substring(i, i + 1), 3);
        }
        assertEquals(List.of(1L, 2L, 3L), answered);
        assertEquals(3, checker.responses());
        assertEquals(1, checker.firstSeq());
        assertEquals(3, checker.lastSeq());
        assertEquals(0, checker.gaps());
        assertEquals(0, checker.wrong());
        assertEquals(0, checker.trailingBytes());
        assertEquals(stream.length(), checker.bytes());
    }

    @Test
    void aGapIsCountedWithWhereItEnded() {
        ResponseChecker checker = new ResponseChecker(0);
        feed(checker, "ok c0 r1\nok c0 r2\nok c0 r6\nok c0 r7\n", 9);
        assertEquals(1, checker.gaps());
        assertEquals(3, checker.missing());
        assertEquals(5, checker.lastGapEnd());
        assertEquals(4, checker.responses());
        assertEquals(0, checker.wrong());
        assertEquals(List.of(1L, 2L, 6L, 7L), answered);
    }

    @Test
    void wrongAnswersAreCountedAndNotReported() {
        ResponseChecker checker = new ResponseChecker(3);
        feed(checker, "ok c3 r1\n"       // correct
                + "ok c4 r2\n"           // another connection's
                + "ok c3 r1\n"           // a duplicate
                + "ok c3 r9\n"           // a record not sent yet
                + "ok c3 r2 extra\n"     // malformed
                + "ko c3 r2\n"           // malformed
                + "ok c3 r\n"            // no number
                + "x".repeat(100) + "\n" // far too long
                + "ok c3 r2\n"           // correct again
                + "ok c3 r3", 5);        // unfinished
        assertEquals(List.of(1L, 2L), answered);
        assertEquals(7, checker.wrong());
        assertEquals(0, checker.gaps());
        assertEquals(2, checker.lastSeq());
        assertEquals("ok c3 r3".length(), checker.trailingBytes());
    }
}
