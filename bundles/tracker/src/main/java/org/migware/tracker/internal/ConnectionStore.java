package org.migware.tracker.internal;

import org.migware.api.packet.AddressWords;
import org.migware.api.connection.ServiceEndpoints;

import java.security.SecureRandom;
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
import org.migware.api.connection.DirectionState;
import org.migware.api.sync.HandshakeOrigin;
import org.migware.api.sync.ImportOutcome;

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
        SYN_ACK_NOT_FOR_SYN("syn-ack-not-acknowledging-the-syn"),
        RST_OUT_OF_WINDOW("rst-outside-receive-window"),
        RST_NOT_AT_RECEIVE_NEXT("rst-in-window-not-at-rcv-nxt"),
        SEGMENT_BEYOND_WINDOW("segment-beyond-receive-window"),
        SEGMENT_BEFORE_WINDOW("segment-before-receive-window"),
        FIN_AHEAD_OF_STREAM("fin-in-window-beyond-rcv-nxt"),
        ACK_BEYOND_SENT("ack-of-data-not-sent"),
        ACK_TOO_OLD("ack-older-than-window"),
        TIMESTAMP_JUMP("tsval-jump-not-believable"),
        IP_LENGTH_BEYOND_FRAME("ip-length-beyond-captured-frame"),
        BAD_IP_CHECKSUM("ipv4-header-checksum-wrong"),
        BAD_TCP_CHECKSUM("tcp-checksum-wrong"),
        TABLE_FULL_SYN_REFUSED("syn-refused-table-full-of-established");

        final String label;

        Ignored(String label) {
            this.label = label;
        }
    }

    private static final int INITIAL_SLOTS = 1024;
    private static final int EVICTION_SAMPLE = 16;

    private final LongSupplier monotonicNanos;
    /** Mixed into every tuple's hash, so that nobody outside can choose tuples that share a probe chain. */
    private final long hashSeed;
    private volatile ServiceEndpoints service;
    private volatile TrackerLimits limits;
    private volatile FrameIntegrity integrity;

    private TrackedConnection[] slots = new TrackedConnection[INITIAL_SLOTS];
    private int size;

    private long latestCaptureNanos;
    private long monotonicAtLatestCapture;

    private long created;
    private long evictedForCapacity;
    private long expiredIdle;
    private long expiredClosed;
    private long packetsTracked;
    /** Segments believed as they came, on connections just restored from a state file. */
    private long pickedUp;
    /** Connections added or removed so far: a snapshot with the same count holds the same connections. */
    private long membershipChanges;
    /**
     * Segments taken although their checksum could not be verified (a sender's offload, or GRO):
     * not an ignored frame, so not in {@link TableStatistics#packetsIgnored()}.
     */
    private long offloadedChecksumsTaken;
    private final long[] ignored = new long[Ignored.values().length];
    private final long[] malformed = new long[ParseResult.values().length];

    ConnectionStore(ServiceEndpoints service, TrackerLimits limits, LongSupplier monotonicNanos) {
        this(service, limits, FrameIntegrity.STRICT_WITH_OFFLOAD, monotonicNanos, new SecureRandom().nextLong());
    }

    ConnectionStore(ServiceEndpoints service, TrackerLimits limits, FrameIntegrity integrity, LongSupplier monotonicNanos,
            long hashSeed) {
        this.service = service;
        this.limits = limits;
        this.integrity = integrity;
        this.monotonicNanos = monotonicNanos;
        this.hashSeed = hashSeed;
    }

    void reconfigure(ServiceEndpoints newService, TrackerLimits newLimits) {
        this.service = newService;
        this.limits = newLimits;
    }

    void reconfigure(ServiceEndpoints newService, TrackerLimits newLimits, FrameIntegrity newIntegrity) {
        this.integrity = newIntegrity;
        reconfigure(newService, newLimits);
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

    /**
     * @return whether the primary's stack would take the frame in at all; counts why not, and
     *     counts the partial checksums it takes
     */
    private boolean intact(ParsedPacket p) {
        switch (integrity.check(p)) {
            case FrameIntegrity.INTACT -> {
                return true;
            }
            case FrameIntegrity.OFFLOADED -> {
                offloadedChecksumsTaken++;
                return true;
            }
            case FrameIntegrity.BEYOND_FRAME -> ignored[Ignored.IP_LENGTH_BEYOND_FRAME.ordinal()]++;
            case FrameIntegrity.BAD_IP_CHECKSUM -> ignored[Ignored.BAD_IP_CHECKSUM.ordinal()]++;
            default -> ignored[Ignored.BAD_TCP_CHECKSUM.ordinal()]++;
        }
        return false;
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
        if (!intact(p)) {
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

        int hash = TrackedConnection.hash(hashSeed, cHigh, cLow, cPort, sHigh, sLow, sPort);
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
        boolean created = false;
        if (connection == null) {
            if (rst || (fin && !syn)) {
                ignored[Ignored.CLOSE_FOR_UNKNOWN_CONNECTION.ordinal()]++;
                return;
            }
            if (syn && !ack && !fromClient) {
                ignored[Ignored.SYN_FROM_SERVICE.ordinal()]++;
                return;
            }
            connection = insert(new TrackedConnection(cHigh, cLow, cPort, sHigh, sLow, sPort, hash), syn);
            if (connection == null) {
                ignored[Ignored.TABLE_FULL_SYN_REFUSED.ordinal()]++;
                return;
            }
            connection.firstSeenNanos = timestampNanos;
            // Only the client's own SYN shows both the client's ISN and its options.
            connection.handshakeSeen = syn && !ack;
            connection.state = syn ? TcpState.HANDSHAKE : TcpState.ESTABLISHED;
            this.created++;
            created = true;
        }

        SideState sender = fromClient ? connection.client : connection.server;
        SideState receiver = fromClient ? connection.server : connection.client;
        TcpState stateBefore = connection.state;

        if (rst) {
            if (created || ReceiverRules.rstAtReceiveNext(p, sender, receiver)) {
                noteActivity(connection, sender, p, timestampNanos);
                connection.state = TcpState.RESET;
                membershipChanges++;
            } else if (ReceiverRules.inReceiveWindow(sequence, sender, receiver)) {
                // Linux answers with a challenge ACK and keeps the connection (RFC 5961 §3.2).
                ignored[Ignored.RST_NOT_AT_RECEIVE_NEXT.ordinal()]++;
            } else {
                ignored[Ignored.RST_OUT_OF_WINDOW.ordinal()]++;
            }
            return;
        }
        boolean ackProvesClaim = false;
        if (syn && !created) {
            Ignored refused = refusedSyn(connection, sender, receiver, fromClient, ack, sequence, p.acknowledgementNumber());
            if (refused != null) {
                ignored[refused.ordinal()]++;
                return;
            }
        } else if (!created && connection.pickup != 0 && pickUp(connection, fromClient, p, receiver)) {
            // Taken as it comes: see pickUp.
        } else if (!created) {
            Ignored refused = ReceiverRules.judge(p, sender, receiver, timestampNanos);
            if (refused != null) {
                if (refused == Ignored.SEGMENT_BEFORE_WINDOW && p.payloadLength() > 0) {
                    // Data the receiver already acknowledged: a retransmission, dropped by Linux as it is by us.
                    sender.retransmissions = SideState.saturatingIncrement(sender.retransmissions);
                }
                ignored[refused.ordinal()]++;
                return;
            }
            ackProvesClaim = ack && receiver.has(SideState.SEQ_KNOWN)
                    && SequenceNumbers.after(p.acknowledgementNumber(), receiver.highestSequenceEnd);
        }
        noteActivity(connection, sender, p, timestampNanos);

        boolean firstSyn = syn && !sender.has(SideState.ISN_KNOWN);
        if (firstSyn) {
            sender.initialSequence = sequence;
            sender.set(SideState.ISN_KNOWN);
            sender.recordSynOptions(p.mss(), p.windowScale(), p.sackPermitted(), p.hasTimestamps(), flags);
        }
        sender.recordSegment(sequence, p.payloadLength(), syn, fin);
        if (ack) {
            int acknowledged = p.acknowledgementNumber();
            if (ackProvesClaim) {
                receiver.advanceProvenEnd(acknowledged);
                if (receiver.has(SideState.FIN_SEEN) && connection.state == TcpState.ESTABLISHED) {
                    connection.state = TcpState.CLOSING; // the FIN set aside, now acknowledged
                }
            }
            sender.recordAck(acknowledged);
            sender.recordWindow(acknowledged, (long) p.window() << (syn ? 0 : ReceiverRules.windowShift(sender, receiver)));
        }
        if (p.hasTimestamps()) {
            sender.recordTimestamp(p.timestampValue(), timestampNanos);
        }
        sender.lastWindow = p.window();
        if (receiver.knows(SideState.PENDING_ACK) && !SequenceNumbers.after(receiver.pendingAck, sender.highestSequenceEnd)) {
            // The receiver acknowledged this side's data before the capture showed it (lost, or reordered
            // behind the ACK on the mirror); this side's stream has now been seen to reach it.
            receiver.recordAck(receiver.pendingAck);
            receiver.evidence &= ~SideState.PENDING_ACK;
        }

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
        if (connection.state != stateBefore) {
            membershipChanges++; // established, closing or closed: what a restart must know too
        }
    }

    /**
     * A connection restored from a state file knows its handshake (ISNs and options, which never
     * change) but its sequence numbers are as old as the file: after a crash, seconds of traffic
     * went unseen, and the window and ACK rules would refuse every segment from then on. Like
     * conntrack picking up a connection it did not see open, the first segment each side sends
     * after the restore is believed as it comes, and its ACK shows how far the peer has sent.
     * From the second on, the rules apply again. A forged frame that comes first is believed too:
     * that window is the price of a restart, and lasts one segment per side.
     *
     * @return whether the segment was taken this way
     */
    private boolean pickUp(TrackedConnection connection, boolean fromClient, ParsedPacket p, SideState receiver) {
        int side = fromClient ? TrackedConnection.PICKUP_CLIENT : TrackedConnection.PICKUP_SERVER;
        if ((connection.pickup & side) == 0) {
            return false;
        }
        connection.pickup &= ~side;
        if ((p.flags() & ParsedPacket.ACK) != 0) {
            receiver.advanceProvenEnd(p.acknowledgementNumber());
        }
        pickedUp++;
        return true;
    }

    /** What every believed segment changes, and no other: a forged frame must not move the MAC or the idle clock. */
    private void noteActivity(TrackedConnection connection, SideState sender, ParsedPacket p, long timestampNanos) {
        sender.packets++;
        sender.mac = p.sourceMac();
        sender.set(SideState.MAC_KNOWN);
        connection.lastActivityNanos = timestampNanos;
        packetsTracked++;
    }

    /**
     * A SYN or SYN-ACK on a connection the table holds: only a retransmission of the handshake
     * is taken. Never does a SYN redefine the ISN or the options of a side (RFC 5961 §4: Linux
     * answers a SYN on a synchronized connection with a challenge ACK).
     */
    private static Ignored refusedSyn(TrackedConnection connection, SideState sender, SideState receiver, boolean fromClient,
            boolean ack, int sequence, int acknowledged) {
        if (connection.state != TcpState.HANDSHAKE) {
            return sender.has(SideState.ISN_KNOWN) && sender.initialSequence == sequence && connection.state.isLive()
                    ? Ignored.SEGMENT_BEFORE_WINDOW
                    : Ignored.SYN_ON_ESTABLISHED;
        }
        if (sender.has(SideState.ISN_KNOWN) && sender.initialSequence != sequence) {
            return Ignored.SYN_ON_ESTABLISHED;
        }
        if (!fromClient && ack && receiver.has(SideState.ISN_KNOWN) && acknowledged != receiver.initialSequence + 1) {
            return Ignored.SYN_ACK_NOT_FOR_SYN;
        }
        return null;
    }

    private static boolean handshakeCompletedBy(SideState sender, SideState receiver, boolean fromClient) {
        // The client's ACK of the server's ISN + 1 is the handshake's third segment.
        return fromClient && receiver.has(SideState.ISN_KNOWN)
                && sender.highestAck == receiver.initialSequence + 1;
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

    /**
     * @param halfOpen whether the newcomer is only a SYN: it may push out a closed or half-open
     *     connection, never an established one
     * @return the connection, or {@code null} when a half-open newcomer found no room
     */
    private TrackedConnection insert(TrackedConnection connection, boolean halfOpen) {
        if (size >= limits.maxConnections() && !evictOne(halfOpen)) {
            return null;
        }
        if ((size + 1) * 4L > slots.length * 3L) {
            grow();
        }
        place(connection);
        size++;
        membershipChanges++;
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
     * connection goes first, then a half-open one, else the one idle longest. Sampling keeps this
     * O(1) even under a SYN flood, at the price of evicting an approximately, not exactly, least
     * recent connection. For a half-open newcomer only closed and half-open ones qualify: a flood
     * of spoofed SYNs then only replaces itself, and never an idle established connection.
     *
     * @return whether a connection was removed
     */
    private boolean evictOne(boolean onlyNotEstablished) {
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
            if (onlyNotEstablished && evictionRank(candidate) == ESTABLISHED_RANK) {
                continue;
            }
            if (victim < 0 || evictBefore(candidate, slots[victim])) {
                victim = i;
            }
        }
        if (victim < 0) {
            return false;
        }
        removeAt(victim);
        evictedForCapacity++;
        return true;
    }

    private static final int ESTABLISHED_RANK = 2;

    /** @return 0 for closed or reset, 1 for half-open, {@link #ESTABLISHED_RANK} for the rest: lowest goes first */
    private static int evictionRank(TrackedConnection c) {
        if (!c.state.isLive()) {
            return 0;
        }
        return c.state == TcpState.HANDSHAKE ? 1 : ESTABLISHED_RANK;
    }

    private static boolean evictBefore(TrackedConnection a, TrackedConnection b) {
        int aRank = evictionRank(a);
        int bRank = evictionRank(b);
        if (aRank != bRank) {
            return aRank < bRank;
        }
        return a.lastActivityNanos < b.lastActivityNanos;
    }

    private void removeAt(int index) {
        membershipChanges++;
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
        long halfOpenBefore = now - current.halfOpenTimeoutNanos();
        int removed = 0;
        for (int i = 0; i < slots.length; i++) {
            TrackedConnection connection = slots[i];
            if (connection == null) {
                continue;
            }
            boolean done = !connection.state.isLive();
            if (done && connection.lastActivityNanos < closedBefore) {
                expiredClosed++;
            } else if (connection.lastActivityNanos < idleBefore
                    || connection.state == TcpState.HANDSHAKE && connection.lastActivityNanos < halfOpenBefore) {
                // A half-open connection goes as soon as Linux's SYN-RECV would have given up on it.
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
        int slot = slotOf(key);
        return slot < 0 ? Optional.empty() : Optional.of(snapshot(slots[slot]));
    }

    /** @return the slot of the connection with this key, or -1 */
    private int slotOf(ConnectionKey key) {
        byte[] client = key.clientAddress().getAddress();
        byte[] server = key.serverAddress().getAddress();
        long cHigh = AddressWords.high(client);
        long cLow = AddressWords.low(client);
        long sHigh = AddressWords.high(server);
        long sLow = AddressWords.low(server);
        int hash = TrackedConnection.hash(hashSeed, cHigh, cLow, key.clientPort(), sHigh, sLow, key.serverPort());
        return find(hash, cHigh, cLow, key.clientPort(), sHigh, sLow, key.serverPort());
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
            // The file knows nothing of this instance's seed.
            connection.hash = TrackedConnection.hash(hashSeed, connection.clientAddressHigh, connection.clientAddressLow,
                    connection.clientPort, connection.serverAddressHigh, connection.serverAddressLow, connection.serverPort);
            if (find(connection.hash, connection.clientAddressHigh, connection.clientAddressLow, connection.clientPort,
                    connection.serverAddressHigh, connection.serverAddressLow, connection.serverPort) < 0) {
                connection.pickup = TrackedConnection.PICKUP_CLIENT | TrackedConnection.PICKUP_SERVER;
                insert(connection, false);
            }
        }
        latestCaptureNanos = Math.max(latestCaptureNanos, latestCapture);
        monotonicAtLatestCapture = monotonicNanos.getAsLong();
        created += createdSoFar;
    }

    // ---- connections learnt through state sync (ConnectionImport) ----

    /** See {@link org.migware.api.sync.ConnectionImport#importHandshake}. */
    synchronized ImportOutcome importHandshake(ConnectionSnapshot sent) {
        ServiceEndpoints endpoints = service;
        byte[] clientBytes = sent.client().address().getAddress();
        byte[] serverBytes = sent.server().address().getAddress();
        long cHigh = AddressWords.high(clientBytes);
        long cLow = AddressWords.low(clientBytes);
        long sHigh = AddressWords.high(serverBytes);
        long sLow = AddressWords.low(serverBytes);
        int cPort = sent.client().port();
        int sPort = sent.server().port();
        if (endpoints == null || !endpoints.isService(sHigh, sLow, sPort)) {
            return ImportOutcome.REFUSED_NOT_SERVICE;
        }
        if (sent.clientToServer().initialSequence() == DirectionState.UNKNOWN
                || sent.serverToClient().initialSequence() == DirectionState.UNKNOWN) {
            return ImportOutcome.REFUSED_NO_HANDSHAKE;
        }
        int hash = TrackedConnection.hash(hashSeed, cHigh, cLow, cPort, sHigh, sLow, sPort);
        int slot = find(hash, cHigh, cLow, cPort, sHigh, sLow, sPort);
        if (slot >= 0) {
            TrackedConnection held = slots[slot];
            if (held.handshakeSeen) {
                return ImportOutcome.ALREADY_KNOWN;
            }
            importHandshakeOf(held.client, sent.clientToServer());
            importHandshakeOf(held.server, sent.serverToClient());
            held.handshakeSeen = true;
            held.handshakeFromSync = true;
            membershipChanges++; // what a restart needs (the handshake) changed
            return ImportOutcome.HANDSHAKE_FILLED;
        }
        TrackedConnection added = new TrackedConnection(cHigh, cLow, cPort, sHigh, sLow, sPort, hash);
        importHandshakeOf(added.client, sent.clientToServer());
        importHandshakeOf(added.server, sent.serverToClient());
        importPositionsOf(added.client, sent.clientToServer(), sent.client().mac());
        importPositionsOf(added.server, sent.serverToClient(), sent.server().mac());
        added.state = sent.state().isLive() && sent.state() != TcpState.HANDSHAKE ? sent.state() : TcpState.ESTABLISHED;
        added.handshakeSeen = true;
        added.handshakeFromSync = true;
        // The positions are as old as the message: each side's next segment is believed as it comes.
        added.pickup = TrackedConnection.PICKUP_CLIENT | TrackedConnection.PICKUP_SERVER;
        long now = nowNanos();
        added.firstSeenNanos = Math.min(now, sent.firstSeen().getEpochSecond() * 1_000_000_000L + sent.firstSeen().getNano());
        added.lastActivityNanos = now; // idle from the import on, not from the serving host's last frame
        if (insert(added, false) == null) {
            return ImportOutcome.REFUSED_TABLE_FULL;
        }
        return ImportOutcome.ADDED;
    }

    private static void importHandshakeOf(SideState side, DirectionState sent) {
        side.initialSequence = (int) sent.initialSequence();
        side.set(SideState.ISN_KNOWN);
        side.recordSynOptions(sent.mss(), sent.windowScale(), sent.sackPermitted(), sent.timestamps(),
                Math.max(0, sent.synEcnFlags()));
    }

    private static void importPositionsOf(SideState side, DirectionState sent, String mac) {
        if (sent.highestSequenceEnd() != DirectionState.UNKNOWN) {
            side.highestSequenceEnd = (int) sent.highestSequenceEnd();
            side.set(SideState.SEQ_KNOWN);
        }
        if (sent.highestAck() != DirectionState.UNKNOWN) {
            side.highestAck = (int) sent.highestAck();
            side.set(SideState.ACK_KNOWN);
        }
        if (sent.lastTimestampValue() != DirectionState.UNKNOWN) {
            side.lastTimestampValue = (int) sent.lastTimestampValue();
            side.set(SideState.TS_KNOWN);
        }
        side.lastWindow = sent.lastWindow();
        if (mac != null && mac.matches("\\p{XDigit}{2}(:\\p{XDigit}{2}){5}")) {
            side.mac = Long.parseLong(mac.replace(":", ""), 16);
            side.set(SideState.MAC_KNOWN);
        }
    }

    /** See {@link org.migware.api.sync.ConnectionImport#importClosed}. */
    synchronized boolean importClosed(ConnectionKey key, long clientInitialSequence) {
        int slot = slotOf(key);
        if (slot < 0) {
            return false;
        }
        SideState held = slots[slot].client;
        if (clientInitialSequence != DirectionState.UNKNOWN && held.has(SideState.ISN_KNOWN)
                && held.initialSequence != (int) clientInitialSequence) {
            return false; // a later incarnation of the 4-tuple
        }
        removeAt(slot);
        return true;
    }

    /** @return where each held connection's handshake came from */
    synchronized Map<ConnectionKey, HandshakeOrigin> handshakeOrigins() {
        Map<ConnectionKey, HandshakeOrigin> origins = new LinkedHashMap<>();
        for (TrackedConnection c : slots) {
            if (c != null) {
                origins.put(new ConnectionKey(AddressWords.toInetAddress(c.clientAddressHigh, c.clientAddressLow), c.clientPort,
                        AddressWords.toInetAddress(c.serverAddressHigh, c.serverAddressLow), c.serverPort),
                        c.handshakeFromSync ? HandshakeOrigin.SYNC : c.handshakeSeen ? HandshakeOrigin.CAPTURE : HandshakeOrigin.MISSED);
            }
        }
        return origins;
    }

    /** @return segments taken with a partial (offloaded) checksum, which could not be verified */
    synchronized long offloadedChecksumsTaken() {
        return offloadedChecksumsTaken;
    }

    synchronized long latestCaptureNanos() {
        return latestCaptureNanos;
    }

    synchronized long created() {
        return created;
    }

    /**
     * @return how many times a connection was added or removed: equal counts mean the same
     *     connections, whose handshakes (what a restart needs) cannot have changed
     */
    synchronized long membershipChanges() {
        return membershipChanges;
    }

    /** @return segments believed as they came because their connection had just been restored */
    synchronized long pickedUp() {
        return pickedUp;
    }
}
