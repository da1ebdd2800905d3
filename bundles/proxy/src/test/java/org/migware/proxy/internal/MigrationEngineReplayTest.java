package org.migware.proxy.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.DirectionState;
import org.migware.api.connection.Endpoint;
import org.migware.api.connection.ServiceEndpoints;
import org.migware.api.connection.TcpState;
import org.migware.api.failover.DeliveryTotals;
import org.migware.api.failover.KeptConnection;
import org.migware.api.failover.MappingSnapshot;
import org.migware.api.failover.NotReplayableReason;
import org.migware.api.failover.ReplayReadiness;
import org.migware.api.wire.TcpHeader;
import org.migware.parser.internal.PacketParserComponent;
import org.migware.proxy.internal.keeper.ClientStreamKeeper;
import org.migware.proxy.internal.keeper.IdleExpiry;
import org.migware.proxy.internal.keeper.RecordFraming;
import org.migware.proxy.internal.keeper.ReplayKeeper;
import org.migware.proxy.internal.recovery.ShadowEndpoints;
import org.migware.proxy.internal.replay.ChunkPool;
import org.migware.proxy.internal.replay.DeliveryPolicy;
import org.migware.proxy.internal.wire.TcpSegment;
import org.migware.testing.TcpFrame;

/**
 * Delivery {@code replay} and {@code auto} through RECOVERY and PROXY, with the TUN and the wire
 * replaced by lists: the forged SYN at the client's ISN, the whole client stream handed over, the
 * replica's output checked against the primary's and dropped up to what the client holds, and a
 * reset — never a foreign byte — when it differs.
 *
 * <p>The connection: a login (12 bytes) the primary acknowledged, 10,000 server bytes of which the
 * client acknowledged 6,000, and a request (6 bytes) the primary never acknowledged.
 */
class MigrationEngineReplayTest {

    private static final int ISN = 999;
    private static final int PRIMARY_ISN = 5000;
    private static final int REPLICA_ISN = 70_000;
    private static final int REPLICA = 0x0a4d_0003;
    private static final int SERVICE_PORT = TcpFrame.SERVICE_PORT;
    private static final int CLIENT_PORT = TcpFrame.CLIENT_PORT;
    private static final ServiceEndpoints SERVICE =
            ServiceEndpoints.parse(new String[] {"10.77.0.2"}, new int[] {SERVICE_PORT});
    private static final String LOGIN = "LOGIN alice\n";
    private static final String REQUEST = "GET x\n";
    private static final int SENT = 10_000;
    private static final int HELD = 6_000;
    private static final int SEGMENT = 1000;

    private final List<byte[]> toReplica = new ArrayList<>();
    private final List<byte[]> toClient = new ArrayList<>();
    private long now = TimeUnit.SECONDS.toNanos(1);
    /** Whether the TUN and the wire only count what is written (for the allocation tests), instead of keeping copies. */
    private boolean counting;
    private final long[] written = new long[2];
    private ClientStreamKeeper keeper;
    private MigrationEngine engine;

    private void newEngine(String delivery, int bytesPerConnection) {
        newEngine(delivery, bytesPerConnection, 3);
    }

    private void newEngine(String delivery, int bytesPerConnection, int synAttempts) {
        ReplayKeeper replay = new ReplayKeeper(DeliveryPolicy.parse(delivery, Map.of()), new ChunkPool(4096, 64 << 20),
                bytesPerConnection, 1000);
        PacketParserComponent parser = new PacketParserComponent();
        keeper = new ClientStreamKeeper(RecordFraming.NONE, 1 << 20, 1000, () -> SERVICE, parser.newView(), replay,
                IdleExpiry.Bounds.DEFAULTS, () -> now);
        engine = new MigrationEngine(new MigrationEngine.Settings(REPLICA, 0, 64, TimeUnit.MILLISECONDS.toNanos(200), synAttempts),
                new ShadowEndpoints(0xc612_0000, 15), keeper,
                (packet, offset, length) -> {
                    if (counting) {
                        written[0] += length;
                    } else {
                        toReplica.add(Arrays.copyOfRange(packet, offset, offset + length));
                    }
                },
                (frame, offset, length) -> {
                    if (counting) {
                        written[1] += length;
                    } else {
                        toClient.add(Arrays.copyOfRange(frame, offset, offset + length));
                    }
                },
                parser.newRewritableView(), parser.newRewritableView(), () -> now, () -> now / 1_000_000);
    }

    /**
     * Issue 10: a kept stream freed by the idle sweep (here: no tracker, silent past the idle time)
     * is counted where the keeper's other counters are shown, and its bytes no longer are.
     */
    @Test
    void aStreamFreedByTheIdleSweepIsCountedInTheDeliveryTotals() {
        newEngine("replay", 1 << 20);
        passiveTraffic(true);
        DeliveryTotals before = engine.progress().delivery();
        assertEquals(1, before.replayable());
        assertTrue(before.keptBytes() > 0);
        assertEquals(0, before.keptExpired());

        now += IdleExpiry.Bounds.DEFAULTS.idleNanos() + TimeUnit.SECONDS.toNanos(1);
        assertEquals(1, keeper.expireIdle((clientAddress, clientPort, serviceAddress, servicePort) -> IdleExpiry.Tracked.UNKNOWN));

        DeliveryTotals after = engine.progress().delivery();
        assertEquals(1, after.keptExpired());
        assertEquals(0, after.replayable());
        assertEquals(0, after.keptBytes());
    }

