package org.migware.lab.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code --roles}: its sizes (200 like the thesis, 10 % more twice), the options it refuses, and the round trip. */
class RolesOptionsTest {

    @Test
    void theDefaultIsTwoHundredConnectionsAndTwentyMoreTwiceWithoutTheBaseline() {
        JobOptions o = JobOptions.parse("--roles");
        assertTrue(o.roles());
        assertEquals(List.of(200), o.connections());
        assertEquals(20, o.rolesLaterConnections());
        assertFalse(o.baseline(), "no HAProxy run, so neither haproxy nor its lab's prefix is asked for");
        assertEquals(500, o.intervalMillis());
        assertEquals(20, o.toJson().get("betweenConnections"));
        assertTrue(RolesJob.estimateMillis(o) < 180_000, "estimate " + RolesJob.estimateMillis(o));
    }

    @Test
    void laterGroupsAreTenPercentAndAtLeastOne() {
        assertEquals(1, JobOptions.parse("--roles", "--connections", "5").rolesLaterConnections());
        assertEquals(4, JobOptions.parse("--roles", "--connections", "40").rolesLaterConnections());
    }

    @Test
    void thePushExperimentsOptionsAreRefusedWithTheReason() {
        for (List<String> args : List.of(List.of("--before-s", "3"), List.of("--loss", "1"), List.of("--baseline", "on"),
                List.of("--scenario", "download"), List.of("--monitor-profile", "thesis"), List.of("--framing", "newline"))) {
            List<String> line = new java.util.ArrayList<>(List.of("--roles"));
            line.addAll(args);
            String message = assertThrows(IllegalArgumentException.class, () -> JobOptions.parse(line.toArray(String[]::new)))
                    .getMessage();
            assertTrue(message.startsWith(args.get(0) + " is not for --roles"), message);
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> JobOptions.parse("--roles", "--connections", "10,20"))
                .getMessage().contains("one count"));
        assertThrows(IllegalArgumentException.class, () -> JobOptions.parse("--roles", "--connections", "5000"));
    }

    @Test
    void toArgsParsesBackToTheSameOptions() {
        JobOptions o = JobOptions.parse("--roles", "--connections", "40", "--interval-ms", "200", "--prefix", "mwroles", "--out",
                "/tmp/r", "--distribution", "/d", "--remove-leftovers");
        JobOptions back = JobOptions.parse(o.toArgs().toArray(String[]::new));
        assertEquals(o.toArgs(), back.toArgs());
        assertEquals(o.toJson(), back.toJson());
        assertEquals(Path.of("/tmp/r"), back.out());
    }

    @Test
    void theHelpSaysWhatTheRoundTripDoes() {
        String usage = JobOptions.usage();
        assertTrue(usage.contains("--roles") && usage.contains("failover back") && usage.contains("keepalived"), usage);
    }
}
