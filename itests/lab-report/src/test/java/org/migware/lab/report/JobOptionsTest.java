package org.migware.lab.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class JobOptionsTest {

    @Test
    void theDefaultsAreTheThesisWorkloadWithTheBaseline() {
        JobOptions o = JobOptions.parse("--distribution", "/opt/migware");
        assertEquals(List.of(1, 10, 20, 50, 100, 150, 200), o.connections());
        assertEquals(500, o.intervalMillis());
        assertEquals("thesis", o.monitorProfile());
        assertTrue(o.baseline());
        assertFalse(o.faults());
        assertEquals("mwrlabh", o.baselinePrefix());
        // the default run must finish within 5 minutes on two cores
        assertTrue(LabJob.estimateMillis(o) < 300_000, "estimate " + LabJob.estimateMillis(o));
    }

    @Test
    void toArgsParsesBackToTheSameOptions() {
        JobOptions o = new JobOptions().distribution(Path.of("/d")).connections(List.of(1, 20)).intervalMillis(250)
                .beforeMillis(3000).afterMillis(5000).monitorProfile("fast").framing("newline").baseline(false).lossPercent(2.5)
                .faultLink(JobOptions.FaultLink.MIRROR).out(Path.of("/tmp/out")).prefix("mwrx").removeLeftovers(true);
        JobOptions back = JobOptions.parse(o.toArgs().toArray(String[]::new));
        assertEquals(o.toArgs(), back.toArgs());
        assertEquals(o.toJson(), back.toJson());
    }

    @Test
    void durationSplitsIntoBeforeAndAfterThePull() {
        JobOptions o = JobOptions.parse("--before-s", "3", "--duration-s", "12.5");
        assertEquals(3000, o.beforeMillis());
        assertEquals(9500, o.afterMillis());
    }

    @Test
    void badValuesAreRefusedWithTheReason() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> JobOptions.parse("--connections", "1,x"))
                .getMessage().contains("--connections"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> JobOptions.parse("--monitor-profile", "slow"))
                .getMessage().contains("thesis or fast"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> JobOptions.parse("--fault-link", "hub"))
                .getMessage().contains("client or mirror"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> JobOptions.parse("--baseline", "maybe"))
                .getMessage().contains("on or off"));
        assertThrows(IllegalArgumentException.class, () -> JobOptions.parse("--loss", "100"));
        assertThrows(IllegalArgumentException.class, () -> JobOptions.parse("--nonsense"));
    }

    @Test
    void delayAndReorderingAreTheWireBoxsImpairmentWithNetemsMeaning() {
        JobOptions o = JobOptions.parse("--delay", "20", "--reorder", "25");
        assertTrue(o.impairsWire());
        assertEquals(Duration.ofMillis(20), o.impairment().delay());
        assertEquals(25, o.impairment().reorderPercent());
        assertEquals("20 ms delay each way, 25 % reordered on the client's link (wire-impairment box)", Faults.describe(o));
        JobOptions mirror = JobOptions.parse("--delay", "20", "--fault-link", "mirror");
        assertEquals("20 ms delay towards the backup on the mirror (the backup's capture link) (wire-impairment box)",
                Faults.describe(mirror));
        // reordering needs a delay to overtake: 10 ms when none is given
        JobOptions reorderOnly = JobOptions.parse("--reorder", "5");
        assertEquals(Duration.ofMillis(JobOptions.REORDER_DELAY_MILLIS), reorderOnly.impairment().delay());
        assertTrue(Faults.describe(reorderOnly).startsWith("10 ms delay each way, 5 % reordered"), Faults.describe(reorderOnly));
        JobOptions lossOnly = JobOptions.parse("--loss", "2");
        assertFalse(lossOnly.impairsWire());
        assertEquals("2 % random loss on the client's link", Faults.describe(lossOnly));
        assertFalse(JobOptions.usage().contains("needs the netem"), JobOptions.usage());
        assertTrue(JobOptions.usage().contains("no netem needed"), JobOptions.usage());
    }
}
