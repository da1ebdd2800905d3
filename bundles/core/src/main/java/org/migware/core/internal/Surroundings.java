package org.migware.core.internal;

import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What the {@link FailoverCoordinator} needs from the container around it: clocks, its own
 * thread, the backup's view of its capture, and where it keeps its state. DS provides the live
 * one ({@link LiveSurroundings}); a test supplies its own, with a clock it moves and a thread
 * that does not look on its own.
 */
public interface Surroundings {

    /** @return the wall clock, for the instants the status shows */
    Clock clock();

    /** @return a monotonic clock in nanoseconds, for hold-down, isolation and fence retry */
    long monotonicNanos();

    /** @return the capture sources' total of frames received, or -1 when none runs */
    long framesReceived();

    /** @return whether the capture interface has carrier, or null when unknown */
    Boolean captureLinkUp();

    /**
     * @return a new executor with one thread, on which every decision runs; the coordinator
     *     schedules its periodic look on it and shuts it down when it stops
     */
    ScheduledExecutorService newDecisionThread();

    /** @return where the state is kept across a restart of the core, or null to keep it nowhere */
    Path stateFile();

    /** @return whether a service address is on this host now (keepalived made it the VRRP master); false when unknown */
    boolean serviceAddressLocal();
}
