package org.migware.sync.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The serving host's queue to one backup is bounded; what it drops shows at the backup as a gap, which asks for the table. */
class OverflowTest {

    private static final byte[] KEY = "overflow test key of 32 bytes...".getBytes(StandardCharsets.US_ASCII);

    @Test
    void aFullQueueDropsWithTheSequenceNumbersAndTheBackupSeesTheGap() throws Exception {
        byte[] session = new byte[SessionMac.SESSION_LENGTH];
        SyncCounters counters = new SyncCounters();
        try (ServerSocket listening = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                Socket backupEnd = new Socket(InetAddress.getLoopbackAddress(), listening.getLocalPort());
                Socket servingEnd = listening.accept()) {
            BackupSession queue = new BackupSession("test", servingEnd, new SessionMac(KEY, session), new SessionMac(KEY, session),
                    2, 100, counters);
            for (int port = 1; port <= 5; port++) {
                queue.offer(MessageType.CONNECTION_NEW, ConnectionCodec.encodeEntry(Connections.established(port, port, port)));
            }
            assertEquals(2, queue.queued(), "bounded");
            assertEquals(3, counters.overflowDrops.get());
            queue.write(queue.takeQueued());
            queue.offer(MessageType.CONNECTION_NEW, ConnectionCodec.encodeEntry(Connections.established(6, 6, 6)));
            queue.write(queue.takeQueued());

            FakeImportTable table = new FakeImportTable();
            SyncSession backup = new SyncSession(table, new SyncCounters(), "test");
            FrameReader reader = new FrameReader(backupEnd.getInputStream());
            SessionMac mac = new SessionMac(KEY, session);
            assertFalse(backup.accept(reader.read(mac)));
            assertFalse(backup.accept(reader.read(mac)));
            assertTrue(backup.accept(reader.read(mac)), "messages 3 to 5 were dropped: the backup asks for the table");
            assertEquals(3, backup.lastGap());
            assertEquals(3, table.held.size());

            // The backup asks for the table; a change queued meanwhile comes after the transfer's numbers.
            queue.offer(MessageType.CONNECTION_NEW, ConnectionCodec.encodeEntry(Connections.established(7, 7, 7)));
            BackupSession.Transfer transfer = queue.reserveTransfer(List.of(Connections.established(9, 9, 9)));
            assertEquals(0, queue.queued(), "the transfer replaces what was queued");
            queue.offer(MessageType.CONNECTION_NEW, ConnectionCodec.encodeEntry(Connections.established(10, 10, 10)));
            queue.write(transfer);
            queue.write(queue.takeQueued());
            assertTrue(backup.accept(reader.read(mac)), "the dropped change 7 is a gap too");
            assertFalse(backup.accept(reader.read(mac)));
            assertFalse(backup.accept(reader.read(mac)));
            assertTrue(backup.transferEnded());
            assertFalse(backup.accept(reader.read(mac)), "the change queued during the transfer follows it in order");
            assertEquals(java.util.Set.of(9, 10), table.held.keySet().stream().map(k -> k.clientPort())
                    .collect(java.util.stream.Collectors.toSet()),
                    "1, 2 and 6, known only through sync and not in the table sent, went; 9 came with it, 10 after it");
        }
    }
}
