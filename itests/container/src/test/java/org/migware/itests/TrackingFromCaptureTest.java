package org.migware.itests;

import java.time.Duration;
import java.util.Map;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.migware.api.connection.ConnectionTable;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * A real capture fed through capture-file into the parser and tracker of the distribution's
 * own bundle set: the resulting table, field by field, against tshark's decode.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class TrackingFromCaptureTest extends MigwareTestSupport {

    @Test
    public void theTableHoldsWhatTheCaptureShows() {
        configure("org.migware.service", Map.of("addresses", new String[] {TrackingCapture.SERVER},
                "ports", new int[] {TrackingCapture.PORT}));
        configure("org.migware.capture.file", Map.of("path", TrackingCapture.part(1).toString()));
        ConnectionTable table = waitForService(ConnectionTable.class);
        TrackingCapture.await("the tracker to take all " + TrackingCapture.PART1_PACKETS + " packets of part 1",
                Duration.ofSeconds(20), () -> table.statistics().packetsTracked() == TrackingCapture.PART1_PACKETS);
        TrackingCapture.assertPart1(table);

        // The second half of the same capture: data, an orderly close, a server abort.
        configure("org.migware.capture.file", Map.of("path", TrackingCapture.part(2).toString()));
        TrackingCapture.await("the tracker to take part 2", Duration.ofSeconds(20),
                () -> table.statistics().packetsTracked() == TrackingCapture.PART1_PACKETS + TrackingCapture.PART2_PACKETS);
        TrackingCapture.assertPart2(table);
    }
}
