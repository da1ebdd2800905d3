package org.migware.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.http.HttpResponse;
import java.util.List;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * {@code /health} of a container in which nothing is configured: not armed, and each missing
 * part named on a line of its own.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HealthEndpointTest extends MigwareTestSupport {

    @Test
    public void nothingArmedIs503WithEachReasonNamed() {
        HttpEndpoint http = HttpEndpoint.of(bundleContext, TIMEOUT);

        HttpResponse<String> health = http.awaitServed("/health", TIMEOUT);

        assertEquals(health.body(), 503, health.statusCode());
        List<String> reasons = health.body().lines().toList();
        assertTrue(health.body(), reasons.contains("capture: no capture source is running"));
        assertTrue(health.body(), reasons.contains("migration: the proxy bundle is not running: connections would not be migrated"));
        assertTrue(health.body(), reasons.stream().anyMatch(line -> line.startsWith("fence: none configured")));
        // the ICMP monitor is not in bundle/ (it is hot-deployed from deploy/): no monitor at all
        assertTrue(health.body(), reasons.contains("monitor: none is present: nothing would notice the primary fail"));
        assertTrue(health.body(), health.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
    }

    @Test
    public void theEndpointsOnlyRead() {
        HttpEndpoint http = HttpEndpoint.of(bundleContext, TIMEOUT);
        http.awaitServed("/health", TIMEOUT);

        assertEquals(405, http.post("/health").statusCode());
        assertEquals(405, http.post("/metrics").statusCode());
    }
}
