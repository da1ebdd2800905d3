package org.migware.sync.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.DirectionState;
import org.migware.api.connection.TcpState;

class FramesTest {

    private static final byte[] KEY = "a shared key of 32 bytes, exact.".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SESSION = session(1);

    private static byte[] session(int seed) {
        byte[] session = new byte[SessionMac.SESSION_LENGTH];
        Arrays.fill(session, (byte) seed);
        return session;
    }

    @Test
    void anEntryKeepsEveryFieldTheBackupNeeds() {
        ConnectionSnapshot sent = Connections.of(40000, 0xfffffff0L, 7_000_000, TcpState.CLOSING, true);
        ConnectionSnapshot got = ConnectionCodec.decodeEntry(ConnectionCodec.encodeEntry(sent)).value();
        assertEquals(sent.key(), got.key());
        assertEquals(sent.client().mac(), got.client().mac());
        assertEquals(sent.server().mac(), got.server().mac());
        assertEquals(TcpState.CLOSING, got.state());
        assertEquals(sent.firstSeen(), got.firstSeen());
        for (DirectionState[] pair : new DirectionState[][] {{sent.clientToServer(), got.clientToServer()},
                {sent.serverToClient(), got.serverToClient()}}) {
            DirectionState s = pair[0];
            DirectionState g = pair[1];
            assertEquals(s.initialSequence(), g.initialSequence());
            assertEquals(s.mss(), g.mss());
            assertEquals(s.windowScale(), g.windowScale());
            assertEquals(s.sackPermitted(), g.sackPermitted());
            assertEquals(s.timestamps(), g.timestamps());
            assertEquals(s.synEcnFlags(), g.synEcnFlags());
            assertEquals(s.highestAck(), g.highestAck());
            assertEquals(s.highestSequenceEnd(), g.highestSequenceEnd());
            assertEquals(s.lastTimestampValue(), g.lastTimestampValue());
            assertEquals(s.lastWindow(), g.lastWindow());
        }
        assertTrue(got.handshakeSeen());
    }

    @Test
    void ipv6AndUnknownMacsAndUnannouncedOptionsToo() {
        ConnectionSnapshot c = Connections.established(40001, 5, 6);
        DirectionState bare = new DirectionState(5, -1, -1, false, false, -1, -1, -1, -1, 0, 0, 0, 0, -1);
        ConnectionSnapshot sent = new ConnectionSnapshot(
                new org.migware.api.connection.Endpoint(Connections.address("2001:db8::1"), 40001, null),
                new org.migware.api.connection.Endpoint(Connections.address("2001:db8::2"), 443, null),
                bare, c.serverToClient(), TcpState.ESTABLISHED, true, c.firstSeen(), c.lastActivity());
        ConnectionSnapshot got = ConnectionCodec.decodeEntry(ConnectionCodec.encodeEntry(sent)).value();
        assertEquals(sent.key(), got.key());
        assertNull(got.client().mac());
        assertEquals(-1, got.clientToServer().mss());
        assertEquals(-1, got.clientToServer().windowScale());
        assertEquals(-1, got.clientToServer().synEcnFlags());
        assertEquals(DirectionState.UNKNOWN, got.clientToServer().highestAck());
    }

    @Test
    void aGoneConnectionKeepsItsKeyAndClientIsn() {
        ConnectionSnapshot c = Connections.established(40002, 0xffffffffL, 1);
        ConnectionCodec.Gone gone = ConnectionCodec.decodeGone(ConnectionCodec.encodeGone(c.key(), 0xffffffffL)).value();
        assertEquals(c.key(), gone.key());
        assertEquals(0xffffffffL, gone.clientInitialSequence());
    }

