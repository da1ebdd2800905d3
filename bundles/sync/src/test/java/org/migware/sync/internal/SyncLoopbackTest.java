package org.migware.sync.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.migware.api.connection.ConnectionKey;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.TcpState;
import org.migware.api.sync.HandshakeOrigin;

/**
 * Both ends over loopback, through a relay the test cuts: the initial transfer, the changes, a
 * cut during which connections open and close, the reconnection, and the tables compared; then
 * a serving host and a backup with the wrong key.
 */
class SyncLoopbackTest {

    private static final byte[] KEY = "the site's sync key, 32 bytes...".getBytes(StandardCharsets.US_ASCII);
    private static final long WAIT_MILLIS = 20_000;

    private final ServingTable servingTable = new ServingTable();
    private final FakeImportTable backupTable = new FakeImportTable();
    private final SyncCounters serverCounters = new SyncCounters();
    private final SyncCounters clientCounters = new SyncCounters();
    private final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    private SyncServer server(byte[] key, SyncCounters counters) throws IOException {
        SyncServer server = new SyncServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), key,
                servingTable::snapshot, servingTable::changeCount, new SyncServer.Settings(10_000, 100, 2_000, 20, 4), counters);
        closing.add(server);
        server.start();
        return server;
    }

    private SyncClient client(InetSocketAddress peer, byte[] key, FakeImportTable table, SyncCounters counters) {
        SyncClient client = new SyncClient(peer, key, table, new SyncClient.Settings(50, 400, 100, 2_000), counters);
        closing.add(client);
        client.start();
        return client;
    }

    @Test
    void theBackupFollowsTheTableAcrossACut() throws Exception {
        for (int port = 1000; port < 1050; port++) {
            servingTable.add(Connections.established(port, port * 1000L, port * 7000L));
        }
        servingTable.add(Connections.of(2000, 1, 2, TcpState.ESTABLISHED, false)); // handshake missed there too: not synced
        servingTable.add(Connections.of(2001, 1, 2, TcpState.CLOSED, true)); // closed: not synced
        backupTable.captured(Connections.established(1000, 1000_000L, 7000_000L), HandshakeOrigin.CAPTURE);
        backupTable.captured(Connections.of(1001, 0, 0, TcpState.ESTABLISHED, false), HandshakeOrigin.MISSED);

        SyncServer server = server(KEY, serverCounters);
        CuttableRelay relay = new CuttableRelay(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()));
        closing.add(relay);
        SyncClient client = client(relay.address(), KEY, backupTable, clientCounters);

        awaitTablesMatch("the initial transfer");
        Map<ConnectionKey, HandshakeOrigin> origins = backupTable.handshakeOrigins();
        assertEquals(HandshakeOrigin.CAPTURE, origins.get(key(1000)), "the own capture's handshake stays");
        assertEquals(HandshakeOrigin.SYNC, origins.get(key(1001)), "the missed handshake is filled");
        assertEquals(HandshakeOrigin.SYNC, origins.get(key(1049)));
        ConnectionSnapshot imported = backupTable.held.get(key(1049)).connection();
        assertEquals(1049_000L, imported.clientToServer().initialSequence());
        assertEquals(1049 * 7000L, imported.serverToClient().initialSequence());
        assertEquals(9, imported.serverToClient().windowScale());
        assertEquals(48, clientCounters.added.get());
        assertEquals(1, clientCounters.handshakesFilled.get());

        // Changes while connected: 10 open, 5 close, one 4-tuple is reused with a new ISN.
        for (int port = 1100; port < 1110; port++) {
            servingTable.add(Connections.established(port, port, port));
        }
        servingTable.removeIf(c -> c.client().port() >= 1040 && c.client().port() < 1045);
        servingTable.removeIf(c -> c.client().port() == 1030);
        servingTable.add(Connections.established(1030, 424242, 1));
        awaitTablesMatch("the changes");
        assertEquals(424242, backupTable.held.get(key(1030)).connection().clientToServer().initialSequence());
        long sessionsBefore = clientCounters.sessions.get();

        // The cut: connections open and close while the channel is down.
        relay.cut();
        await("the backup sees the cut", () -> !client.connected());
        servingTable.removeIf(c -> c.client().port() >= 1010 && c.client().port() < 1020);
        for (int port = 1200; port < 1210; port++) {
            servingTable.add(Connections.established(port, port, port));
        }
        Thread.sleep(300); // the serving side polls the table meanwhile: its changes to the cut channel are lost
        assertTrue(backupTable.held.containsKey(key(1015)), "nothing reached the backup during the cut");
        relay.restore();

        awaitTablesMatch("the reconnection");
        assertTrue(clientCounters.sessions.get() > sessionsBefore, "a new session");
        assertTrue(clientCounters.transfers.get() >= 2, "a full transfer after the reconnection");
        assertEquals(HandshakeOrigin.CAPTURE, backupTable.handshakeOrigins().get(key(1000)));
        assertEquals(0, clientCounters.rejected() + serverCounters.rejected(), "nothing rejected on the good channel");
    }

    @Test
    void aTableOf20000ConnectionsGoesAcrossWhole() throws Exception {
        for (int port = 1; port <= 20_000; port++) {
            servingTable.add(Connections.established(port, port * 3L, port * 5L));
        }
        SyncServer server = server(KEY, serverCounters);
        client(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()), KEY, backupTable, clientCounters);
        awaitTablesMatch("a big initial transfer");
        assertEquals(20_000, clientCounters.added.get());
        assertEquals(1, clientCounters.transfers.get());
    }

    @Test
    void aBackupWithAnotherKeyGetsNothingAndIsCounted() throws Exception {
        servingTable.add(Connections.established(1000, 1, 2));
        SyncServer server = server(KEY, serverCounters);
        byte[] otherKey = "another site's key, also 32 b...".getBytes(StandardCharsets.US_ASCII);
        try (Socket rogue = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            byte[] zeros = new byte[SessionMac.SESSION_LENGTH];
            rogue.getOutputStream().write(Frames.encode(MessageType.CLIENT_HELLO, 0, new byte[16], new SessionMac(otherKey, zeros)));
            rogue.setSoTimeout(5_000);
            InputStream in = rogue.getInputStream();
            assertEquals(-1, in.read(), "the serving host closed the channel without sending a byte");
        }
        await("the forged hello is counted", () -> serverCounters.forged.get() == 1);
    }

    @Test
    void aServingHostWithAnotherKeyIsRefusedAndChangesNothing() throws Exception {
        byte[] otherKey = "another site's key, also 32 b...".getBytes(StandardCharsets.US_ASCII);
        try (java.net.ServerSocket rogue = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            client(new InetSocketAddress(InetAddress.getLoopbackAddress(), rogue.getLocalPort()), KEY, backupTable, clientCounters);
            try (Socket backup = rogue.accept()) {
                byte[] hello = backup.getInputStream().readNBytes(Frames.HEADER_LENGTH + 16 + SessionMac.TAG_LENGTH);
                byte[] session = new byte[SessionMac.SESSION_LENGTH];
                System.arraycopy(hello, Frames.HEADER_LENGTH, session, 0, 16);
                byte[] nonce = new byte[16];
                System.arraycopy(nonce, 0, session, 16, 16);
                SessionMac wrong = new SessionMac(otherKey, session);
                byte[] one = new byte[4];
                Frames.putInt(one, 0, 1);
                java.io.ByteArrayOutputStream frames = new java.io.ByteArrayOutputStream();
                frames.write(Frames.encode(MessageType.SERVER_HELLO, 0, nonce, wrong));
                frames.write(Frames.encode(MessageType.TRANSFER_BEGIN, 1, one, wrong));
                frames.write(Frames.encode(MessageType.TRANSFER_ENTRY, 2,
                        ConnectionCodec.encodeEntry(Connections.established(1000, 1, 2)), wrong));
                backup.getOutputStream().write(frames.toByteArray()); // in one write: the backup closes after the first frame
                await("the forged hello is counted", () -> clientCounters.forged.get() >= 1);
            }
        }
        assertTrue(backupTable.held.isEmpty(), "nothing imported from a host without the key");
        assertEquals(0, clientCounters.sessions.get());
    }

    /**
     * The roles: a backup whose host starts serving (it took the connections over) stops
     * following at once and imports nothing more, however the other table changes; once it
     * watches again it follows, from a full transfer.
     */
    @Test
    void aHostThatServesImportsNothingAndFollowsAgainOnceItWatches() throws Exception {
        for (int port = 1000; port < 1010; port++) {
            servingTable.add(Connections.established(port, port * 1000L, port * 7000L));
        }
        SyncServer server = server(KEY, serverCounters);
        SyncClient client = client(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()), KEY, backupTable,
                clientCounters);
        awaitTablesMatch("before");
        long transfers = clientCounters.transfers.get();

        client.paused(true);
        await("the channel cut once this host serves", () -> !client.connected());
        Set<ConnectionKey> whileServing = backupKeys();
        for (int port = 1100; port < 1110; port++) {
            servingTable.add(Connections.established(port, port, port));
        }
        servingTable.removeIf(c -> c.client().port() < 1005);
        Thread.sleep(600); // several of the serving side's polls and of the client's reconnect intervals
        assertEquals(whileServing, backupKeys(), "nothing imported while this host serves");
        assertTrue(!client.connected(), "and no new channel opened");

        client.paused(false);
        awaitTablesMatch("once it watches again");
        assertTrue(clientCounters.transfers.get() > transfers, "a full transfer after the pause");
    }

    private void awaitTablesMatch(String when) throws InterruptedException {
        await(when + ": the backup's table matches the serving host's", () -> backupKeys().equals(servingSyncedKeys()));
        assertEquals(servingSyncedKeys(), backupKeys(), when);
        for (ConnectionSnapshot c : servingTable.snapshot()) {
            if (TableWatcher.synced(c) && backupTable.held.get(c.key()).origin() == HandshakeOrigin.SYNC) {
                assertEquals(c.clientToServer().initialSequence(),
                        backupTable.held.get(c.key()).connection().clientToServer().initialSequence(), when);
            }
        }
    }

    private Set<ConnectionKey> servingSyncedKeys() {
        return servingTable.snapshot().stream().filter(TableWatcher::synced).map(ConnectionSnapshot::key).collect(Collectors.toSet());
    }

    private Set<ConnectionKey> backupKeys() {
        return Set.copyOf(backupTable.held.keySet());
    }

    private static ConnectionKey key(int clientPort) {
        return Connections.established(clientPort, 0, 0).key();
    }

    /** Waits for a condition (a timeout only ends a failing test, it asserts no duration). */
    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT_MILLIS + " ms: " + what);
            }
            Thread.sleep(50);
        }
    }
}
