package org.migware.proxy.internal.direct;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.migware.api.failover.FailoverState;
import org.migware.api.failover.MigrationProgress;

class DirectPathTest {

    /** What happened, in order: nft scripts, track file contents, drain reports. */
    private final List<String> events = new ArrayList<>();
    private final AtomicLong nanos = new AtomicLong();
    private boolean addressLocal;
    private boolean coreListening = true;
    private int drainReports;

    private final class FakeEngine implements CarriedConnections {
        boolean active;
        boolean finished;
        Boolean toldLocal;
        final List<CarriedTuple> carried = new ArrayList<>();
        final List<CarriedTuple> tracked = new ArrayList<>();

        @Override
        public boolean active() {
            return active;
        }

        @Override
        public boolean recoveryFinished() {
            return finished;
        }

        @Override
        public List<CarriedTuple> carried() {
            return List.copyOf(carried);
        }

        @Override
        public List<CarriedTuple> toTakeOver() {
            return List.copyOf(tracked);
        }

        @Override
        public void serviceAddressLocal(boolean local) {
            toldLocal = local;
        }

        @Override
        public MigrationProgress progress() {
            return MigrationProgress.notConfigured();
        }
    }

    private final FakeEngine engine = new FakeEngine();

    private DirectPath directPath(Path trackFile) {
        // Each nft run notes what the track file said at that moment: the order of the two writes.
        NftRunner nft = script -> events.add("nft, track file " + read(trackFile));
        return new DirectPath(engine, new CarriedSet(nft, "migware"), new KeepalivedTrackFile(trackFile), () -> addressLocal, progress -> {
            if (!coreListening) {
                return false;
            }
            drainReports++;
            events.add("drained");
            return true;
        }, nanos::get);
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file).strip() : "absent";
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static CarriedTuple tuple(int port) {
        return new CarriedTuple(0x0a4d0001, port, 0x0a4d0064, 7000);
    }

    /** In NORMAL keepalived is held back; after the decision it is released only after the set holds the carried tuples. */
    @Test
    void keepalivedIsReleasedOnlyAfterTheSetHoldsEveryCarriedConnection(@TempDir Path folder) throws Exception {
        Path file = folder.resolve("migware.track");
        DirectPath path = directPath(file);
        path.tick();
        assertEquals("1\n", Files.readString(file), "held before a failover");
        assertEquals("held", path.status().roleHandOff());
        engine.active = true;
        engine.carried.add(tuple(1));
        engine.carried.add(tuple(2));
        events.clear();
        path.tick();
        assertEquals(List.of("nft, track file 1"), events, "the set is written while keepalived is still held");
        assertEquals("0\n", Files.readString(file));
        assertEquals(2, path.status().carried());
        assertEquals(2, path.status().setElements());
        assertFalse(engine.toldLocal, "the address is not this host's yet");
    }

    /**
     * Claiming (several backups): the tracked connections go into the set before keepalived is
     * released, since the address may come before recovery starts; a claim that stands down
     * empties the set and holds keepalived again.
     */
    @Test
    void aClaimFillsTheSetBeforeReleasingKeepalivedAndAStandDownUndoesBoth(@TempDir Path folder) throws Exception {
        Path file = folder.resolve("migware.track");
        DirectPath path = directPath(file);
        engine.tracked.add(tuple(1));
        engine.tracked.add(tuple(2));
        engine.tracked.add(tuple(3));
        path.tick();
        assertEquals("1\n", Files.readString(file), "held while watching");
        assertEquals(0, path.status().setElements(), "nothing in the set while watching");

        path.coreState(FailoverState.CLAIMING);
        events.clear();
        path.tick();
        assertEquals(List.of("nft, track file 1"), events, "the set is written while keepalived is still held");
        assertEquals("0\n", Files.readString(file), "released once the set holds them");
        assertEquals(3, path.status().setElements());

        path.coreState(FailoverState.NORMAL); // stood down: another backup became the master
        assertStoodDown(path, file);
    }

