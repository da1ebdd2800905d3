package org.migware.lab.oracles;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** tshark's lines of the replica's data segments on the TUN: which flows' first answer was sent again. */
class FirstAnswerRetransmissionsTest {

    @Test
    void aFlowCountsWhenALaterSegmentCoversItsFirstAnswersFirstByteAgain() {
        FirstAnswerRetransmissions.Count c = FirstAnswerRetransmissions.fromLines(List.of(
                // flow A: answer at 1000 (10 bytes), then the next answer: not sent again
                "5.100\t198.18.0.2\t10000\t1000\t10", "5.300\t198.18.0.2\t10000\t1010\t10",
                // flow B: answer at 4294967290 (10 bytes, wrapping), sent again 230 ms later with more bytes
                "5.110\t198.18.0.3\t10001\t4294967290\t10", "5.340\t198.18.0.3\t10001\t4294967290\t20",
                // flow C: a later answer sent again, the first one not
                "5.120\t198.18.0.4\t10002\t7\t10", "5.200\t198.18.0.4\t10002\t17\t10", "5.420\t198.18.0.4\t10002\t17\t10",
                ""));
        assertEquals(3, c.flows());
        assertEquals(1, c.retransmitted());
        assertEquals(1, c.examples().size());
        assertEquals(true, c.examples().get(0).startsWith("198.18.0.3:10001 seq 4294967290"), c.examples().get(0));
    }
}
