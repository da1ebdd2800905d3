package org.migware.proxy.internal.keeper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.migware.proxy.internal.keeper.ClientStreamKeeperTest.SERVICE;
import static org.migware.proxy.internal.keeper.ClientStreamKeeperTest.client;
import static org.migware.proxy.internal.keeper.ClientStreamKeeperTest.primary;
import static org.migware.proxy.internal.keeper.ClientStreamKeeperTest.retained;
import static org.migware.proxy.internal.keeper.ClientStreamKeeperTest.see;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.migware.api.wire.TcpHeader;
import org.migware.parser.internal.PacketParserComponent;
import org.migware.proxy.internal.keeper.IdleExpiry.Tracked;
import org.migware.proxy.internal.replay.ChunkPool;
import org.migware.proxy.internal.replay.DeliveryPolicy;
import org.migware.testing.TcpFrame;

/**
 * Issue 10, "the keeper never expires a stream": a kept stream whose connection went silent
 * without a FIN or RST is freed and counted, its chunks given back; one the tracker holds as live
 * never is. Time is a fake clock; the tracker is a stub that says what the real one would.
 */
class KeeperIdleExpiryTest {

    private static final long IDLE_SECONDS = 100;
    private static final long HALF_OPEN_SECONDS = 10;
    private static final int ISN = 999;
    private static final int SERVER_ISN = 5000;
    /** Bytes the client sends and the primary never acknowledges: both keepers hold them. */
    private static final int SENT = 3000;

    private long now = 1_000_000_000L; // any origin: System.nanoTime's is arbitrary too
    private final ChunkPool pool = new ChunkPool(16 << 10, 1 << 20);
    private final ClientStreamKeeper keeper = new ClientStreamKeeper(RecordFraming.NONE, 1 << 20, 1000, () -> SERVICE,
            new PacketParserComponent().newView(), new ReplayKeeper(DeliveryPolicy.parse("replay", Map.of()), pool, 1 << 20, 1000),
            new IdleExpiry.Bounds(TimeUnit.SECONDS.toNanos(IDLE_SECONDS), TimeUnit.SECONDS.toNanos(HALF_OPEN_SECONDS)), () -> now);

    private void advanceSeconds(long seconds) {
        now += TimeUnit.SECONDS.toNanos(seconds);
    }

    /** Handshake, then {@link #SENT} bytes from the client that the primary has not acknowledged. */
    private void establishedWithUnacknowledgedBytes(int clientPort) {
        see(keeper, TcpFrame.fromClient(clientPort).seq(ISN).flags(TcpHeader.SYN).synOptions(1460, 7, true));
        see(keeper, TcpFrame.fromServer(clientPort).seq(SERVER_ISN).ack(ISN + 1).flags(TcpHeader.SYN | TcpHeader.ACK).synOptions(1460, 7, true));
        see(keeper, TcpFrame.fromClient(clientPort).seq(ISN + 1).ack(SERVER_ISN + 1).payload(SENT));
    }

    private void assertHoldsOneConnection() {
        assertEquals(1, keeper.connections(), "the resume keeper holds the connection");
        assertEquals(1, keeper.keptForReplay().size(), "the replay keeper holds the connection");
        assertTrue(pool.bytesInUse() > 0, "its stream holds off-heap chunks");
        assertEquals(SENT, retained(keeper, ISN + 1).bytes().length, "its unacknowledged bytes are kept");
    }

    private void assertHoldsNothing() {
        assertEquals(0, keeper.connections(), "the resume keeper's stream is freed");
        assertEquals(0, keeper.keptForReplay().size(), "the replay keeper's stream is freed");
        assertEquals(0, pool.bytesInUse(), "every chunk is back in the pool");
        assertEquals(0, retained(keeper, ISN + 1).bytes().length, "nothing is handed over any more");
    }

    @Test
    void aStreamSilentPastTheIdleTimeWithoutATrackerIsFreedAndCounted() {
        establishedWithUnacknowledgedBytes(TcpFrame.CLIENT_PORT);
        advanceSeconds(IDLE_SECONDS - 1);
        assertEquals(0, keeper.expireIdle((ca, cp, sa, sp) -> Tracked.UNKNOWN));
        assertHoldsOneConnection();

        advanceSeconds(2);
        assertEquals(1, keeper.expireIdle((ca, cp, sa, sp) -> Tracked.UNKNOWN));
        assertHoldsNothing();
        assertEquals(1, keeper.expiredIdle(), "one connection counted, although both keepers held it");
    }