    /**
     * The core is told RECOVERY a moment before the engine starts it, and the address is already
     * this host's: a round in between keeps the set and the release as they were while claiming.
     */
    @Test
    void theMomentBetweenTheCoresRecoveryAndTheEnginesKeepsTheClaimsSetAndRelease(@TempDir Path folder) throws Exception {
        Path file = folder.resolve("migware.track");
        DirectPath path = directPath(file);
        engine.tracked.add(tuple(1));
        engine.tracked.add(tuple(2));
        path.coreState(FailoverState.CLAIMING);
        path.tick();
        assertEquals("0\n", Files.readString(file), "released while claiming");

        addressLocal = true;
        path.coreState(FailoverState.RECOVERY); // the engine has not started yet
        events.clear();
        path.tick();
        assertEquals("0\n", Files.readString(file), "still released");
        assertEquals(2, path.status().setElements(), "the set still protects the connections to take over");

        engine.active = true;
        engine.carried.addAll(engine.tracked);
        path.tick();
        assertEquals("0\n", Files.readString(file));
        assertEquals(2, path.status().setElements());

        path.coreState(FailoverState.NORMAL); // stood down: another backup became the master
        engine.active = false;
        addressLocal = false;
        assertStoodDown(path, file);
    }

    /** A round after a stand-down holds keepalived again and empties the set. */
    private static void assertStoodDown(DirectPath path, Path file) throws java.io.IOException {
        path.tick();
        assertEquals("1\n", Files.readString(file), "held again");
        assertEquals(0, path.status().setElements(), "the set emptied");
    }

    /** A set nft refuses keeps keepalived held: the address must not come while a carried connection is unprotected. */
    @Test
    void aRefusedSetKeepsKeepalivedHeld(@TempDir Path folder) throws Exception {
        Path file = folder.resolve("migware.track");
        KeepalivedTrackFile track = new KeepalivedTrackFile(file);
        DirectPath path = new DirectPath(engine, new CarriedSet(script -> {
            throw new NftRunner.NftException("nft -f - failed (exit 1): Operation not permitted");
        }, "migware"), track, () -> false, p -> true, nanos::get);
        path.tick();
        engine.active = true;
        engine.carried.add(tuple(1));
        path.tick();
        assertEquals("1\n", Files.readString(file));
        assertTrue(path.status().problem().contains("Operation not permitted"), path.status().problem());
    }

    /** Once the address is local the engine is told; the drain is reported when none is left, once the core is in PROXY. */
    @Test
    void theDrainIsReportedWhenNoneIsLeftAndTheCoreIsInProxy(@TempDir Path folder) {
        DirectPath path = directPath(folder.resolve("migware.track"));
        engine.active = true;
        engine.carried.add(tuple(1));
        path.coreState(FailoverState.RECOVERY);
        addressLocal = true;
        path.tick();
        assertTrue(engine.toldLocal);
        assertTrue(path.status().addressLocal());
        engine.carried.clear();
        path.tick();
        assertEquals(0, drainReports, "recovery has not finished");
        engine.finished = true;
        path.tick();
        assertEquals(0, drainReports, "the core is not in PROXY yet");
        path.coreState(FailoverState.PROXY);
        path.tick();
        assertEquals(1, drainReports);
        path.tick();
        assertEquals(1, drainReports, "not again within a second");
        nanos.addAndGet(1_500_000_000L);
        path.tick();
        assertEquals(2, drainReports, "again, in case the core missed it");
        path.coreState(FailoverState.NORMAL);
        nanos.addAndGet(1_500_000_000L);
        path.tick();
        assertEquals(2, drainReports, "the core is NORMAL: done");
        assertTrue(path.status().drained());
        assertEquals(0, path.status().setElements());
    }

    /** Carried connections left, or the address not this host's: no drain. A core that is away is asked again. */
    @Test
    void noDrainWhileAnyIsCarriedOrTheAddressIsElsewhere(@TempDir Path folder) {
        DirectPath path = directPath(folder.resolve("migware.track"));
        engine.active = true;
        engine.finished = true;
        engine.carried.add(tuple(1));
        path.coreState(FailoverState.PROXY);
        addressLocal = true;
        path.tick();
        assertEquals(0, drainReports);
        engine.carried.clear();
        addressLocal = false;
        path.tick();
        assertEquals(0, drainReports, "the address is not this host's: MigWare still serves new connections");
        addressLocal = true;
        coreListening = false;
        path.tick();
        assertFalse(path.status().drained());
        coreListening = true;
        path.tick();
        assertEquals(1, drainReports);
    }
}