    @Test
    void decodingSaysWhatIsWrong() {
        byte[] entry = ConnectionCodec.encodeEntry(Connections.established(40003, 1, 2));
        assertTrue(ConnectionCodec.decodeEntry(Arrays.copyOf(entry, entry.length - 1)).problem().contains("cut short"));
        assertTrue(ConnectionCodec.decodeEntry(Arrays.copyOf(entry, entry.length + 1)).problem().contains("after the entry"));
        byte[] badFamily = entry.clone();
        badFamily[0] = 5;
        assertTrue(ConnectionCodec.decodeEntry(badFamily).problem().contains("family 5"));
        assertTrue(ConnectionCodec.decodeEntry(new byte[0]).problem().contains("cut short"));
    }

    @Test
    void aFrameRoundTripsWithItsTag() throws Exception {
        byte[] payload = ConnectionCodec.encodeEntry(Connections.established(40004, 1, 2));
        byte[] frame = Frames.encode(MessageType.CONNECTION_NEW, 42, payload, new SessionMac(KEY, SESSION));
        FrameReader.Received got = new FrameReader(new ByteArrayInputStream(frame)).read(new SessionMac(KEY, SESSION));
        assertEquals(MessageType.CONNECTION_NEW, got.type());
        assertEquals(42, got.sequence());
        assertArrayEquals(payload, got.payload());
    }

    @Test
    void everyFlippedBitIsAForgery() throws Exception {
        byte[] frame = Frames.encode(MessageType.CONNECTION_GONE, 7,
                ConnectionCodec.encodeGone(Connections.established(40005, 1, 2).key(), 1), new SessionMac(KEY, SESSION));
        int forged = 0;
        int malformed = 0;
        for (int bit = 0; bit < frame.length * 8; bit++) {
            byte[] copy = frame.clone();
            copy[bit / 8] ^= (byte) (1 << (bit % 8));
            try {
                new FrameReader(new ByteArrayInputStream(copy)).read(new SessionMac(KEY, SESSION));
                throw new AssertionError("bit " + bit + " flipped and the frame was taken");
            } catch (RejectedFrame e) {
                if (e.kind == RejectedFrame.Kind.FORGED) {
                    forged++;
                } else {
                    malformed++;
                }
            } catch (EOFException e) {
                malformed++; // a length flipped upwards: the stream ends before the frame does
            }
        }
        assertEquals(frame.length * 8, forged + malformed);
        assertTrue(forged >= (frame.length - Frames.HEADER_LENGTH) * 8, "every payload and tag bit is caught by the tag");
    }

    @Test
    void anotherKeyOrAnotherSessionIsAForgery() {
        byte[] frame = Frames.encode(MessageType.ALIVE, 1, new byte[0], new SessionMac(KEY, SESSION));
        byte[] otherKey = KEY.clone();
        otherKey[0] ^= 1;
        RejectedFrame wrongKey = assertThrows(RejectedFrame.class,
                () -> new FrameReader(new ByteArrayInputStream(frame)).read(new SessionMac(otherKey, SESSION)));
        assertEquals(RejectedFrame.Kind.FORGED, wrongKey.kind);
        RejectedFrame replayedFromOtherSession = assertThrows(RejectedFrame.class,
                () -> new FrameReader(new ByteArrayInputStream(frame)).read(new SessionMac(KEY, session(2))));
        assertEquals(RejectedFrame.Kind.FORGED, replayedFromOtherSession.kind);
    }

    @Test
    void aTruncatedFrameIsTheEndOfTheChannelNotAMessage() {
        byte[] frame = Frames.encode(MessageType.ALIVE, 1, new byte[0], new SessionMac(KEY, SESSION));
        for (int length = 1; length < frame.length; length++) {
            byte[] cut = Arrays.copyOf(frame, length);
            assertThrows(EOFException.class,
                    () -> new FrameReader(new ByteArrayInputStream(cut)).read(new SessionMac(KEY, SESSION)), "cut at " + length);
        }
    }