    @Test
    void aStreamTheTrackerHoldsClosedIsFreedAfterTheIdleTimeToo() {
        establishedWithUnacknowledgedBytes(TcpFrame.CLIENT_PORT);
        advanceSeconds(IDLE_SECONDS + 1);
        assertEquals(1, keeper.expireIdle((ca, cp, sa, sp) -> Tracked.NOT_LIVE));
        assertHoldsNothing();
    }

    @Test
    void aStreamWhoseConnectionTheTrackerHoldsLiveIsNeverFreed() {
        establishedWithUnacknowledgedBytes(TcpFrame.CLIENT_PORT);
        for (int i = 0; i < 5; i++) {
            advanceSeconds(10 * IDLE_SECONDS);
            assertEquals(0, keeper.expireIdle((ca, cp, sa, sp) -> Tracked.LIVE));
        }
        assertHoldsOneConnection();
        assertEquals(0, keeper.expiredIdle());
    }

    @Test
    void aStreamTheTrackerForgotIsFreedAfterAShortGrace() {
        establishedWithUnacknowledgedBytes(TcpFrame.CLIENT_PORT);
        // the tracker may not have taken in the same frame yet: a moment's silence is not enough
        advanceSeconds(TimeUnit.NANOSECONDS.toSeconds(IdleExpiry.UNTRACKED_GRACE_NANOS) - 1);
        assertEquals(0, keeper.expireIdle((ca, cp, sa, sp) -> Tracked.FORGOTTEN));
        assertHoldsOneConnection();

        advanceSeconds(2);
        assertEquals(1, keeper.expireIdle((ca, cp, sa, sp) -> Tracked.FORGOTTEN));
        assertHoldsNothing();
        assertEquals(1, keeper.expiredIdle());
    }

    @Test
    void theTrackerIsAskedAboutTheRightConnection() {
        establishedWithUnacknowledgedBytes(TcpFrame.CLIENT_PORT);
        advanceSeconds(IDLE_SECONDS + 1);
        int[] asked = new int[5];
        keeper.expireIdle((ca, cp, sa, sp) -> {
            asked[0]++;
            asked[1] = ca;
            asked[2] = cp;
            asked[3] = sa;
            asked[4] = sp;
            return Tracked.LIVE;
        });
        assertEquals(1, asked[0], "asked once, although both keepers hold the connection");
        assertEquals(TcpFrame.CLIENT_IP, asked[1]);
        assertEquals(TcpFrame.CLIENT_PORT, asked[2]);
        assertEquals(TcpFrame.SERVER_IP, asked[3]);
        assertEquals(TcpFrame.SERVICE_PORT, asked[4]);
    }

    @Test
    void aFrameEitherWayRestartsTheSilence() {
        establishedWithUnacknowledgedBytes(TcpFrame.CLIENT_PORT);
        advanceSeconds(IDLE_SECONDS - 10);
        assertEquals(0, keeper.expireIdle((ca, cp, sa, sp) -> Tracked.UNKNOWN));
        // the primary speaks (a keepalive's answer): the connection is not silent
        see(keeper, primary(SERVER_ISN + 1, ISN + 1));
        advanceSeconds(IDLE_SECONDS - 10);
        assertEquals(0, keeper.expireIdle((ca, cp, sa, sp) -> Tracked.UNKNOWN));
        assertHoldsOneConnection();
        advanceSeconds(11);
        assertEquals(1, keeper.expireIdle((ca, cp, sa, sp) -> Tracked.UNKNOWN));
        assertHoldsNothing();
    }

    @Test
    void aFrameWhileTheTrackerIsAskedKeepsTheStream() {
        establishedWithUnacknowledgedBytes(TcpFrame.CLIENT_PORT);
        advanceSeconds(IDLE_SECONDS + 1);
        // the capture thread goes on while the sweep asks the tracker outside the keeper's lock
        assertEquals(0, keeper.expireIdle((ca, cp, sa, sp) -> {
            see(keeper, client(ISN + 1 + SENT, SERVER_ISN + 1).payload(10));
            return Tracked.UNKNOWN;
        }));
        assertEquals(1, keeper.connections());
        assertEquals(1, keeper.keptForReplay().size());
        assertEquals(0, keeper.expiredIdle());
    }

