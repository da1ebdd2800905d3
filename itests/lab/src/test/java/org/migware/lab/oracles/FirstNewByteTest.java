package org.migware.lab.oracles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The first new byte per connection, from hand-written tshark lines (no tshark needed). */
class FirstNewByteTest {

    private static final Instant PULL = Instant.parse("2026-12-06T06:00:00Z");

    /** A server segment to the client's port. */
    private static String line(String epoch, int port, long seq, int len) {
        return epoch + "\t8080\t" + port + "\t" + seq + "\t" + len + "\t1";
    }

    /** A client's pure acknowledgement. */
    private static String ack(String epoch, int port, long ack) {
        return epoch + "\t" + port + "\t8080\t1\t0\t" + ack;
    }

    @Test
    void repeatedBytesAfterThePullAreNotNewOnlyBytesBeyondWhatWasHeld() {
        long pull = PULL.getEpochSecond();
        List<String> lines = List.of(
                line(pull - 1 + ".500000000", 40000, 1000, 100),
                line(pull - 1 + ".600000000", 40000, 1100, 100), // held up to 1200
                line(pull - 1 + ".700000000", 40001, 4294967200L, 200), // wraps: held up to 104
                line(pull + ".300000000", 40000, 1000, 200), // replayed, all held: not new
                line(pull + ".350000000", 40001, 4294967296L - 96, 200), // same, across the wrap
                line(pull + ".400000000", 40000, 1150, 100), // ends at 1250: new
                line(pull + ".450000000", 40000, 1250, 100),
                line(pull + ".500000000", 40001, 104, 10)); // new, after the wrap
        Map<Integer, FirstNewByte.Arrival> arrivals = FirstNewByte.of(lines, 8080, PULL);
        assertEquals(1200, arrivals.get(40000).endBefore());
        assertEquals(400, arrivals.get(40000).millisAfter(PULL));
        assertEquals(104, arrivals.get(40001).endBefore());
        assertEquals(500, arrivals.get(40001).millisAfter(PULL));
    }

    @Test
    void aClientWhoseWindowWasClosedHoldsWhatItsAcknowledgementSays() {
        long pull = PULL.getEpochSecond();
        List<String> lines = List.of(
                line(pull - 1 + ".1", 40000, 5000, 0), // the server's window probe
                ack(pull - 1 + ".1", 40000, 5000), // the client: it holds up to 5000
                line(pull + ".3", 40000, 4000, 1000), // replayed, held
                line(pull + ".4", 40000, 5000, 1000)); // new
        FirstNewByte.Arrival a = FirstNewByte.of(lines, 8080, PULL).get(40000);
        assertEquals(5000, a.endBefore());
        assertEquals(400, a.millisAfter(PULL));
    }

    @Test
    void aConnectionWithNothingNewHasNoArrival() {
        long pull = PULL.getEpochSecond();
        Map<Integer, FirstNewByte.Arrival> arrivals = FirstNewByte.of(List.of(line(pull - 1 + ".0", 40000, 1, 10),
                line(pull + ".2", 40000, 1, 10)), 8080, PULL);
        assertNull(arrivals.get(40000).firstNew());
        assertEquals(-1, arrivals.get(40000).millisAfter(PULL));
    }
}