    /** The primary's output: a byte per offset that no shift of it repeats. */
    static byte[] serverBytes(int from, int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            int at = from + i;
            bytes[i] = (byte) (at * 31 + (at >>> 8) * 7);
        }
        return bytes;
    }

    private void capture(TcpFrame segment) {
        byte[] frame = segment.build();
        keeper.observe(frame, 0, frame.length);
    }

    private static TcpFrame client(int seq, int ack) {
        return TcpFrame.fromClient(CLIENT_PORT).seq(seq).ack(ack);
    }

    private static TcpFrame primary(int seq, int ack) {
        return TcpFrame.fromServer(CLIENT_PORT).seq(seq).ack(ack);
    }

    /** The wire before failover, from the SYN on. */
    private void passiveTraffic(boolean fromSyn) {
        if (fromSyn) {
            capture(TcpFrame.fromClient(CLIENT_PORT).seq(ISN).flags(TcpHeader.SYN).synOptions(1460, -1, false));
            capture(primary(PRIMARY_ISN, ISN + 1).flags(TcpHeader.SYN | TcpHeader.ACK).synOptions(1460, -1, false));
        }
        capture(client(ISN + 1, PRIMARY_ISN + 1).payload(LOGIN));
        for (int at = 0; at < SENT; at += SEGMENT) {
            capture(primary(PRIMARY_ISN + 1 + at, ISN + 1 + LOGIN.length()).payload(serverBytes(at, SEGMENT)));
        }
        capture(client(ISN + 1 + LOGIN.length(), PRIMARY_ISN + 1 + HELD).payload(REQUEST));
    }

    private static ConnectionSnapshot snapshot() throws Exception {
        return snapshot(502);
    }

    /** @param clientWindow the client's last window as the tracker saw it */
    private static ConnectionSnapshot snapshot(int clientWindow) throws Exception {
        return new ConnectionSnapshot(
                new Endpoint(InetAddress.getByName("10.77.0.1"), CLIENT_PORT, "02:00:00:00:00:01"),
                new Endpoint(InetAddress.getByName("10.77.0.2"), SERVICE_PORT, "02:00:00:00:00:02"),
                new DirectionState(ISN, 1460, -1, false, false, PRIMARY_ISN + 1 + HELD, ISN + 1 + LOGIN.length() + REQUEST.length(),
                        DirectionState.UNKNOWN, clientWindow, 18, 3, 0, 0, 0),
                new DirectionState(PRIMARY_ISN, 1460, -1, false, false, ISN + 1 + LOGIN.length(), PRIMARY_ISN + 1 + SENT,
                        DirectionState.UNKNOWN, 509, SENT, 11, 0, 0, 0),
                TcpState.ESTABLISHED, true, Instant.EPOCH, Instant.EPOCH);
    }

    private static TcpSegment read(byte[] packet) {
        return MigrationEngineTest.read(packet);
    }

    private static TcpSegment readFrame(byte[] frame) {
        return read(Arrays.copyOfRange(frame, 14, frame.length));
    }

    private void fromReplica(TcpSegment to, int seq, int ack, int flags, byte[] payload) {
        TcpFrame s = TcpFrame.fromServer(to.sourcePort()).from(REPLICA, SERVICE_PORT).to(to.source(), to.sourcePort())
                .seq(seq).ack(ack).flags(flags).window(64_000);
        if ((flags & TcpHeader.SYN) != 0) {
            s.synOptions(1460, -1, false);
        }
        byte[] packet = s.payload(payload).buildIpv4();
        engine.fromReplica(packet, 0, packet.length);
    }

    /** Failover up to the replica's SYN-ACK; returns the forged SYN. */
    private TcpSegment recover() throws Exception {
        return recover(snapshot());
    }

    private TcpSegment recover(ConnectionSnapshot snapshot) {
        engine.startRecovery(List.of(snapshot), summary -> { });
        assertEquals(1, toReplica.size(), "one forged SYN");
        TcpSegment syn = read(toReplica.get(0));
        fromReplica(syn, REPLICA_ISN, syn.seq() + 1, TcpHeader.SYN | TcpHeader.ACK, new byte[0]);
        return syn;
    }

    /** The replica's output from offset {@code at}, {@code length} bytes, its bytes {@code bytes}; acknowledging the hand-over. */
    private void replicaSends(TcpSegment syn, int at, byte[] bytes) {
        fromReplica(syn, REPLICA_ISN + 1 + at, ISN + 1 + LOGIN.length() + REQUEST.length(), TcpHeader.ACK, bytes);
    }

    /** The resets sent to the client (the probes for its acknowledgement left out). */
    private List<TcpSegment> resetsToClient() {
        return toClient.stream().map(MigrationEngineReplayTest::readFrame).filter(x -> x.has(TcpHeader.RST)).toList();
    }

    private List<TcpSegment> dataToClient() {
        return toClient.stream().map(MigrationEngineReplayTest::readFrame).filter(s -> s.payload().length > 0).toList();
    }

    @Test
    void theReplicaGetsTheWholeClientStreamAndTheClientOnlyWhatItLacks() throws Exception {
        newEngine("replay", 1 << 20);
        passiveTraffic(true);
        TcpSegment syn = recover();
        assertEquals(ISN, syn.seq(), "the forged SYN at the client's ISN: the replica's stream starts at the client's first byte");
        TcpSegment handOver = read(toReplica.get(2));
        assertEquals(ISN + 1, handOver.seq());
        assertEquals(LOGIN + REQUEST, new String(handOver.payload(), StandardCharsets.US_ASCII),
                "the login the primary acknowledged and the request it did not");
        toReplica.clear();

        for (int at = 0; at < SENT + 500; at += SEGMENT) {
            int length = Math.min(SEGMENT, SENT + 500 - at);
            replicaSends(syn, at, serverBytes(at, length));
        }

        List<TcpSegment> data = dataToClient();
        assertEquals(5, data.size(), "4 segments the client lacked (6,000..10,000) and the new one");
        for (int i = 0; i < data.size(); i++) {
            int at = HELD + i * SEGMENT;
            assertEquals(PRIMARY_ISN + 1 + at, data.get(i).seq(), "in the primary's numbers");
            assertArrayEquals(serverBytes(at, data.get(i).payload().length), data.get(i).payload());
        }
        List<TcpSegment> acks = toReplica.stream().map(MigrationEngineReplayTest::read).toList();
        assertEquals(HELD / SEGMENT, acks.size(), "each dropped segment acknowledged to the replica");
        for (int i = 0; i < acks.size(); i++) {
            assertEquals(TcpHeader.ACK, acks.get(i).flags());
            assertEquals(REPLICA_ISN + 1 + (i + 1) * SEGMENT, acks.get(i).ack());
        }
        MappingSnapshot mapping = engine.mappingSnapshots().get(0);
        assertNotNull(mapping.replay());
        assertEquals(MappingSnapshot.ReplayOutcome.CAUGHT_UP, mapping.replay().outcome());
        assertEquals(SENT, mapping.replay().bytesVerified());
        assertEquals(0, mapping.replay().bytesLeftToRegenerate());
        DeliveryTotals totals = engine.progress().delivery();
        assertEquals(1, totals.replayed());
        assertEquals(1, totals.caughtUp());
        assertEquals(0, totals.diverged());
        assertEquals(SENT, totals.bytesVerified());
        assertEquals(HELD, totals.bytesDropped());
    }

    @Test
    void aReplicaThatDiffersBelowWhatTheClientHoldsResetsTheClientAndForwardsNothing() throws Exception {
        newEngine("replay", 1 << 20);
        passiveTraffic(true);
        TcpSegment syn = recover();
        toReplica.clear();
        for (int at = 0; at < SENT; at += SEGMENT) {
            byte[] bytes = serverBytes(at, SEGMENT);
            if (at == 2000) {
                bytes[17] ^= 1; // a byte in the first 4 KiB chunk: found by its CRC
            }
            replicaSends(syn, at, bytes);
        }
        assertEquals(List.of(), dataToClient(), "not one byte of the replica");
        List<TcpSegment> resets = toClient.stream().map(MigrationEngineReplayTest::readFrame).filter(s -> s.has(TcpHeader.RST)).toList();
        assertEquals(1, resets.size());
        assertEquals(PRIMARY_ISN + 1 + HELD, resets.get(0).seq(), "the client's next expected byte (RFC 5961)");
        assertEquals(SERVICE_PORT, resets.get(0).sourcePort());
        assertTrue(toReplica.stream().map(MigrationEngineReplayTest::read).anyMatch(s -> s.has(TcpHeader.RST)), "the replica's end too");
        assertEquals(1, engine.progress().delivery().diverged());
        assertTrue(engine.summary().contains("1 diverged"), engine.summary());
    }

    @Test
    void aReplicaThatDiffersInWhatTheClientLacksIsStoppedBeforeTheForeignByte() throws Exception {
        newEngine("replay", 1 << 20);
        passiveTraffic(true);
        TcpSegment syn = recover();
        for (int at = 0; at < SENT; at += SEGMENT) {
            byte[] bytes = serverBytes(at, SEGMENT);
            if (at == 7000) {
                bytes[500] ^= 0x40;
            }
            replicaSends(syn, at, bytes);
        }
        List<TcpSegment> data = dataToClient();
        assertEquals(1, data.size(), "only the segment before the difference");
        assertEquals(PRIMARY_ISN + 1 + HELD, data.get(0).seq());
        assertArrayEquals(serverBytes(HELD, SEGMENT), data.get(0).payload(), "what the client got is a prefix of what the primary sent");
        assertEquals(1, toClient.stream().map(MigrationEngineReplayTest::readFrame).filter(s -> s.has(TcpHeader.RST)).count());
        // The client's next segment finds no connection: a reset again, nothing forwarded.
        toReplica.clear();
        byte[] frame = client(ISN + 1 + LOGIN.length() + REQUEST.length(), PRIMARY_ISN + 1 + HELD + SEGMENT).payload("more\n").build();
        engine.fromClient(frame, 0, frame.length);
        assertEquals(List.of(), toReplica);
    }

    @Test
    void whileCatchingUpTheReplicasPureAcksReachTheClientInsideItsWindow() throws Exception {
        newEngine("replay", 1 << 20);
        passiveTraffic(true);
        TcpSegment syn = recover();
        toClient.clear();
        // The replica acknowledges the client's retransmission before it has regenerated anything.
        fromReplica(syn, REPLICA_ISN + 1, ISN + 1 + LOGIN.length() + REQUEST.length(), TcpHeader.ACK, new byte[0]);
        TcpSegment ack = readFrame(toClient.get(0));
        assertEquals(PRIMARY_ISN + 1 + HELD, ack.seq(), "moved up to the client's next expected byte, or the client drops it unread");
        assertEquals(ISN + 1 + LOGIN.length() + REQUEST.length(), ack.ack());
    }

    @Test
    void autoResumesAConnectionWhoseHandshakeWasMissed() throws Exception {
        newEngine("auto", 1 << 20);
        passiveTraffic(false);
        List<KeptConnection> kept = engine.keptConnections();
        assertEquals(1, kept.size());
        assertEquals(ReplayReadiness.RESUMABLE_ONLY, kept.get(0).readiness());
        assertEquals(NotReplayableReason.HANDSHAKE_MISSED, kept.get(0).reason());
        TcpSegment syn = recover();
        assertEquals(ISN + LOGIN.length(), syn.seq(), "resumed: one before the primary's acknowledgement");
        assertNull(engine.mappingSnapshots().get(0).replay());
    }

    @Test
    void replayResetsAtFailoverAConnectionTooLongToKeepAndSaidSoBefore() throws Exception {
        newEngine("replay", 8192);
        passiveTraffic(true);
        DeliveryTotals before = engine.progress().delivery();
        assertEquals(1, before.notMigratable());
        assertEquals(1, before.streamTooLong());
        assertEquals(0, before.keptBytes(), "its chunks were given back");
        assertEquals(NotReplayableReason.STREAM_TOO_LONG, engine.keptConnections().get(0).reason());
        assertEquals(ReplayReadiness.NOT_MIGRATABLE, engine.keptConnections().get(0).readiness());

        engine.startRecovery(List.of(snapshot()), summary -> { });
        assertEquals(List.of(), toReplica, "no forged SYN");
        TcpSegment reset = readFrame(toClient.get(0));
        assertTrue(reset.has(TcpHeader.RST));
        assertEquals(PRIMARY_ISN + 1 + HELD, reset.seq());
        assertEquals(1, engine.progress().delivery().resetAtFailover());
    }

    @Test
    void beforeFailoverTheStatusSaysWhatIsKeptAndWhatAFailoverWouldDo() throws Exception {
        newEngine("replay", 1 << 20);
        passiveTraffic(true);
        DeliveryTotals totals = engine.progress().delivery();
        assertEquals("replay", totals.delivery());
        assertEquals(1, totals.replayable());
        assertTrue(totals.keptBytes() > 0 && totals.keptBytes() <= totals.keptBytesLimit());
        KeptConnection kept = engine.keptConnections().get(0);
        assertEquals(ReplayReadiness.REPLAYABLE, kept.readiness());
        assertEquals(LOGIN.length() + REQUEST.length(), kept.clientBytesKept());
        assertEquals(SENT, kept.serverBytesDigested());
        assertEquals(HELD, kept.serverBytesAcknowledged());
    }

    @Test
    void resumePortsKeepNothingForReplay() throws Exception {
        ReplayKeeper replay = new ReplayKeeper(DeliveryPolicy.parse("replay", Map.of("delivery." + SERVICE_PORT, "resume")),
                new ChunkPool(4096, 1 << 20), 1 << 20, 10);
        PacketParserComponent parser = new PacketParserComponent();
        keeper = new ClientStreamKeeper(RecordFraming.NONE, 1 << 20, 1000, () -> SERVICE, parser.newView(), replay);
        passiveTraffic(true);
        assertEquals(List.of(), keeper.keptForReplay());
        assertEquals(0, replay.pool().bytesInUse());
    }

    /**
     * Resumed in the middle of a response (the primary had sent 4,000 bytes the client had not
     * acknowledged): the replica never got the request and will never send them. Within half a
     * second of its handshake (so within a second of PROXY) the client is reset, not left hanging.
     */
    @Test
    void resumedInTheMiddleOfAResponseTheClientIsResetWithinASecond() throws Exception {
        newEngine("resume", 1 << 20);
        passiveTraffic(true);
        TcpSegment syn = recover();
        assertEquals(ISN + LOGIN.length(), syn.seq(), "resumed");
        toClient.clear();
        toReplica.clear();
        now += TimeUnit.MILLISECONDS.toNanos(499);
        engine.pace();
        assertEquals(List.of(), resetsToClient(), "the client's acknowledgement may still be on its way");
        now += TimeUnit.MILLISECONDS.toNanos(2);
        engine.pace();
        assertEquals(1, resetsToClient().size());
        TcpSegment reset = resetsToClient().get(0);
        assertTrue(reset.has(TcpHeader.RST));
        assertEquals(PRIMARY_ISN + 1 + HELD, reset.seq(), "the client's next expected byte");
        assertTrue(toReplica.stream().map(MigrationEngineReplayTest::read).anyMatch(s -> s.has(TcpHeader.RST)), "the replica's end too");
        assertEquals(1, engine.progress().delivery().midResponseResets());
        assertTrue(engine.summary().contains("1 resumed in the middle of a response (reset)"), engine.summary());
    }

    /** The client's acknowledgement shows it held the whole response after all: resumed as it should be, no reset. */
    @Test
    void resumedAfterTheWholeResponseArrivedTheConnectionCarriesOn() throws Exception {
        newEngine("resume", 1 << 20);
        passiveTraffic(true);
        recover();
        byte[] ack = client(ISN + 1 + LOGIN.length() + REQUEST.length(), PRIMARY_ISN + 1 + SENT).build();
        engine.fromClient(ack, 0, ack.length);
        toClient.clear();
        now += TimeUnit.SECONDS.toNanos(2);
        engine.pace();
        assertEquals(List.of(), toClient);
        assertEquals(0, engine.progress().delivery().midResponseResets());
        assertEquals(MappingSnapshot.State.ESTABLISHED, engine.mappingSnapshots().get(0).state());
    }

    /**
     * The client's window was closed at the failover (a download read slower than it arrives):
     * MigWare's own segments still offer the replica an open window while it catches up, since
     * MigWare takes the bytes the client already holds itself. With the client's zero window the
     * replica never sent a byte (found in the lab: nginx downloads hung after the failover).
     */
    @Test
    void aReplayedConnectionWhoseClientsWindowWasClosedStillLetsTheReplicaSend() throws Exception {
        newEngine("replay", 1 << 20);
        passiveTraffic(true);
        TcpSegment syn = recover(snapshot(0));
        List<TcpSegment> afterSyn = toReplica.stream().skip(1).map(MigrationEngineReplayTest::read).toList();
        assertFalse(afterSyn.isEmpty(), "the handshake's ACK and the hand-over");
        for (TcpSegment s : afterSyn) {
            assertEquals(0xffff, s.window(), () -> "an open window while the replica catches up: " + s);
        }
        replicaSends(syn, 0, serverBytes(0, SEGMENT));
        TcpSegment ack = read(toReplica.get(toReplica.size() - 1));
        assertEquals(0xffff, ack.window(), "MigWare's acknowledgement of bytes the client holds");
    }

    /**
     * A download to a client reading slower than the server writes: the primary's unacknowledged
     * bytes filled the client's window, so it had more to send. The client later acknowledging all
     * of them does not show the response complete: it is reset all the same, without the grace that
     * waits for such an acknowledgement (found in the lab with nginx and rate-limited curls, which
     * hung forever).
     */
    @Test
    void resumedWhileTheClientsWindowHeldThePrimaryBackTheClientIsResetEvenAfterAcknowledgingAll() throws Exception {
        newEngine("resume", 1 << 20);
        passiveTraffic(true);
        recover(snapshot(SENT - HELD));
        byte[] ack = client(ISN + 1 + LOGIN.length() + REQUEST.length(), PRIMARY_ISN + 1 + SENT).build();
        engine.fromClient(ack, 0, ack.length);
        toClient.clear();
        engine.pace();
        assertEquals(1, toClient.size(), "reset at once: no acknowledgement can show the response whole");
        assertTrue(readFrame(toClient.get(0)).has(TcpHeader.RST));
        assertEquals(1, engine.progress().delivery().midResponseResets());
    }

    /**
     * The client acknowledged everything the primary sent, then the primary sent another
     * {@code more} bytes against the client's window of {@code window} bytes, and the client
     * acknowledged those too and opened its window again: the snapshot at the failover.
     */
    private ConnectionSnapshot afterAnotherBurst(int more, int window) throws Exception {
        int request = ISN + 1 + LOGIN.length() + REQUEST.length();
        capture(client(request, PRIMARY_ISN + 1 + SENT).window(window));
        for (int at = 0; at < more; at += SEGMENT) {
            capture(primary(PRIMARY_ISN + 1 + SENT + at, request).payload(serverBytes(SENT + at, Math.min(SEGMENT, more - at))));
        }
        int end = PRIMARY_ISN + 1 + SENT + more;
        capture(client(request, end).window(window));
        return new ConnectionSnapshot(
                new Endpoint(InetAddress.getByName("10.77.0.1"), CLIENT_PORT, "02:00:00:00:00:01"),
                new Endpoint(InetAddress.getByName("10.77.0.2"), SERVICE_PORT, "02:00:00:00:00:02"),
                new DirectionState(ISN, 1460, -1, false, false, end, request, DirectionState.UNKNOWN, window, 18, 5, 0, 0, 0),
                new DirectionState(PRIMARY_ISN, 1460, -1, false, false, request, end, DirectionState.UNKNOWN, 509, SENT + more, 14, 0, 0, 0),
                TcpState.ESTABLISHED, true, Instant.EPOCH, Instant.EPOCH);
    }

    /**
     * A rate-limited download caught just after its client read and opened its window: everything
     * the primary sent is acknowledged and the window is open, which on the wire looks like a
     * finished response. But the primary's last burst had filled the window, so it was only waiting:
     * resumed, the client is reset at once instead of waiting forever (found in the lab: some
     * nginx downloads to rate-limited curls hung with {@code resume}).
     */
    @Test
    void resumedRightAfterTheClientOpenedTheWindowThatHeldThePrimaryBackTheClientIsResetAtOnce() throws Exception {
        newEngine("resume", 1 << 20);
        passiveTraffic(true);
        recover(afterAnotherBurst(3000, 3000));
        toClient.clear();
        engine.pace();
        assertEquals(1, toClient.size(), "reset at once: the primary had more to send");
        TcpSegment reset = readFrame(toClient.get(0));
        assertTrue(reset.has(TcpHeader.RST));
        assertEquals(PRIMARY_ISN + 1 + SENT + 3000, reset.seq(), "the client's next expected byte");
        assertEquals(1, engine.progress().delivery().midResponseResets());
    }

    /** The same, but the primary's last burst ended well inside the window: a finished response, resumed and kept. */
    @Test
    void resumedAfterAResponseThatEndedInsideTheWindowTheConnectionCarriesOn() throws Exception {
        newEngine("resume", 1 << 20);
        passiveTraffic(true);
        recover(afterAnotherBurst(1000, 10_000));
        toClient.clear();
        now += TimeUnit.SECONDS.toNanos(2);
        engine.pace();
        assertEquals(List.of(), resetsToClient());
        assertEquals(0, engine.progress().delivery().midResponseResets());
        assertEquals(MappingSnapshot.State.ESTABLISHED, engine.mappingSnapshots().get(0).state());
    }

    /**
     * A failover with no connection to carry (issue 10): new clients must still find the service
     * once their neighbour cache forgets it, so MigWare answers ARP for the service's address with
     * the MAC the primary was seen sending from, though no mapping names it.
     */
    @Test
    void withNothingToCarryArpIsStillAnsweredForTheServiceWithThePrimarysMac() {
        newEngine("resume", 1 << 20);
        // All the capture ever saw of the primary, in NORMAL: its ARP reply to MigWare's host (the
        // ICMP monitor's neighbour resolution); no connection ever
        byte[] primarysArpReply = java.util.HexFormat.of().parseHex("020000000003020000000002080600010800060400020200000000020a4d0002"
                + "0200000000030a4d0003");
        keeper.observe(primarysArpReply, 0, primarysArpReply.length);
        engine.startRecovery(List.of(), summary -> { });
        toClient.clear();
        byte[] request = java.util.HexFormat.of().parseHex("ffffffffffff020000000001080600010800060400010200000000010a4d0001"
                + "0000000000000a4d0002");
        engine.fromClient(request, 0, request.length);
        assertEquals(1, toClient.size(), "one ARP reply");
        byte[] reply = toClient.get(0);
        assertEquals("020000000001" + "020000000002" + "0806", java.util.HexFormat.of().formatHex(reply, 0, 14), "to the asker, from the primary's MAC");
        assertEquals("0002" + "020000000002" + "0a4d0002", java.util.HexFormat.of().formatHex(reply, 20, 32), "is-at: 10.77.0.2 is the primary's MAC");

        toClient.clear();
        byte[] other = request.clone();
        other[41] = 9; // 10.77.0.9: not the service's
        engine.fromClient(other, 0, other.length);
        assertEquals(List.of(), toClient, "somebody else's address is left to somebody else");
    }

    /**
     * A replica that starts listening 2 s after the failover refuses the first forged SYNs with a
     * reset (issue 10): the retries back off (200, 400, 800, 1,600 ms, as a TCP stack's SYN
     * retransmissions double), so the connection is recovered once it listens instead of failing
     * within a millisecond.
     */
    @Test
    void forgedSynsRefusedByAReplicaNotYetListeningBackOffUntilItListens() throws Exception {
        newEngine("resume", 1 << 20, 6);
        passiveTraffic(true);
        engine.startRecovery(List.of(snapshot()), summary -> { });
        long start = now;
        List<Long> sentAt = new ArrayList<>();
        while (now - start < TimeUnit.SECONDS.toNanos(2)) {
            List<TcpSegment> syns = toReplica.stream().map(MigrationEngineReplayTest::read).filter(x -> x.has(TcpHeader.SYN)).toList();
            toReplica.clear();
            for (TcpSegment syn : syns) {
                sentAt.add(TimeUnit.NANOSECONDS.toMillis(now - start));
                fromReplica(syn, 0, syn.seq() + 1, TcpHeader.RST | TcpHeader.ACK, new byte[0]); // nothing listens yet
            }
            now += TimeUnit.MILLISECONDS.toNanos(10);
            engine.pace();
        }
        assertEquals(List.of(0L, 200L, 600L, 1400L), sentAt, "each wait doubles, refused or not");
        assertEquals(0, engine.progress().failed(), "still trying after 2 s");
        // it listens now: the next SYN is answered
        while (toReplica.isEmpty()) {
            now += TimeUnit.MILLISECONDS.toNanos(10);
            engine.pace();
        }
        TcpSegment syn = read(toReplica.get(0));
        assertTrue(syn.has(TcpHeader.SYN));
        assertEquals(3000, TimeUnit.NANOSECONDS.toMillis(now - start), "the fifth SYN, 1,600 ms after the fourth");
        fromReplica(syn, REPLICA_ISN, syn.seq() + 1, TcpHeader.SYN | TcpHeader.ACK, new byte[0]);
        assertEquals(1, engine.progress().recovered());
        assertEquals(MappingSnapshot.State.ESTABLISHED, engine.mappingSnapshots().get(0).state());
    }

    /**
     * The client's last acknowledgements were lost on the mirror (issue 10, point 1): the capture
     * saw it acknowledge 6,000 of the primary's 10,000 bytes, but it held all of them. Its first
     * segment in PROXY, its next request, says so; the replica's answer must then start at the
     * client's true next byte, not 4,000 bytes before it (which the client would discard as old,
     * losing the answer's first 4,000 bytes).
     */
    @Test
    void aClientAcknowledgementTheCaptureMissedIsCorrectedByTheClientsFirstSegment() throws Exception {
        newEngine("resume", 1 << 20);
        passiveTraffic(true);
        TcpSegment syn = recover();
        int request = ISN + 1 + LOGIN.length() + REQUEST.length();
        byte[] next = client(request, PRIMARY_ISN + 1 + SENT).payload("GET y\n").build();
        engine.fromClient(next, 0, next.length);
        toClient.clear();
        fromReplica(syn, REPLICA_ISN + 1, request + 6, TcpHeader.ACK, "answer y\n".getBytes(StandardCharsets.US_ASCII));
        List<TcpSegment> data = dataToClient();
        assertEquals(1, data.size());
        assertEquals(PRIMARY_ISN + 1 + SENT, data.get(0).seq(), "the answer starts at the client's true next byte");
        assertEquals(0, engine.progress().delivery().midResponseResets(), "the client holds the whole response: kept");
    }

    /**
     * The same, with the client's answer to the probe missed too and its next request coming after
     * the first wait (found on the lab, FinalAckLossLabTest: 11 of 20 connections hung when the wait
     * was one probe of 300 ms). The client is asked again, so the request still finds the wait open
     * and corrects the offset: its acknowledgement reaches the replica as one of what the replica
     * sent, not beyond it (which the replica's kernel would drop, with the request), the answer
     * starts at the true next byte, and the connection is not taken for one cut in mid-response.
     */
    @Test
    void aClientAcknowledgementMissedTwiceIsCorrectedByTheClientsNextRequest() throws Exception {
        newEngine("resume", 1 << 20);
        passiveTraffic(true);
        TcpSegment syn = recover();
        toClient.clear();
        now += TimeUnit.MILLISECONDS.toNanos(301);
        engine.pace();
        assertEquals(1, toClient.size(), "asked again");
        now += TimeUnit.MILLISECONDS.toNanos(150);
        int request = ISN + 1 + LOGIN.length() + REQUEST.length();
        toReplica.clear();
        byte[] next = client(request, PRIMARY_ISN + 1 + SENT).payload("GET y\n").build();
        engine.fromClient(next, 0, next.length);
        TcpSegment forwarded = read(toReplica.get(toReplica.size() - 1));
        assertEquals(REPLICA_ISN + 1, forwarded.ack(), "the request acknowledges what the replica sent: its kernel takes it");
        toClient.clear();
        fromReplica(syn, REPLICA_ISN + 1, request + 6, TcpHeader.ACK, "answer y\n".getBytes(StandardCharsets.US_ASCII));
        List<TcpSegment> data = dataToClient();
        assertEquals(1, data.size());
        assertEquals(PRIMARY_ISN + 1 + SENT, data.get(0).seq(), "the answer starts at the client's true next byte");
        now += TimeUnit.SECONDS.toNanos(2);
        engine.pace();
        assertEquals(0, engine.progress().delivery().midResponseResets(), "the client holds the whole response: kept");
    }

    /**
     * Issue 14 (the failover timed from the wire): the client's request, sent just after the pull,
     * reaches the replica right after the handshake (handed over, or flushed with the frames that
     * waited for it); the replica acknowledges it and answers at once, before the client's answer
     * to the probe has come back through the capture. That first answer was dropped (the wait for
     * the client's acknowledgement) and reached the client only with the replica's retransmission,
     * 200 ms or more later (seen on the lab: the replica's next ACK carried a sequence number beyond
     * the last answer byte the client held). The capture saw the client acknowledge everything the
     * primary sent, so no acknowledgement of the client's could move the offset: the answer goes at
     * once, and the client is not asked again.
     */
    @Test
    void theReplicasFirstAnswerGoesAtOnceWhenTheClientHadAcknowledgedAllThePrimarySent() throws Exception {
        newEngine("resume", 1 << 20);
        passiveTraffic(true);
        TcpSegment syn = recover(afterAnotherBurst(1000, 10_000));
        int request = ISN + 1 + LOGIN.length() + REQUEST.length();
        toClient.clear();
        byte[] answer = "answer x\n".getBytes(StandardCharsets.US_ASCII);
        fromReplica(syn, REPLICA_ISN + 1, request, TcpHeader.ACK, answer);
        List<TcpSegment> data = dataToClient();
        assertEquals(1, data.size(), "the answer goes as the replica sent it, not with its retransmission");
        assertEquals(PRIMARY_ISN + 1 + SENT + 1000, data.get(0).seq(), "at the client's next expected byte");
        assertArrayEquals(answer, data.get(0).payload());
        assertEquals(Map.of(), engine.progress().traffic().droppedByReason(), "nothing dropped");
        byte[] acknowledged = client(request, PRIMARY_ISN + 1 + SENT + 1000 + answer.length).build();
        engine.fromClient(acknowledged, 0, acknowledged.length);
        toClient.clear();
        now += TimeUnit.MILLISECONDS.toNanos(301);
        engine.pace();
        assertEquals(List.of(), toClient, "not asked again: the offset stands");
        fromReplica(syn, REPLICA_ISN + 1 + answer.length, request, TcpHeader.ACK, "more\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals(PRIMARY_ISN + 1 + SENT + 1000 + answer.length, dataToClient().get(0).seq(), "the offset stood as seen");
        assertEquals(0, engine.progress().delivery().midResponseResets());
    }

    /**
     * The capture missed the client's last acknowledgements (it saw the primary send more than the
     * client acknowledge): where the replica's bytes land waits for the client's own acknowledgement.
     * The replica's answer, which comes first, is held — no longer dropped, to come again only with
     * the replica's retransmission — and goes, with the FIN after it, where the client's
     * acknowledgement puts it (its true next byte), not where the capture's would.
     */
    @Test
    void aHeldAnswerGoesWhereTheClientsAcknowledgementCorrectsItToBe() throws Exception {
        newEngine("resume", 1 << 20);
        passiveTraffic(true);
        TcpSegment syn = recover();
        toClient.clear();
        int request = ISN + 1 + LOGIN.length() + REQUEST.length();
        byte[] answer = "answer x\n".getBytes(StandardCharsets.US_ASCII);
        fromReplica(syn, REPLICA_ISN + 1, request, TcpHeader.ACK, answer);
        byte[] fin = TcpFrame.fromServer(syn.sourcePort()).from(REPLICA, SERVICE_PORT).to(syn.source(), syn.sourcePort())
                .seq(REPLICA_ISN + 1 + answer.length).ack(request).flags(TcpHeader.ACK | TcpHeader.FIN).window(64_000).buildIpv4();
        engine.fromReplica(fin, 0, fin.length);
        assertEquals(List.of(), dataToClient());
        byte[] probeAnswer = client(request, PRIMARY_ISN + 1 + SENT).build();
        engine.fromClient(probeAnswer, 0, probeAnswer.length);
        List<TcpSegment> sent = toClient.stream().map(MigrationEngineReplayTest::readFrame)
                .filter(x -> x.payload().length > 0 || x.has(TcpHeader.FIN)).toList();
        assertEquals(2, sent.size(), "the answer, then the FIN, in order");
        assertEquals(PRIMARY_ISN + 1 + SENT, sent.get(0).seq(), "the client's true next byte, not the one the capture saw");
        assertArrayEquals(answer, sent.get(0).payload());
        assertTrue(sent.get(1).has(TcpHeader.FIN));
        assertEquals(PRIMARY_ISN + 1 + SENT + answer.length, sent.get(1).seq());
        assertTrue(engine.summary().contains("2 replica segments held for their client's acknowledgement"), engine.summary());
    }

    /** What is held for one connection is bounded; beyond it the replica's segments are dropped, counted, and come again. */
    @Test
    void whatIsHeldForTheClientsAcknowledgementIsBounded() throws Exception {
        newEngine("resume", 1 << 20);
        passiveTraffic(true);
        TcpSegment syn = recover();
        toClient.clear();
        int request = ISN + 1 + LOGIN.length() + REQUEST.length();
        int segments = 70;
        for (int i = 0; i < segments; i++) {
            fromReplica(syn, REPLICA_ISN + 1 + 10 * i, request, TcpHeader.ACK, "0123456789".getBytes(StandardCharsets.US_ASCII));
        }
        assertEquals(List.of(), dataToClient());
        assertEquals(Map.of("awaiting_client_ack", (long) segments - 64), engine.progress().traffic().droppedByReason());
        byte[] probeAnswer = client(request, PRIMARY_ISN + 1 + SENT).build();
        engine.fromClient(probeAnswer, 0, probeAnswer.length);
        List<TcpSegment> data = dataToClient();
        assertEquals(64, data.size(), "the held ones go, in order");
        for (int i = 0; i < data.size(); i++) {
            assertEquals(PRIMARY_ISN + 1 + SENT + 10 * i, data.get(i).seq());
        }
    }

    /**
     * A connection ended while its replica data is held sends none of it: here the client never
     * answers, and its cut response gets it reset (a correctable offset is always a response the
     * capture saw unacknowledged).
     */
    @Test
    void aConnectionEndedWhileItsDataIsHeldSendsNoneOfIt() throws Exception {
        newEngine("resume", 1 << 20);
        passiveTraffic(true);
        TcpSegment syn = recover();
        int request = ISN + 1 + LOGIN.length() + REQUEST.length();
        fromReplica(syn, REPLICA_ISN + 1, request, TcpHeader.ACK, "answer\n".getBytes(StandardCharsets.US_ASCII));
        toClient.clear();
        for (int tick = 0; tick < 8; tick++) {
            now += TimeUnit.MILLISECONDS.toNanos(301);
            engine.pace();
        }
        assertEquals(1, engine.progress().delivery().midResponseResets(), "reset: its response stayed cut short");
        assertEquals(List.of(), dataToClient(), "nothing held goes to a client that was reset");
    }

    /** A new engine with delivery replay, the connection recovered up to the replica's SYN-ACK; nothing written kept. */
    private TcpSegment freshReplayRecovered() throws Exception {
        toReplica.clear();
        toClient.clear();
        newEngine("replay", 1 << 20);
        passiveTraffic(true);
        TcpSegment syn = recover();
        toReplica.clear();
        toClient.clear();
        return syn;
    }

    /**
     * The replica's sending side, as Linux behaves: it knows its whole output, sends what is new in
     * segments, takes an acknowledgement only up to what it has sent ({@code SND.NXT}; a later one
     * is ignored), never sends again what was acknowledged, and on a timeout sends everything
     * unacknowledged again (go-back-N from {@code SND.UNA}).
     */
    private final class ModelReplica {
        final byte[] output;
        int sndUna;
        int sndNxt;
        /** The highest acknowledgement that reached it, as a stream offset. */
        int highestAck;

        ModelReplica(byte[] output) {
            this.output = output;
        }

        /** Reads what MigWare wrote into the TUN: the acknowledgements the replica's stack takes. */
        void takeAcks() {
            for (byte[] packet : toReplica) {
                TcpSegment s = read(packet);
                if (s.destination() == REPLICA && s.has(TcpHeader.ACK) && !s.has(TcpHeader.RST)) {
                    int offset = s.ack() - (REPLICA_ISN + 1);
                    if (offset > sndUna && offset <= sndNxt) {
                        sndUna = offset;
                    }
                    highestAck = Math.max(highestAck, offset);
                }
            }
            toReplica.clear();
        }
    }

    /** The client's receiving side: holds the server's stream in order, from what the primary gave it on. */
    private final class ModelClient {
        int next = HELD;

        /** Reads what MigWare sent on the wire: every data byte must be the primary's (or, beyond it, the replica's) at its offset. */
        void takeData(byte[] expected) {
            for (byte[] frame : toClient) {
                TcpSegment s = readFrame(frame);
                assertFalse(s.has(TcpHeader.RST), "no reset: the replica is the primary's twin here");
                int at = s.seq() - (PRIMARY_ISN + 1);
                int length = s.payload().length;
                if (length == 0) {
                    continue;
                }
                assertArrayEquals(Arrays.copyOfRange(expected, at, at + length), s.payload(), "the bytes at " + at);
                if (at <= next && at + length > next) {
                    next = at + length;
                }
            }
            toClient.clear();
        }

        /** A segment of the client: its request again (its retransmission timer) or a pure ACK, acknowledging what it holds. */
        void send(boolean request) {
            TcpFrame f = request ? client(ISN + 1 + LOGIN.length(), PRIMARY_ISN + 1 + next).payload(REQUEST)
                    : client(ISN + 1 + LOGIN.length() + REQUEST.length(), PRIMARY_ISN + 1 + next);
            byte[] frame = f.build();
            engine.fromClient(frame, 0, frame.length);
        }
    }

    /**
     * The redis-benchmark hang (issue 10): the replica answers in many small segments, some lost
     * between its stack and MigWare (the TUN's queue), while the client — waiting for its answer —
     * retransmits its request and acknowledges what it holds, in the primary's numbers. Translated
     * to the replica, that acknowledgement must not cover replica bytes the check has not seen: the
     * replica would never send them again, and the check would wait for them forever, dropping each
     * later segment as a hole. With a replica that behaves as TCP does (go-back-N from what was
     * acknowledged to it), every round ends with the client holding the whole answer, in order, the
     * primary's bytes up to where the primary stopped. The replica's segments are also reordered and
     * duplicated on the way, and the client's segments come at random points in between.
     */
    @Test
    void theClientsAcknowledgementsNeverMakeTheReplicaSkipBytesTheCheckHasNotSeen() throws Exception {
        java.util.Random random = new java.util.Random(20261207);
        int answer = 5; // "+OK\r\n": the request's answer the primary never sent
        byte[] expected = serverBytes(0, SENT + answer);
        int rounds = 60;
        int lossy = 0;
        for (int round = 0; round < rounds; round++) {
            TcpSegment syn = freshReplayRecovered();
            ModelReplica replica = new ModelReplica(expected);
            ModelClient client = new ModelClient();
            int maxSegment = 1 + random.nextInt(random.nextBoolean() ? 40 : 1400);
            boolean lost = false;
            List<int[]> late = new ArrayList<>();
            for (int timeout = 0; timeout < 400 && client.next < expected.length; timeout++) {
                // Go-back-N from SND.UNA after a timeout (from SND.NXT = 0 at first).
                int at = replica.sndUna;
                while (at < expected.length) {
                    int length = Math.min(expected.length - at, 1 + random.nextInt(maxSegment));
                    replica.sndNxt = Math.max(replica.sndNxt, at + length);
                    int chance = random.nextInt(timeout == 0 ? 10 : 50);
                    if (chance == 0) {
                        lost = true; // the TUN's queue was full: the replica's stack believes it sent
                    } else if (chance == 1) {
                        late.add(new int[] {at, length}); // overtaken by the next ones
                    } else {
                        replicaSends(syn, at, Arrays.copyOfRange(expected, at, at + length));
                        if (chance == 2) {
                            replicaSends(syn, at, Arrays.copyOfRange(expected, at, at + length)); // twice
                        }
                    }
                    if (!late.isEmpty() && random.nextInt(3) == 0) {
                        int[] segment = late.remove(random.nextInt(late.size()));
                        replicaSends(syn, segment[0], Arrays.copyOfRange(expected, segment[0], segment[0] + segment[1]));
                    }
                    at += length;
                    replica.takeAcks();
                    client.takeData(expected);
                    if (random.nextInt(4) == 0) {
                        client.send(random.nextBoolean());
                        replica.takeAcks();
                        client.takeData(expected);
                    }
                }
                client.send(true);
                replica.takeAcks();
                client.takeData(expected);
            }
            lossy += lost ? 1 : 0;
            final int r = round;
            assertEquals(expected.length, client.next, () -> "round " + r + ": the client holds the whole answer; the replica was"
                    + " acknowledged up to " + replica.highestAck + " and is at " + replica.sndUna + " of " + expected.length
                    + " (segments up to " + maxSegment + " bytes; MigWare: " + engine.mappingSnapshots() + ")");
        }
        assertTrue(lossy > rounds / 2, "most rounds lost a replica segment: " + lossy);
    }

    /**
     * Fuzz, replay mode: while the replica catches up, random and mutated segments from either side,
     * the client's acknowledging anything from below what it held to what has reached it (its
     * request again, or pure ACKs). Nothing throws, everything written is a well-formed packet, no
     * byte reaches the client that is not the primary's at its offset, and while the primary's bytes
     * are still being checked no acknowledgement reaches the replica beyond the replica bytes that
     * reached MigWare without a gap (the union of every segment fed, mutated ones counted at their
     * original place: whatever MigWare made of them, it cannot have checked more).
     */
    @Test
    void randomAndMutatedFramesDuringCatchUpNeverDeliverAForeignByte() throws Exception {
        java.util.Random random = new java.util.Random(20261206);
        long forwarded = 0;
        int diverged = 0;
        for (int round = 0; round < 100; round++) {
            TcpSegment syn = freshReplayRecovered();
            long fedEnd = 0; // replica bytes fed without a gap, from offset 0
            java.util.TreeMap<Long, Long> fed = new java.util.TreeMap<>();
            int reached = HELD; // the end of what reached the client, or what it held
            for (int i = 0; i < 500; i++) {
                int at = random.nextInt(SENT / 100 + 5) * 100;
                int length = 1 + random.nextInt(1400);
                byte[] bytes = serverBytes(at, length);
                if (random.nextInt(400) == 0) {
                    bytes[random.nextInt(length)] ^= (byte) (1 << random.nextInt(8));
                }
                byte[] packet = TcpFrame.fromServer(syn.sourcePort()).from(REPLICA, SERVICE_PORT).to(syn.source(), syn.sourcePort())
                        .seq(REPLICA_ISN + 1 + at).ack(ISN + 19).flags(TcpHeader.ACK).window(64_000).payload(bytes).buildIpv4();
                if (random.nextInt(20) == 0) {
                    packet[random.nextInt(packet.length)] ^= (byte) (1 << random.nextInt(8));
                }
                int fedLength = random.nextInt(16) == 0 ? random.nextInt(packet.length + 1) : packet.length;
                engine.fromReplica(packet, 0, fedLength);
                // What was fed: at its place, and where a mutated sequence number put it.
                fed.merge((long) at, (long) at + length, Math::max);
                try {
                    TcpSegment mutated = TcpSegment.parse(packet, fedLength);
                    long from = mutated == null ? -1 : mutated.seq() - (REPLICA_ISN + 1);
                    if (from >= 0) {
                        fed.merge(from, from + mutated.payload().length, Math::max);
                    }
                } catch (RuntimeException e) {
                    // not a packet the test's parser reads: its original place is counted
                }
                for (var range = fed.firstEntry(); range != null && range.getKey() <= fedEnd; range = fed.higherEntry(range.getKey())) {
                    fedEnd = Math.max(fedEnd, range.getValue());
                }
                boolean clientFrameDamaged = false;
                if (random.nextInt(4) == 0) {
                    int ack = reached - random.nextInt(random.nextBoolean() ? 50 : 4000);
                    TcpFrame segment = random.nextBoolean()
                            ? client(ISN + 1 + LOGIN.length() + REQUEST.length(), PRIMARY_ISN + 1 + ack).payload("x\n")
                            : client(ISN + 1 + LOGIN.length(), PRIMARY_ISN + 1 + ack).payload(REQUEST);
                    byte[] frame = segment.build();
                    if (random.nextBoolean()) {
                        frame[random.nextInt(frame.length)] ^= (byte) (1 << random.nextInt(8));
                        clientFrameDamaged = true;
                    }
                    engine.fromClient(frame, 0, frame.length);
                }
                for (byte[] packetToReplica : toReplica) {
                    // a damaged client frame's wrong checksum is carried to the replica, not made right
                    TcpSegment segment = clientFrameDamaged ? MigrationEngineTest.readUnchecked(packetToReplica) : read(packetToReplica);
                    assertEquals(REPLICA, segment.destination());
                    if (fedEnd < SENT && segment.has(TcpHeader.ACK)) {
                        long acknowledged = segment.ack() - (REPLICA_ISN + 1);
                        assertTrue(acknowledged <= fedEnd, "round " + round + ", input " + i + ": the replica told it holds "
                                + acknowledged + " of its bytes, of which only " + fedEnd + " reached MigWare without a gap");
                    }
                }
                for (byte[] frame : toClient) {
                    TcpSegment segment = readFrame(frame);
                    if (segment.payload().length > 0) {
                        int offset = segment.seq() - (PRIMARY_ISN + 1);
                        int end = Math.min(SENT, offset + segment.payload().length);
                        assertTrue(offset >= 0, "at a server offset");
                        if (offset < end) {
                            assertArrayEquals(serverBytes(offset, end - offset), Arrays.copyOf(segment.payload(), end - offset),
                                    "round " + round + ", input " + i + ": the primary's bytes, where the primary sent any");
                        }
                        forwarded += segment.payload().length;
                        if (offset <= reached) {
                            reached = Math.max(reached, offset + segment.payload().length);
                        }
                    }
                }
                toReplica.clear();
                toClient.clear();
            }
            diverged += engine.progress().delivery().diverged();
        }
        assertTrue(forwarded > 100_000, "the replica's bytes went on: " + forwarded);
        assertTrue(diverged > 0 && diverged < 100, "some rounds diverged, not all: " + diverged);
    }

    /**
     * Fuzz, keeping: mutated and cut copies of a real connection's frames, from many clients, fed to
     * the keeper in a random order. Nothing throws, the total bound holds, and a connection that
     * saw bytes out of order or cut is never reported replayable with a hole.
     */
    @Test
    void mutatedFramesWhileKeepingNeverThrowAndTheBoundHolds() throws Exception {
        ReplayKeeper replay = new ReplayKeeper(DeliveryPolicy.parse("auto", Map.of()), new ChunkPool(4096, 40 * 4096), 16 * 4096, 100);
        PacketParserComponent parser = new PacketParserComponent();
        keeper = new ClientStreamKeeper(RecordFraming.NEWLINE, 1 << 20, 1000, () -> SERVICE, parser.newView(), replay);
        java.util.Random random = new java.util.Random(42);
        List<byte[]> frames = new ArrayList<>();
        for (int port = 41000; port < 41030; port++) {
            frames.add(TcpFrame.fromClient(port).seq(ISN).flags(TcpHeader.SYN).synOptions(1460, -1, false).build());
            frames.add(TcpFrame.fromServer(port).seq(PRIMARY_ISN).ack(ISN + 1).flags(TcpHeader.SYN | TcpHeader.ACK).build());
            for (int at = 0; at < 8000; at += 1000) {
                frames.add(TcpFrame.fromClient(port).seq(ISN + 1 + at).ack(PRIMARY_ISN + 1 + at).payload(1000).build());
                frames.add(TcpFrame.fromServer(port).seq(PRIMARY_ISN + 1 + at).ack(ISN + 1 + at + 1000).payload(serverBytes(at, 1000)).build());
            }
        }
        for (int i = 0; i < 100_000; i++) {
            byte[] frame = frames.get(random.nextInt(frames.size())).clone();
            if (random.nextBoolean()) {
                frame[random.nextInt(frame.length)] ^= (byte) (1 << random.nextInt(8));
            }
            keeper.observe(frame, 0, random.nextInt(8) == 0 ? random.nextInt(frame.length + 1) : frame.length);
            assertTrue(replay.pool().bytesInUse() <= replay.pool().bytesLimit());
        }
        for (ReplayKeeper.Kept kept : keeper.keptForReplay()) {
            assertTrue(kept.reason() != null || kept.clientBytes() <= 8000, "kept within the stream");
        }
    }

    /** Checking the replica's output and dropping or forwarding it allocates nothing per packet either. */
    @Test
    void checkingTheReplicaAllocatesNothingPerPacket() throws Exception {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(threads instanceof com.sun.management.ThreadMXBean, "no per-thread allocation counter");
        com.sun.management.ThreadMXBean counter = (com.sun.management.ThreadMXBean) threads;
        org.junit.jupiter.api.Assumptions.assumeTrue(counter.isThreadAllocatedMemorySupported() && counter.isThreadAllocatedMemoryEnabled());
        newEngine("replay", 1 << 20);
        passiveTraffic(true);
        TcpSegment syn = recover();
        byte[][] packets = new byte[SENT / SEGMENT][];
        for (int i = 0; i < packets.length; i++) {
            packets[i] = TcpFrame.fromServer(syn.sourcePort()).from(REPLICA, SERVICE_PORT).to(syn.source(), syn.sourcePort())
                    .seq(REPLICA_ISN + 1 + i * SEGMENT).ack(ISN + 19).flags(TcpHeader.ACK).window(64_000)
                    .payload(serverBytes(i * SEGMENT, SEGMENT)).buildIpv4();
        }
        for (byte[] packet : packets) {
            engine.fromReplica(packet, 0, packet.length); // the catch-up itself: dropped, then forwarded
        }
        counting = true;
        // From here on the replica retransmits: the part the client may lack is checked again each time.
        for (int round = 0; round < 2_000; round++) {
            byte[] packet = packets[round % packets.length];
            engine.fromReplica(packet, 0, packet.length);
        }
        long threadId = Thread.currentThread().getId();
        long before = counter.getThreadAllocatedBytes(threadId);
        for (int round = 0; round < 100_000; round++) {
            byte[] packet = packets[round % packets.length];
            engine.fromReplica(packet, 0, packet.length);
        }
        long allocated = counter.getThreadAllocatedBytes(threadId) - before;
        assertTrue(written[0] > 0 && written[1] > 0, "acknowledged to the replica and sent on to the client");
        assertTrue(allocated < 16 * 1024, () -> allocated + " bytes allocated for 100,000 packets");
    }

    /** Keeping a replayed connection's streams allocates nothing per packet once its chunks are assigned. */
    @Test
    void keepingAllocatesNothingPerPacket() throws Exception {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(threads instanceof com.sun.management.ThreadMXBean, "no per-thread allocation counter");
        com.sun.management.ThreadMXBean counter = (com.sun.management.ThreadMXBean) threads;
        org.junit.jupiter.api.Assumptions.assumeTrue(counter.isThreadAllocatedMemorySupported() && counter.isThreadAllocatedMemoryEnabled());
        // Chunks big enough for the whole run: the measured part assigns no new one.
        ReplayKeeper replay = new ReplayKeeper(DeliveryPolicy.parse("replay", Map.of()), new ChunkPool(1 << 20, 64 << 20), 32 << 20, 10);
        PacketParserComponent parser = new PacketParserComponent();
        keeper = new ClientStreamKeeper(RecordFraming.NONE, 1 << 20, 1000, () -> SERVICE, parser.newView(), replay);
        capture(TcpFrame.fromClient(CLIENT_PORT).seq(ISN).flags(TcpHeader.SYN).synOptions(1460, -1, false));
        capture(primary(PRIMARY_ISN, ISN + 1).flags(TcpHeader.SYN | TcpHeader.ACK).synOptions(1460, -1, false));
        int rounds = 2_000;
        byte[][] requests = new byte[rounds][];
        byte[][] answers = new byte[rounds][];
        for (int i = 0; i < rounds; i++) {
            requests[i] = client(ISN + 1 + i * 100, PRIMARY_ISN + 1 + i * 1000).payload(100).build();
            answers[i] = primary(PRIMARY_ISN + 1 + i * 1000, ISN + 1 + (i + 1) * 100).payload(serverBytes(i * 1000, 1000)).build();
        }
        for (int i = 0; i < 100; i++) {
            keeper.observe(requests[i], 0, requests[i].length);
            keeper.observe(answers[i], 0, answers[i].length);
        }
        long threadId = Thread.currentThread().getId();
        long before = counter.getThreadAllocatedBytes(threadId);
        for (int i = 100; i < rounds; i++) {
            keeper.observe(requests[i], 0, requests[i].length);
            keeper.observe(answers[i], 0, answers[i].length);
        }
        long allocated = counter.getThreadAllocatedBytes(threadId) - before;
        assertEquals(ReplayReadiness.REPLAYABLE, keeper.keptForReplay().get(0).readiness());
        assertTrue(allocated < 16 * 1024, () -> allocated + " bytes allocated for " + 2 * (rounds - 100) + " frames");
    }
    /**
     * Issue 10, point 7: the client had sent its request and half-closed (shutdown(SHUT_WR)); the
     * primary acknowledged both, and had sent part of its answer when it died. The replica gets the
     * whole client stream and then the client's FIN at its own sequence number (written again while
     * unacknowledged), so its application reads EOF after the request; the client gets the rest of
     * the answer in the primary's numbers, then the replica's FIN.
     */
    @Test
    void aHalfClosedClientsFinFollowsItsStreamAndTheClientGetsTheRestOfItsAnswer() throws Exception {
        newEngine("replay", 1 << 20);
        passiveTraffic(true);
        int fin = ISN + 1 + LOGIN.length() + REQUEST.length();
        capture(client(fin, PRIMARY_ISN + 1 + HELD).flags(TcpHeader.FIN));
        capture(primary(PRIMARY_ISN + 1 + SENT, fin + 1));
        ConnectionSnapshot snapshot = new ConnectionSnapshot(
                new Endpoint(InetAddress.getByName("10.77.0.1"), CLIENT_PORT, "02:00:00:00:00:01"),
                new Endpoint(InetAddress.getByName("10.77.0.2"), SERVICE_PORT, "02:00:00:00:00:02"),
                new DirectionState(ISN, 1460, -1, false, false, PRIMARY_ISN + 1 + HELD, fin + 1,
                        DirectionState.UNKNOWN, 502, 18, 4, 0, 0, 0, fin),
                new DirectionState(PRIMARY_ISN, 1460, -1, false, false, fin + 1, PRIMARY_ISN + 1 + SENT,
                        DirectionState.UNKNOWN, 509, SENT, 12, 0, 0, 0, DirectionState.UNKNOWN),
                TcpState.CLOSING, true, Instant.EPOCH, Instant.EPOCH);

        TcpSegment syn = recover(snapshot);
        assertEquals(ISN, syn.seq(), "re-created from the client's first byte, although the client has half-closed");
        TcpSegment handOver = read(toReplica.get(2));
        assertEquals(LOGIN + REQUEST, new String(handOver.payload(), StandardCharsets.US_ASCII));
        assertFalse(handOver.has(TcpHeader.FIN), "the FIN only once the bytes before it are held");
        toReplica.clear();

        fromReplica(syn, REPLICA_ISN + 1, fin, TcpHeader.ACK, new byte[0]); // the replica holds the stream
        List<TcpSegment> fins = toReplica.stream().map(MigrationEngineReplayTest::read).filter(x -> x.has(TcpHeader.FIN)).toList();
        assertEquals(1, fins.size(), "the client's FIN, handed to the replica");
        assertEquals(fin, fins.get(0).seq(), "at the client's own FIN sequence number");
        assertEquals(0, fins.get(0).payload().length);
        toReplica.clear();
        now += TimeUnit.MILLISECONDS.toNanos(300);
        engine.pace();
        assertEquals(1, toReplica.stream().map(MigrationEngineReplayTest::read).filter(x -> x.has(TcpHeader.FIN) && x.seq() == fin).count(),
                "written again while the replica does not acknowledge it");
        toReplica.clear();

        // The replica's application read EOF after the request: its whole answer, then its FIN.
        int answer = SENT + 500;
        for (int at = 0; at < answer; at += SEGMENT) {
            int length = Math.min(SEGMENT, answer - at);
            fromReplica(syn, REPLICA_ISN + 1 + at, fin + 1, TcpHeader.ACK, serverBytes(at, length));
        }
        fromReplica(syn, REPLICA_ISN + 1 + answer, fin + 1, TcpHeader.ACK | TcpHeader.FIN, new byte[0]);
        now += TimeUnit.MILLISECONDS.toNanos(300);
        engine.pace();
        assertEquals(0, toReplica.stream().map(MigrationEngineReplayTest::read).filter(x -> x.has(TcpHeader.FIN)).count(),
                "acknowledged: never written again");

        List<TcpSegment> data = dataToClient();
        int expected = HELD;
        for (TcpSegment d : data) {
            assertEquals(PRIMARY_ISN + 1 + expected, d.seq(), "in order, in the primary's numbers");
            assertArrayEquals(serverBytes(expected, d.payload().length), d.payload());
            assertEquals(fin + 1, d.ack(), "acknowledging the client's FIN, as the primary did");
            expected += d.payload().length;
        }
        assertEquals(answer, expected, "the rest of the answer, from what the client held on");
        List<TcpSegment> closing = toClient.stream().map(MigrationEngineReplayTest::readFrame).filter(x -> x.has(TcpHeader.FIN)).toList();
        assertEquals(1, closing.size(), "the replica's FIN reaches the client");
        assertEquals(PRIMARY_ISN + 1 + answer, closing.get(0).seq());
        assertEquals(List.of(), resetsToClient());
    }
}
