package org.migware.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.migware.lab.chromium.HeadlessChromium;
import org.migware.lab.network.LabNetwork;
import org.migware.lab.report.RolesJob;
import org.migware.lab.roles.RoundTrip;

/**
 * Issue 13, point 3, the round trip ({@link RoundTrip}): the primary's link is pulled and the
 * backup takes its connections over; the old primary is rebooted and rejoins as the backup
 * (its application restarted as the replica, the table through state sync); the new master's
 * link is pulled and the rejoined host takes every connection over, those migrated once and
 * those opened between the failovers.
 *
 * <p>Oracles: the clients' reports and their kernel ({@code ss}, the EstabResets counter); the
 * records the three applications received, which must join up for every connection (none lost
 * after a resume point, none torn, none twice in one application); both hosts' tables against
 * {@code ss} on the client; {@code ip addr} for who owns the service address; a capture on the
 * client's link (tshark), where every connection carried at a pull has a segment first sent after
 * it and acknowledged, which only the host taking over can do. The main job's report of it
 * ({@code bin/migware lab --roles}): each failover's record timeline against the applications,
 * the page in headless Chromium.
 */
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
class RejoinLabTest {

    private static final String PREFIX = "mwrejoin";

    @Test
    @SuppressWarnings("unchecked")
    void aRepairedPrimaryRejoinsAsTheBackupAndTakesEveryConnectionBackAtTheSecondFailover() throws Exception {
        Path distribution = BuiltDistribution.home();
        RoundTrip.Options options = RoundTrip.Options.small();
        RoundTrip.Result r;
        Instant started = Instant.now();
        try (LabNetwork lab = LabNetwork.builder().prefix(PREFIX).replaceLeftovers(true).create()) {
            r = RoundTrip.run(lab, distribution, options, line -> System.out.println("[lab " + PREFIX + "] " + line));
        }
        assertFalse(LabNetwork.leftovers(PREFIX), "the lab's namespaces must be gone");
        System.out.printf("[lab %s] first failover (the backup takes over): pull -> decision %d ms, decision -> PROXY %d ms (MigWare's log)%n",
                PREFIX, r.firstFailover().pullToDecisionMillis(), r.firstFailover().decisionToProxyMillis());
        System.out.printf("[lab %s] rejoin: reboot -> both tables equal ss on the client %d ms (%d handshakes through sync)%n",
                PREFIX, r.rejoinMillis(), r.learntThroughSync());
        System.out.printf("[lab %s] second failover (the rejoined host takes over): pull -> decision %d ms, decision -> PROXY %d ms;"
                + " established after it: %d of %d; client EstabResets %d -> %d; %d connections, %d records checked across the three"
                + " applications%n", PREFIX, r.secondFailover().pullToDecisionMillis(), r.secondFailover().decisionToProxyMillis(),
                r.secondFailover().establishedAfter(), options.connections(), r.resetsBefore(), r.resetsAfter(), r.checked(), r.records());

        for (RoundTrip.Failover f : List.of(r.firstFailover(), r.secondFailover())) {
            System.out.printf("[lab %s] the client's wire: pull -> first segment acknowledged by the new serving host, median %.1f ms,"
                    + " p99 %.1f ms, max %.1f ms over %d of %d carried connections (their first send after the pull: median %.1f ms;"
                    + " that send to its ACK: median %.1f ms, max %.1f ms); tcpdump dropped %d%n", PREFIX, f.firstAckMillis().median(),
                    f.firstAckMillis().p99(), f.firstAckMillis().max(), f.wire().size(), f.carried().size(), f.clientSentMillis().median(),
                    f.sentToAckMillis().median(), f.sentToAckMillis().max(), r.capture().droppedByKernel());
        }

        // the client's capture: at each pull the serving host's cable is out, so only the host taking over can acknowledge
        assertEquals(options.first(), r.firstFailover().carried().size(), "ss on the client before the first pull");
        assertEquals(options.connections(), r.secondFailover().carried().size(), "ss on the client before the second pull");
        assertEquals(Set.of(), r.firstFailover().unacknowledged(),
                "carried connections without a client segment acknowledged after the first pull (client capture)");
        assertEquals(Set.of(), r.secondFailover().unacknowledged(),
                "carried connections without a client segment acknowledged after the second pull (client capture)");
        assertTrue(r.firstFailover().addressTaken(), "the backup's keepalived took the service address at the first failover");
        assertEquals(options.first(), r.firstFailover().establishedAfter(), "ss on the client after the first failover");
        assertEquals(options.first() + options.between(), r.learntThroughSync(),
                "every connection opened before the rejoin known to the rejoined host through sync");
        assertTrue(r.rejoinedHeldBack(), "the new master keeps the address; the rejoined host, held back by its MigWare, does not take it");
        assertTrue(r.secondFailover().addressTaken(), "the rejoined host's keepalived took the service address at the second failover");
        assertEquals(options.connections(), r.secondFailover().establishedAfter(),
                "ss on the client: every connection established after the second failover");
        assertEquals(r.resetsBefore(), r.resetsAfter(), "no established connection of the client was reset (EstabResets)");
        assertEquals(options.connections(), r.checked(), "connections whose records were checked");
        assertTrue(r.broken().isEmpty(), () -> r.broken().size() + " connections broken:\n"
                + String.join("\n", r.broken().subList(0, Math.min(10, r.broken().size()))));
        assertTrue(r.survived());

        // the main job's report of this round trip (bin/migware lab --roles writes the same): its timelines against
        // the applications, and its page in headless Chromium
        Map<String, Object> root = RolesJob.report(r.workDir().resolve("report"), r, started);
        List<Map<String, Object>> failovers = (List<Map<String, Object>>) ((Map<String, Object>) root.get("roles")).get("failovers");
        for (int i = 0; i < 2; i++) {
            Map<String, Object> timeline = (Map<String, Object>) failovers.get(i).get("timeline");
            Set<Integer> before = new TreeSet<>();
            Set<Integer> newHostAfter = new TreeSet<>();
            for (Object point : (List<Object>) timeline.get("points")) {
                double[] p = (double[]) point;
                assertTrue(p[2] != 3, "a record no application got, failover " + (i + 1) + ": " + Arrays.toString(p));
                if (p[1] < 0) {
                    before.add((int) p[0]);
                } else if (p[2] == 1) {
                    newHostAfter.add((int) p[0]);
                }
            }
            RoundTrip.Failover f = i == 0 ? r.firstFailover() : r.secondFailover();
            assertEquals(f.carried().size(), before.size(), "timeline rows with a record before the pull, failover " + (i + 1));
            assertTrue(newHostAfter.containsAll(before), "every carried connection has a record the new host's application got"
                    + " after the pull, failover " + (i + 1));
        }
        String url = r.workDir().resolve("report/report.html").toUri().toString();
        HeadlessChromium.Run dom = HeadlessChromium.run(List.of("--dump-dom", url), r.workDir().resolve("chromium"));
        assertEquals(0, dom.exit(), () -> "chromium failed: " + dom.stderrTail());
        assertTrue(dom.stdout().contains("data-charts-drawn=\"2\" data-js-errors=\"0\""), () -> "the page: " + dom.stdout().lines()
                .filter(l -> l.contains("<body") || l.contains("js-errors")).toList());
        for (String chart : List.of("chart-roles-0", "chart-roles-1")) {
            assertTrue(Pattern.compile("id=\"" + chart + "\" data-drawn=\"[1-9]\\d*\" data-chart-ok=\"yes\"").matcher(dom.stdout()).find(),
                    chart + " drawn");
        }
    }
}
