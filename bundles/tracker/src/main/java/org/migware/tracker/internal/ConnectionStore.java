package org.migware.tracker.internal;

import org.migware.api.packet.AddressWords;
import org.migware.api.connection.ServiceEndpoints;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

import org.migware.api.connection.ConnectionKey;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.Endpoint;
import org.migware.api.connection.TableStatistics;
import org.migware.api.connection.TcpState;
import org.migware.api.packet.ParseResult;
import org.migware.api.packet.ParsedPacket;
import org.migware.api.wire.SequenceNumbers;

/**
 * The connection table of the NORMAL state and the per-connection state machine that feeds it.
 *
 * <p>An open-addressing hash table (linear probing, backward-shift deletion) of
 * {@link TrackedConnection}s keyed by the 4-tuple: no per-packet allocation, no boxed keys, and
 * a few hundred bytes per connection. Every method takes the store's monitor: the capture
 * thread is the only writer in practice, so the lock is uncontended except while a snapshot is
 * being copied.
 *
 * <p>Time is the capture clock: the newest capture timestamp seen, moved on by the monotonic
 * clock while no packet arrives. A replayed capture file therefore ages exactly as it did on
 * the wire, and an idle link still expires its connections.
 */
final class ConnectionStore {

    /** Why a well-formed frame did not update a connection. */
    enum Ignored {
        NOT_IP("not-ip"),
        NOT_TCP("not-tcp"),
        FRAGMENT("ip-fragment"),
        NOT_SERVICE("not-to-or-from-service"),
        NO_PARSER("no-parser-bound"),
        NOT_CONFIGURED("service-not-configured"),
        CLOSE_FOR_UNKNOWN_CONNECTION("fin-or-rst-for-unknown-connection"),
        SYN_ON_ESTABLISHED("syn-on-established-connection"),
        SYN_FROM_SERVICE("syn-without-ack-from-service"),
        RST_OUT_OF_WINDOW("rst-outside-receive-window");

        final String label;

        Ignored(String label) {
            this.label = label;
        }
    }

    private static final int INITIAL_SLOTS = 1024;
    private static final int EVICTION_SAMPLE = 16;

    private final LongSupplier monotonicNanos;
    private volatile ServiceEndpoints service;
    private volatile TrackerLimits limits;

    private TrackedConnection[] slots = new TrackedConnection[INITIAL_SLOTS];
    private int size;

    private long latestCaptureNanos;
    private long monotonicAtLatestCapture;

    private long created;
    private long evictedForCapacity;
    private long expiredIdle;
    private long expiredClosed;
    private long packetsTracked;
    private final long[] ignored = new long[Ignored.values().length];
    private final long[] malformed = new long[ParseResult.values().length];

    ConnectionStore(ServiceEndpoints service, TrackerLimits limits, LongSupplier monotonicNanos) {
        this.service = service;
        this.limits = limits;
        this.monotonicNanos = monotonicNanos;
    }

    void reconfigure(ServiceEndpoints newService, TrackerLimits newLimits) {
        this.service = newService;
        this.limits = newLimits;
    }

    /** Parses one captured frame with {@code view} and applies it to the table. */
    synchronized void accept(ParsedPacket view, byte[] frame, int offset, int length, long timestampNanos) {
        ParseResult result = view.parse(frame, offset, length);
        advanceClock(timestampNanos);
        if (!result.isTcp()) {
            switch (result) {
                case NOT_IP -> ignored[Ignored.NOT_IP.ordinal()]++;
                case NOT_TCP -> ignored[Ignored.NOT_TCP.ordinal()]++;
                case FRAGMENT -> ignored[Ignored.FRAGMENT.ordinal()]++;
                default -> malformed[result.ordinal()]++;
            }
            return;
        }
        apply(view, timestampNanos);
    }

    synchronized void countIgnored(Ignored reason) {
        ignored[reason.ordinal()]++;
    }

    private void advanceClock(long timestampNanos) {
        if (timestampNanos > latestCaptureNanos) {
            latestCaptureNanos = timestampNanos;
        }
        monotonicAtLatestCapture = monotonicNanos.getAsLong();
    }

    /** @return the table's notion of now, in nanoseconds since the epoch */
    synchronized long nowNanos() {
        return latestCaptureNanos + (monotonicNanos.getAsLong() - monotonicAtLatestCapture);
    }

