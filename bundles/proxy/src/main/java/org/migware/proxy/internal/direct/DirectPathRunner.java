package org.migware.proxy.internal.direct;

import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.migware.api.failover.DirectPathStatus;
import org.migware.api.failover.FailoverState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs a {@link DirectPath} on a thread of its own (nft calls take milliseconds; the capture and TUN threads never wait for them). */
public final class DirectPathRunner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DirectPathRunner.class);

    private final DirectPath directPath;
    private final ScheduledExecutorService thread;
    private final long intervalMillis;

    /**
     * @param engine the carried connections
     * @param nftBinary the nft binary
     * @param nftTable the table MigWare owns
     * @param trackFile keepalived's track file, blank when keepalived is not joined
     * @param addressLocal whether a service address is this host's
     * @param report tells the core that the carried connections drained
     * @param intervalMillis how often a round runs
     */
    public DirectPathRunner(CarriedConnections engine, String nftBinary, String nftTable, String trackFile, BooleanSupplier addressLocal,
            DirectPath.DrainReport report, long intervalMillis) {
        CarriedSet set = new CarriedSet(new NftCommand(nftBinary), nftTable);
        KeepalivedTrackFile track = trackFile == null || trackFile.isBlank() ? null : new KeepalivedTrackFile(Path.of(trackFile));
        this.directPath = new DirectPath(engine, set, track, addressLocal, report, System::nanoTime);
        this.thread = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread t = new Thread(runnable, "migware-proxy-direct");
            t.setDaemon(true);
            return t;
        });
        this.intervalMillis = Math.max(10, intervalMillis);
        LOG.info("proxy: direct path on: nftables table ip {} ({}), keepalived {}", nftTable, nftBinary,
                track == null ? "not joined (no track file)" : "joined through the track file " + track.file());
    }

    /**
     * Starts the rounds. Call it once the engine has restored the mappings a restart in PROXY
     * kept: a round before that would see no carried connection, empty the set and hold
     * keepalived back, which takes the address away from the host serving it.
     */
    public void start() {
        thread.scheduleWithFixedDelay(this::tickQuietly, 0, intervalMillis, TimeUnit.MILLISECONDS);
    }

    private void tickQuietly() {
        try {
            directPath.tick();
        } catch (RuntimeException e) {
            LOG.error("proxy: direct path round failed", e);
        }
    }

    /** @param state the core's state, as its last event said */
    public void coreState(FailoverState state) {
        directPath.coreState(state);
    }

    /** @return what the direct path does now */
    public DirectPathStatus status() {
        return directPath.status();
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
