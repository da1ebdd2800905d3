package org.migware.monitor.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.migware.api.health.HealthStatus;
import org.migware.api.health.HealthVerdict;
import org.migware.api.health.HealthVerdictListener;

class VerdictPublisherTest {

    private static HealthVerdict verdict(HealthStatus status) {
        return new HealthVerdict("icmp", "192.0.2.10", status, Instant.EPOCH, "because");
    }

    @Test
    void aThrowingListenerIsLoggedAndTheOthersAreStillTold() {
        List<HealthVerdict> told = new ArrayList<>();
        HealthVerdictListener throwing = v -> {
            throw new IllegalStateException("listener bug");
        };
        HealthVerdictListener recording = told::add;
        VerdictPublisher publisher = new VerdictPublisher(verdict(HealthStatus.UNKNOWN), () -> List.of(throwing, recording));
        HealthVerdict down = verdict(HealthStatus.DOWN);
        publisher.publish(down);
        assertEquals(List.of(down), told);
        assertSame(down, publisher.latest());
    }

    @Test
    void noListenersYetIsFine() {
        VerdictPublisher publisher = new VerdictPublisher(verdict(HealthStatus.UNKNOWN), () -> null);
        HealthVerdict up = verdict(HealthStatus.UP);
        publisher.publish(up);
        assertSame(up, publisher.latest());
    }

    @Test
    void aThrowingSupplierMeansNoListeners() {
        VerdictPublisher publisher = new VerdictPublisher(verdict(HealthStatus.UNKNOWN), () -> {
            throw new IllegalStateException("component gone");
        });
        HealthVerdict up = verdict(HealthStatus.UP);
        publisher.publish(up);
        assertSame(up, publisher.latest());
    }
}
