package org.migware.api.health;

/** A monitor's opinion of its target. */
public enum HealthStatus {
    /** The target answered as expected. */
    UP,
    /** The target failed the check as many times as the monitor's configuration demands. */
    DOWN,
    /** The monitor cannot tell (just started, or its own probe path is broken). */
    UNKNOWN
}