    @Test
    void aHugeLengthIsRefusedBeforeAnythingMoreIsRead() throws Exception {
        byte[] frame = Frames.encode(MessageType.ALIVE, 1, new byte[0], new SessionMac(KEY, SESSION));
        Frames.putInt(frame, Frames.LENGTH_OFFSET, Integer.MAX_VALUE);
        ByteArrayInputStream in = new ByteArrayInputStream(frame);
        RejectedFrame e = assertThrows(RejectedFrame.class, () -> new FrameReader(in).read(new SessionMac(KEY, SESSION)));
        assertEquals(RejectedFrame.Kind.MALFORMED, e.kind);
        assertTrue(e.getMessage().contains("2147483647"), e.getMessage());
        assertEquals(frame.length - Frames.HEADER_LENGTH, in.available(), "only the header was read");
    }

    @Test
    void aReplayedMessageIsRejectedAndAGapAsksForTheTable() throws Exception {
        FakeImportTable table = new FakeImportTable();
        SyncCounters counters = new SyncCounters();
        SyncSession session = new SyncSession(table, counters, "test");
        byte[] payload = ConnectionCodec.encodeEntry(Connections.established(40006, 1, 2));
        FrameReader.Received first = new FrameReader.Received(MessageType.CONNECTION_NEW, 1, payload);
        assertFalse(session.accept(first));
        assertEquals(1, table.held.size());
        RejectedFrame replay = assertThrows(RejectedFrame.class, () -> session.accept(first));
        assertEquals(RejectedFrame.Kind.REPLAYED, replay.kind);

        assertTrue(session.accept(new FrameReader.Received(MessageType.ALIVE, 5, new byte[0])), "3 lost: a gap");
        assertEquals(3, session.lastGap());
        assertEquals(1, counters.gaps.get());
        assertFalse(session.accept(new FrameReader.Received(MessageType.ALIVE, 6, new byte[0])));
        RejectedFrame backupsMessage = assertThrows(RejectedFrame.class,
                () -> session.accept(new FrameReader.Received(MessageType.RESYNC_REQUEST, 7, new byte[0])));
        assertEquals(RejectedFrame.Kind.UNEXPECTED, backupsMessage.kind);
    }

    @Test
    void aCompleteTransferRemovesWhatOnlySyncKnewAndKeepsWhatTheCaptureSaw() throws Exception {
        FakeImportTable table = new FakeImportTable();
        table.importHandshake(Connections.established(40010, 10, 20)); // synced earlier, closed during the cut
        table.captured(Connections.established(40011, 11, 21), org.migware.api.sync.HandshakeOrigin.CAPTURE);
        SyncSession session = new SyncSession(table, new SyncCounters(), "test");
        byte[] one = new byte[4];
        Frames.putInt(one, 0, 1);
        session.accept(new FrameReader.Received(MessageType.TRANSFER_BEGIN, 1, one));
        session.accept(new FrameReader.Received(MessageType.TRANSFER_ENTRY, 2,
                ConnectionCodec.encodeEntry(Connections.established(40012, 12, 22))));
        session.accept(new FrameReader.Received(MessageType.TRANSFER_END, 3, one));
        assertTrue(session.transferEnded());
        assertEquals(java.util.Set.of(40011, 40012),
                table.held.keySet().stream().map(k -> k.clientPort()).collect(java.util.stream.Collectors.toSet()));
    }

    @Test
    void aTransferWithAHoleRemovesNothing() throws Exception {
        FakeImportTable table = new FakeImportTable();
        table.importHandshake(Connections.established(40020, 10, 20));
        SyncSession session = new SyncSession(table, new SyncCounters(), "test");
        session.accept(new FrameReader.Received(MessageType.TRANSFER_BEGIN, 1, new byte[4]));
        assertTrue(session.accept(new FrameReader.Received(MessageType.TRANSFER_END, 3, new byte[4])));
        assertFalse(session.transferEnded());
        assertEquals(1, table.held.size());
    }

    @Test
    void anEntryFitsAFrameWithRoomToSpare() {
        ConnectionSnapshot v4 = Connections.of(1, 1, 1, TcpState.ESTABLISHED, true);
        assertTrue(ConnectionCodec.encodeEntry(v4).length * 4 < Frames.MAX_PAYLOAD);
    }
}
