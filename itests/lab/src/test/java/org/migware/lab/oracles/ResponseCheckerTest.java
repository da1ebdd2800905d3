package org.migware.lab.oracles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

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

    /** An answer with a body, as the server writes it. */
    private static String answer(long conn, long seq, int bodyBytes) {
        StringBuilder s = new StringBuilder("ok c").append(conn).append(" r").append(seq).append(' ');
        for (int i = 0; i < bodyBytes; i++) {
            s.append((char) ResponseChecker.bodyByte(conn, seq, i));
        }
        return s.append('\n').toString();
    }

    @Test
    void bulkAnswersAreCheckedByteForByteWhateverTheReadBoundaries() {
        ResponseChecker checker = new ResponseChecker(7, 5000);
        String stream = answer(7, 1, 5000) + answer(7, 2, 5000) + answer(7, 3, 5000);
        for (int i = 0; i < stream.length(); i += 997) {
            feed(checker, stream.substring(i, Math.min(stream.length(), i + 997)), 3);
        }
        assertEquals(List.of(1L, 2L, 3L), answered);
        assertEquals(0, checker.wrong());
        assertEquals(0, checker.trailingBytes());
        assertEquals(stream.length(), checker.bytes());
    }

    @Test
    void aBulkAnswerCutShiftedOrWithOneWrongByteIsWrong() {
        ResponseChecker checker = new ResponseChecker(3, 1000);
        String good = answer(3, 2, 1000);
        char[] flipped = good.toCharArray();
        flipped[500] = flipped[500] == 'a' ? 'b' : 'a';
        feed(checker, answer(3, 1, 1000)    // correct
                + answer(3, 2, 999)          // one byte short
                + answer(3, 2, 1001)         // one byte too many
                + new String(flipped)        // one wrong byte
                + good.substring(10)         // the client took its first bytes for old ones: starts mid-answer
                + answer(4, 2, 1000)         // another connection's
                + "ok c3 r2\n"              // no body where one is due
                + good                       // correct again
                + answer(3, 3, 1000).substring(0, 700), 5); // unfinished
        assertEquals(List.of(1L, 2L), answered);
        assertEquals(6, checker.wrong());
        assertEquals(700, checker.trailingBytes());
        // a body does not match one shifted by any amount, nor another record's
        String body = good.substring(good.indexOf(' ', 6) + 1, good.length() - 1);
        for (int shift = 1; shift < 100; shift++) {
            assertNotEquals(body.substring(shift), body.substring(0, body.length() - shift), "shift " + shift);
        }
        assertNotEquals(answer(3, 2, 1000).substring(9), answer(3, 3, 1000).substring(9));
    }
}