    @Test
    void aHalfOpenStreamGoesAfterTheHalfOpenTimeAnEstablishedOneStays() {
        int spoofedPort = 41_000;
        establishedWithUnacknowledgedBytes(TcpFrame.CLIENT_PORT);
        see(keeper, TcpFrame.fromClient(spoofedPort).seq(77).flags(TcpHeader.SYN));
        see(keeper, TcpFrame.fromServer(spoofedPort).seq(9000).ack(78).flags(TcpHeader.SYN | TcpHeader.ACK));
        assertEquals(2, keeper.connections());
        assertEquals(2, keeper.keptForReplay().size());

        advanceSeconds(HALF_OPEN_SECONDS + 1);
        assertEquals(1, keeper.expireIdle((ca, cp, sa, sp) -> Tracked.UNKNOWN));
        assertHoldsOneConnection();
        assertEquals(1, keeper.expiredIdle());
    }

    @Test
    void aStreamKeptForReplayAloneIsFreedToo() {
        establishedWithUnacknowledgedBytes(TcpFrame.CLIENT_PORT);
        // the client half-closes after its request: the resume keeper lets it go, replay keeps it for its answer
        see(keeper, client(ISN + 1 + SENT, SERVER_ISN + 1).flags(TcpHeader.FIN | TcpHeader.ACK));
        assertEquals(0, keeper.connections());
        assertEquals(1, keeper.keptForReplay().size());
        assertTrue(pool.bytesInUse() > 0);

        advanceSeconds(IDLE_SECONDS + 1);
        assertEquals(1, keeper.expireIdle((ca, cp, sa, sp) -> Tracked.UNKNOWN));
        assertHoldsNothing();
        assertEquals(1, keeper.expiredIdle());
    }

    @Test
    void nothingExpiresOnceRecoveryHasStarted() {
        establishedWithUnacknowledgedBytes(TcpFrame.CLIENT_PORT);
        keeper.freeze();
        advanceSeconds(100 * IDLE_SECONDS);
        assertEquals(0, keeper.expireIdle((ca, cp, sa, sp) -> Tracked.FORGOTTEN));
        assertHoldsOneConnection();
    }

    @Test
    void manySilentStreamsAreAllFreedOverBoundedSweeps() {
        int connections = IdleExpiry.CANDIDATES_PER_SWEEP * 2 + 100;
        ChunkPool many = new ChunkPool(16 << 10, 4 << 20);
        ClientStreamKeeper big = new ClientStreamKeeper(RecordFraming.NONE, 1 << 20, connections, () -> SERVICE,
                new PacketParserComponent().newView(), new ReplayKeeper(DeliveryPolicy.parse("replay", Map.of()), many, 1 << 20, connections),
                IdleExpiry.Bounds.DEFAULTS, () -> now);
        for (int c = 0; c < connections; c++) {
            int port = 20_000 + c;
            see(big, TcpFrame.fromClient(port).seq(ISN).flags(TcpHeader.SYN));
            see(big, TcpFrame.fromClient(port).seq(ISN + 1).ack(SERVER_ISN + 1).payload(100));
        }
        assertEquals(connections, big.connections());
        assertTrue(many.bytesInUse() > 0);
        advanceSeconds(TimeUnit.NANOSECONDS.toSeconds(IdleExpiry.UNTRACKED_GRACE_NANOS) + 1);

        int first = big.expireIdle((ca, cp, sa, sp) -> Tracked.FORGOTTEN);
        assertEquals(IdleExpiry.CANDIDATES_PER_SWEEP, first, "one sweep asks the tracker about a bounded number of connections");
        int sweeps = 1;
        while (big.connections() > 0 && sweeps < 100) {
            big.expireIdle((ca, cp, sa, sp) -> Tracked.FORGOTTEN);
            sweeps++;
        }
        assertEquals(3, sweeps, "the rest go in the next sweeps");
        assertEquals(0, big.connections());
        assertEquals(0, big.keptForReplay().size());
        assertEquals(0, many.bytesInUse());
        assertEquals(connections, big.expiredIdle());
    }
}