    private void apply(ParsedPacket p, long timestampNanos) {
        ServiceEndpoints endpoints = service;
        if (endpoints == null) {
            ignored[Ignored.NOT_CONFIGURED.ordinal()]++;
            return;
        }
        long srcHigh = p.sourceAddressHigh();
        long srcLow = p.sourceAddressLow();
        long dstHigh = p.destinationAddressHigh();
        long dstLow = p.destinationAddressLow();
        int srcPort = p.sourcePort();
        int dstPort = p.destinationPort();
        boolean fromClient;
        if (endpoints.isService(dstHigh, dstLow, dstPort)) {
            fromClient = true;
        } else if (endpoints.isService(srcHigh, srcLow, srcPort)) {
            fromClient = false;
        } else {
            ignored[Ignored.NOT_SERVICE.ordinal()]++;
            return;
        }
        long cHigh = fromClient ? srcHigh : dstHigh;
        long cLow = fromClient ? srcLow : dstLow;
        int cPort = fromClient ? srcPort : dstPort;
        long sHigh = fromClient ? dstHigh : srcHigh;
        long sLow = fromClient ? dstLow : srcLow;
        int sPort = fromClient ? dstPort : srcPort;

        int flags = p.flags();
        boolean syn = (flags & ParsedPacket.SYN) != 0;
        boolean ack = (flags & ParsedPacket.ACK) != 0;
        boolean rst = (flags & ParsedPacket.RST) != 0;
        boolean fin = (flags & ParsedPacket.FIN) != 0;
        int sequence = p.sequenceNumber();

        int hash = TrackedConnection.hash(cHigh, cLow, cPort, sHigh, sLow, sPort);
        int slot = find(hash, cHigh, cLow, cPort, sHigh, sLow, sPort);
        TrackedConnection connection = slot >= 0 ? slots[slot] : null;

        if (connection != null && syn && !ack && fromClient) {
            SideState client = connection.client;
            boolean retransmittedSyn = client.has(SideState.ISN_KNOWN) && client.initialSequence == sequence;
            if (!retransmittedSyn) {
                if (connection.state == TcpState.ESTABLISHED) {
                    // RFC 5961 4.2: a SYN inside an established connection only draws a challenge ACK.
                    ignored[Ignored.SYN_ON_ESTABLISHED.ordinal()]++;
                    return;
                }
                // A new incarnation of the 4-tuple (port reuse after close, or a SYN retried with a new ISN).
                removeAt(slot);
                connection = null;
            }
        }
        if (connection == null) {
            if (rst || (fin && !syn)) {
                ignored[Ignored.CLOSE_FOR_UNKNOWN_CONNECTION.ordinal()]++;
                return;
            }
            if (syn && !ack && !fromClient) {
                ignored[Ignored.SYN_FROM_SERVICE.ordinal()]++;
                return;
            }
            connection = insert(new TrackedConnection(cHigh, cLow, cPort, sHigh, sLow, sPort, hash));
            connection.firstSeenNanos = timestampNanos;
            // Only the client's own SYN shows both the client's ISN and its options.
            connection.handshakeSeen = syn && !ack;
            connection.state = syn ? TcpState.HANDSHAKE : TcpState.ESTABLISHED;
            created++;
        }

        SideState sender = fromClient ? connection.client : connection.server;
        SideState receiver = fromClient ? connection.server : connection.client;
        sender.packets++;
        sender.mac = p.sourceMac();
        sender.set(SideState.MAC_KNOWN);
        connection.lastActivityNanos = timestampNanos;
        packetsTracked++;

        if (rst) {
            if (rstAcceptable(sequence, receiver, sender)) {
                connection.state = TcpState.RESET;
            } else {
                ignored[Ignored.RST_OUT_OF_WINDOW.ordinal()]++;
            }
            return;
        }
        if (syn) {
            sender.initialSequence = sequence;
            sender.set(SideState.ISN_KNOWN);
            sender.recordSynOptions(p.mss(), p.windowScale(), p.sackPermitted(), p.hasTimestamps(), flags);
        }
        sender.recordSegment(sequence, p.payloadLength(), syn, fin);
        if (ack) {
            sender.recordAck(p.acknowledgementNumber());
        }
        if (p.hasTimestamps()) {
            sender.recordTimestamp(p.timestampValue());
        }
        sender.lastWindow = p.window();

        switch (connection.state) {
            case HANDSHAKE -> {
                if (fin) {
                    connection.state = TcpState.CLOSING;
                } else if (ack && !syn && (p.payloadLength() > 0 || handshakeCompletedBy(sender, receiver, fromClient))) {
                    connection.state = TcpState.ESTABLISHED;
                }
            }
            case ESTABLISHED -> {
                if (fin) {
                    connection.state = TcpState.CLOSING;
                }
            }
            default -> {
                // CLOSING moves on below; CLOSED and RESET stay until they expire or the tuple is reused.
            }
        }
        if (connection.state == TcpState.CLOSING
                && connection.client.finAcknowledgedBy(connection.server)
                && connection.server.finAcknowledgedBy(connection.client)) {
            connection.state = TcpState.CLOSED;
        }
    }

