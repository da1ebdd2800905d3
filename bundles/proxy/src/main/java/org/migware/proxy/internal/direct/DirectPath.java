package org.migware.proxy.internal.direct;

import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import org.migware.api.failover.DirectPathStatus;
import org.migware.api.failover.FailoverState;
import org.migware.api.failover.MigrationProgress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steady state after a failover, driven by one periodic {@link #tick}:
 *
 * <ol>
 *   <li>the nftables set mirrors the connections MigWare carries ({@link CarriedSet});</li>
 *   <li>once the set holds them after MigWare's decision, keepalived is released
 *       ({@link KeepalivedTrackFile}): it takes the service address within its down timer;</li>
 *   <li>when the address is this host's, the engine leaves new connections, their segments and
 *       the address's ARP to the kernel (the direct path);</li>
 *   <li>when no carried connection remains, the core is told (PROXY to NORMAL, serving), once it
 *       is in PROXY.</li>
 * </ol>
 *
 * Before a failover the track file holds keepalived back, and the set is empty.
 */
public final class DirectPath {

    private static final Logger LOG = LoggerFactory.getLogger(DirectPath.class);
    private static final long REPORT_AGAIN_NANOS = 1_000_000_000L;

    /** Where the core is told that the carried connections drained; false when no core is there to tell. */
    @FunctionalInterface
    public interface DrainReport {
        boolean drained(MigrationProgress progress);
    }

    private final CarriedConnections engine;
    private final CarriedSet set;
    private final KeepalivedTrackFile trackFile;
    private final BooleanSupplier addressLocal;
    private final DrainReport report;
    private final LongSupplier nanos;
    private volatile DirectPathStatus status;
    /** The last state the core told. */
    private volatile FailoverState coreState;
    private boolean addressWasLocal;
    private boolean drainReported;
    private long lastReportNanos;
    private String lastProblem;

    /**
     * @param engine the carried connections
     * @param set the nftables set
     * @param trackFile keepalived's track file, {@code null} when keepalived is not joined
     * @param addressLocal whether a service address is one of this host's now
     * @param report tells the core that the carried connections drained
     * @param nanos a monotonic clock
     */
    public DirectPath(CarriedConnections engine, CarriedSet set, KeepalivedTrackFile trackFile, BooleanSupplier addressLocal,
            DrainReport report, LongSupplier nanos) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.set = Objects.requireNonNull(set, "set");
        this.trackFile = trackFile;
        this.addressLocal = addressLocal;
        this.report = report;
        this.nanos = nanos;
        this.status = new DirectPathStatus(true, false, 0, 0, trackFile == null ? "none" : "unknown", false, null);
    }

    /** @param state the core's state, as its last event said */
    public void coreState(FailoverState state) {
        coreState = state;
    }

    /** @return what the direct path does now */
    public DirectPathStatus status() {
        return status;
    }

    /** One round; call it often (every 50–100 ms) from one thread. */
    public synchronized void tick() {
        boolean active = engine.active();
        // Claiming (several backups): the connections a takeover would carry are in the set before
        // keepalived is released; RECOVERY begins only once the address is this host's. The core
        // is told RECOVERY a moment before the engine starts it: in that moment the address is
        // already this host's, so the set and the release stay as they were while claiming (a round
        // there once emptied the set and held keepalived back, and the kernel reset the clients).
        FailoverState told = coreState;
        boolean claiming = !active && (told == FailoverState.CLAIMING || told == FailoverState.RECOVERY);
        List<CarriedTuple> carried = active ? engine.carried() : claiming ? engine.toTakeOver() : List.of();
        String problem = null;
        boolean synced;
        try {
            set.sync(carried);
            synced = true;
        } catch (NftRunner.NftException e) {
            synced = false;
            problem = "nftables: " + e.getMessage();
        }
        if (trackFile != null) {
            // Released only once the set protects every carried connection: from the moment the
            // address is this host's, a segment of one the set misses would reach the kernel.
            KeepalivedTrackFile.HandOff wanted = !active && !claiming ? KeepalivedTrackFile.HandOff.HELD
                    : synced ? KeepalivedTrackFile.HandOff.RELEASED : trackFile.written();
            if (wanted != null) {
                try {
                    KeepalivedTrackFile.HandOff before = trackFile.written();
                    trackFile.write(wanted);
                    if (before != wanted) {
                        LOG.info("proxy: keepalived {} (track file {}){}", wanted == KeepalivedTrackFile.HandOff.HELD ? "held back" : "released",
                                trackFile.file(), wanted == KeepalivedTrackFile.HandOff.RELEASED
                                        ? ": " + carried.size() + (claiming ? " connections to take over" : " carried connections")
                                                + " in the nftables set" : "");
                    }
                } catch (IOException e) {
                    problem = (problem == null ? "" : problem + "; ") + "keepalived track file: " + e.getMessage();
                }
            }
        }
        boolean local = active && addressLocal.getAsBoolean();
        if (local != addressWasLocal) {
            LOG.warn("proxy: the service address is {} this host's: {}", local ? "now" : "no longer",
                    local ? "new connections go to its kernel directly; " + carried.size() + " carried connections stay with MigWare"
                            : "MigWare serves every connection to it");
            addressWasLocal = local;
        }
        engine.serviceAddressLocal(local);
        if (active && local && synced && carried.isEmpty() && engine.recoveryFinished()) {
            FailoverState core = coreState;
            if (core == FailoverState.NORMAL && drainReported) {
                // done: the core is NORMAL, serving
            } else if (core == FailoverState.PROXY) {
                long now = nanos.getAsLong();
                if (!drainReported || now - lastReportNanos >= REPORT_AGAIN_NANOS) {
                    MigrationProgress progress = engine.progress();
                    if (report.drained(progress)) {
                        if (!drainReported) {
                            LOG.warn("proxy: every carried connection has ended and the set is empty; the core moves to NORMAL, serving");
                        }
                        drainReported = true;
                        lastReportNanos = now;
                    }
                }
            }
        }
        if (problem != null && !problem.equals(lastProblem)) {
            LOG.error("proxy: direct path: {}", problem);
        }
        lastProblem = problem;
        KeepalivedTrackFile.HandOff handOff = trackFile == null ? null : trackFile.written();
        status = new DirectPathStatus(true, local, carried.size(), set.size(),
                handOff == null ? (trackFile == null ? "none" : "unknown") : handOff.name().toLowerCase(java.util.Locale.ROOT),
                drainReported && coreState == FailoverState.NORMAL, problem);
    }
}
