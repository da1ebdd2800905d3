package org.migware.monitor.traffic.internal;

import java.util.Objects;

import org.migware.api.health.HealthStatus;

/**
 * What one evaluation of the {@link StallDetector} found: one vote for the verdict state machine.
 *
 * @param status {@link HealthStatus#DOWN} for a stall, {@link HealthStatus#UP} for recent ACK
 *     progress, {@link HealthStatus#UNKNOWN} when the traffic says nothing either way
 * @param reason in words a person on call understands
 * @param tracked connections followed at this moment
 * @param outstanding of those, connections with client data not yet acknowledged
 * @param stalled of those, connections that count as stalled
 */
record Evidence(HealthStatus status, String reason, int tracked, int outstanding, int stalled) {

    /** The reason when no connection has client data outstanding. */
    static final String NOTHING_TO_JUDGE = "no client data outstanding: nothing to judge";

    Evidence {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(reason, "reason");
    }
}