    private static boolean handshakeCompletedBy(SideState sender, SideState receiver, boolean fromClient) {
        // The client's ACK of the server's ISN + 1 is the handshake's third segment.
        return fromClient && receiver.has(SideState.ISN_KNOWN)
                && sender.highestAck == receiver.initialSequence + 1;
    }

    /**
     * RFC 793 / RFC 5961: a RST counts only when its sequence number lies in the receiver's
     * window; anything else is a stray or a spoof and must not end the tracked connection.
     */
    private static boolean rstAcceptable(int sequence, SideState receiver, SideState sender) {
        if (!receiver.has(SideState.ACK_KNOWN)) {
            // The receiver has acknowledged nothing yet (a RST answering a SYN): nothing to check against.
            return true;
        }
        int shift = receiver.windowScale >= 0 && sender.windowScale >= 0 ? receiver.windowScale : 0;
        long window = Math.max(1L, (long) Math.max(receiver.lastWindow, 0) << shift);
        return SequenceNumbers.inWindow(sequence, receiver.highestAck, window);
    }

    // ---- the hash table ----

    private int find(int hash, long cHigh, long cLow, int cPort, long sHigh, long sLow, int sPort) {
        int mask = slots.length - 1;
        for (int i = hash & mask; ; i = (i + 1) & mask) {
            TrackedConnection candidate = slots[i];
            if (candidate == null) {
                return -1;
            }
            if (candidate.hash == hash && candidate.matches(cHigh, cLow, cPort, sHigh, sLow, sPort)) {
                return i;
            }
        }
    }

    private TrackedConnection insert(TrackedConnection connection) {
        if (size >= limits.maxConnections()) {
            evictOne();
        }
        if ((size + 1) * 4L > slots.length * 3L) {
            grow();
        }
        place(connection);
        size++;
        return connection;
    }

    private void place(TrackedConnection connection) {
        int mask = slots.length - 1;
        int i = connection.hash & mask;
        while (slots[i] != null) {
            i = (i + 1) & mask;
        }
        slots[i] = connection;
    }

    private void grow() {
        TrackedConnection[] old = slots;
        slots = new TrackedConnection[old.length * 2];
        for (TrackedConnection connection : old) {
            if (connection != null) {
                place(connection);
            }
        }
    }

    /**
     * Makes room when the table is full: from a small random sample of slots, a closed or reset
     * connection goes first, else the one idle longest. Sampling keeps this O(1) even under a
     * SYN flood, at the price of evicting an approximately, not exactly, least recent connection.
     */
    private void evictOne() {
        int mask = slots.length - 1;
        int start = ThreadLocalRandom.current().nextInt(slots.length);
        int victim = -1;
        int seen = 0;
        for (int step = 0; step < slots.length && seen < EVICTION_SAMPLE; step++) {
            int i = (start + step) & mask;
            TrackedConnection candidate = slots[i];
            if (candidate == null) {
                continue;
            }
            seen++;
            if (victim < 0 || evictBefore(candidate, slots[victim])) {
                victim = i;
            }
        }
        if (victim >= 0) {
            removeAt(victim);
            evictedForCapacity++;
        }
    }

    private static boolean evictBefore(TrackedConnection a, TrackedConnection b) {
        boolean aDone = !a.state.isLive();
        boolean bDone = !b.state.isLive();
        if (aDone != bDone) {
            return aDone;
        }
        return a.lastActivityNanos < b.lastActivityNanos;
    }

    private void removeAt(int index) {
        int mask = slots.length - 1;
        slots[index] = null;
        size--;
        int hole = index;
        for (int j = (index + 1) & mask; slots[j] != null; j = (j + 1) & mask) {
            int home = slots[j].hash & mask;
            // Move the entry back into the hole unless its home lies cyclically in (hole, j].
            if (((j - home) & mask) >= ((j - hole) & mask)) {
                slots[hole] = slots[j];
                slots[j] = null;
                hole = j;
            }
        }
    }

    /** Removes closed connections past their linger time and idle ones past the idle timeout. */
    synchronized int expire() {
        long now = nowNanos();
        TrackerLimits current = limits;
        long closedBefore = now - current.closedLingerNanos();
        long idleBefore = now - current.idleTimeoutNanos();
        int removed = 0;
        for (int i = 0; i < slots.length; i++) {
            TrackedConnection connection = slots[i];
            if (connection == null) {
                continue;
            }
            boolean done = !connection.state.isLive();
            if (done && connection.lastActivityNanos < closedBefore) {
                expiredClosed++;
            } else if (connection.lastActivityNanos < idleBefore) {
                expiredIdle++;
            } else {
                continue;
            }
            removeAt(i);
            removed++;
            // Backward shift may have pulled an unvisited entry into slot i: look at it again.
            i--;
        }
        return removed;
    }

    // ---- reads ----

    synchronized int size() {
        return size;
    }

    synchronized List<ConnectionSnapshot> snapshots() {
        List<ConnectionSnapshot> result = new ArrayList<>(size);
        for (TrackedConnection connection : slots) {
            if (connection != null) {
                result.add(snapshot(connection));
            }
        }
        return result;
    }

    synchronized Optional<ConnectionSnapshot> find(ConnectionKey key) {
        byte[] client = key.clientAddress().getAddress();
        byte[] server = key.serverAddress().getAddress();
        long cHigh = AddressWords.high(client);
        long cLow = AddressWords.low(client);
        long sHigh = AddressWords.high(server);
        long sLow = AddressWords.low(server);
        int hash = TrackedConnection.hash(cHigh, cLow, key.clientPort(), sHigh, sLow, key.serverPort());
        int slot = find(hash, cHigh, cLow, key.clientPort(), sHigh, sLow, key.serverPort());
        return slot < 0 ? Optional.empty() : Optional.of(snapshot(slots[slot]));
    }

    synchronized TableStatistics statistics() {
        Map<String, Long> ignoredByReason = new LinkedHashMap<>();
        for (Ignored reason : Ignored.values()) {
            if (ignored[reason.ordinal()] > 0) {
                ignoredByReason.put(reason.label, ignored[reason.ordinal()]);
            }
        }
        Map<String, Long> malformedByReason = new LinkedHashMap<>();
        for (ParseResult result : ParseResult.values()) {
            if (malformed[result.ordinal()] > 0) {
                malformedByReason.put(result.name().toLowerCase().replace('_', '-'), malformed[result.ordinal()]);
            }
        }
        return new TableStatistics(size, limits.maxConnections(), created, evictedForCapacity, expiredIdle,
                expiredClosed, packetsTracked, ignoredByReason, malformedByReason);
    }

    private static ConnectionSnapshot snapshot(TrackedConnection c) {
        Endpoint client = new Endpoint(AddressWords.toInetAddress(c.clientAddressHigh, c.clientAddressLow), c.clientPort,
                c.client.has(SideState.MAC_KNOWN) ? AddressWords.mac(c.client.mac) : null);
        Endpoint server = new Endpoint(AddressWords.toInetAddress(c.serverAddressHigh, c.serverAddressLow), c.serverPort,
                c.server.has(SideState.MAC_KNOWN) ? AddressWords.mac(c.server.mac) : null);
        return new ConnectionSnapshot(client, server, c.client.toSnapshot(), c.server.toSnapshot(), c.state,
                c.handshakeSeen, instant(c.firstSeenNanos), instant(c.lastActivityNanos));
    }

    private static Instant instant(long epochNanos) {
        return Instant.ofEpochSecond(Math.floorDiv(epochNanos, 1_000_000_000L), Math.floorMod(epochNanos, 1_000_000_000L));
    }

    // ---- persistence across an update of the tracker bundle ----

    /** @return every connection, for the state codec; the caller must not mutate them */
    synchronized List<TrackedConnection> connectionsForPersistence() {
        List<TrackedConnection> result = new ArrayList<>(size);
        for (TrackedConnection connection : slots) {
            if (connection != null) {
                result.add(connection);
            }
        }
        return result;
    }

    synchronized void restore(List<TrackedConnection> connections, long latestCapture, long createdSoFar) {
        for (TrackedConnection connection : connections) {
            if (find(connection.hash, connection.clientAddressHigh, connection.clientAddressLow, connection.clientPort,
                    connection.serverAddressHigh, connection.serverAddressLow, connection.serverPort) < 0) {
                insert(connection);
            }
        }
        latestCaptureNanos = Math.max(latestCaptureNanos, latestCapture);
        monotonicAtLatestCapture = monotonicNanos.getAsLong();
        created += createdSoFar;
    }

    synchronized long latestCaptureNanos() {
        return latestCaptureNanos;
    }

    synchronized long created() {
        return created;
    }
}
