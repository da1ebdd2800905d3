package org.migware.proxy.internal.keeper;

import java.util.ArrayDeque;
import java.util.Arrays;

import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.migware.api.connection.ServiceEndpoints;
import org.migware.api.packet.ParseResult;
import org.migware.api.packet.ParsedPacket;
import org.migware.api.wire.Ipv4Header;
import org.migware.proxy.internal.mapping.ConnectionKey;
import org.migware.proxy.internal.mapping.PairKeyMap;
import org.migware.proxy.internal.translation.ArpResponder;
import org.migware.proxy.internal.wire.WireVlans;
import org.migware.proxy.internal.replay.ReplayStream;

/**
 * Keeps, for every client connection to the service, the client's bytes that RECOVERY may have
 * to hand to the replica itself, as they pass on the wire before failover:
 * <ul>
 * <li>the bytes the primary has not acknowledged yet. The client will send them again, but only
 * when its retransmission timer fires (200 ms and more, doubling while the primary was silent):
 * handed over at once, the replica's acknowledgement releases the client immediately. They also
 * cover the case where the capture missed the primary's last ACK — the client then retransmits
 * from a point the replica has not reached, which would otherwise stall the connection;</li>
 * <li>with a {@link RecordFraming}, also the head of the record in progress at the primary's
 * acknowledgement (acknowledged, so the client will never send it again), so that the replica's
 * application never receives a torn first record.</li>
 * </ul>
 *
 * <p>Called on the capture thread for every frame until failover. Per connection it holds one
 * growable buffer (trimmed as the primary acknowledges, so its size is what is in flight plus one
 * record head) and a ring of record starts; nothing is allocated per packet once a connection's
 * buffer has reached its working size. Sequence arithmetic is modulo 2^32 throughout.
 */
public final class ClientStreamKeeper {

    /**
     * What is kept of one connection's stream at failover.
     *
     * @param firstSeq the client sequence number of {@code bytes[0]}
     * @param bytes the client's bytes from {@code firstSeq} on, contiguous
     * @param headProblem with a framing, why the record head could not be kept (the replica's
     *     application may then see a torn first record); {@code null} when there is none
     */
    public record Retained(int firstSeq, byte[] bytes, String headProblem) {
    }

    private final RecordFraming framing;
    private final int maxBytesPerConnection;
    private final int maxConnections;
    /** Read per frame: a changed service configuration applies without re-creating the proxy. */
    private final Supplier<ServiceEndpoints> service;
    private final ParsedPacket view;
    /** The whole streams of the connections whose delivery may replay them; {@code null} when every port resumes. */
    private final ReplayKeeper replay;
    private final PairKeyMap<KeptStream> streams = new PairKeyMap<>();
    /**
     * The keys of the streams opened by a SYN, oldest first, as {addresses, ports}: when the table
     * is full, the oldest whose client never sent anything after its SYN makes room for a new
     * SYN. Entries of streams that went on or ended stay until they are met or compacted away.
     */
    private final ArrayDeque<long[]> opened = new ArrayDeque<>();
    private long halfOpenEvicted;
    /** The MAC each service address last sent from: as many entries as the service has addresses. */
    private final WireVlans vlans = new WireVlans();
    private int[] macAddresses = new int[4];
    private long[] macs = new long[4];
    private int macCount;
    private long gaps;
    private long overflows;
    private long connectionsNotKept;
    /** When a silent stream is freed, and the idle sweep's working set. */
    private final IdleExpiry idle;
    /** Read by the idle sweep only, never per frame. */
    private final LongSupplier nanos;
    /**
     * The time of the latest idle sweep: every frame stamps its stream with it, so that the
     * capture thread reads no clock. A stream's silence is thereby known to within one sweep.
     */
    private long clockNanos;
    /** Set when recovery starts: it reads the streams from then on, and none may expire under it. */
    private boolean frozen;
    private long expiredIdle;

    /**
     * @param framing the service's record framing
     * @param maxBytesPerConnection the most bytes kept per connection (a bulk sender's flight
     *     beyond it is not kept: the client retransmits it as usual)
     * @param maxConnections the most connections kept
     * @param service which endpoints are the service's
     * @param view a parser view of the keeper's own
     */
    public ClientStreamKeeper(RecordFraming framing, int maxBytesPerConnection, int maxConnections, Supplier<ServiceEndpoints> service,
            ParsedPacket view) {
        this(framing, maxBytesPerConnection, maxConnections, service, view, null);
    }

    /**
     * @param replay keeps the whole streams of the ports whose delivery may replay them, fed
     *     from the same parse of each frame; {@code null} when every port resumes
     */
    public ClientStreamKeeper(RecordFraming framing, int maxBytesPerConnection, int maxConnections, Supplier<ServiceEndpoints> service,
            ParsedPacket view, ReplayKeeper replay) {
        this(framing, maxBytesPerConnection, maxConnections, service, view, replay, IdleExpiry.Bounds.DEFAULTS, System::nanoTime);
    }

    /**
     * @param idle how long a stream the tracker does not hold as live may stay silent (see {@link IdleExpiry})
     * @param nanos the clock of the idle sweep
     */
    public ClientStreamKeeper(RecordFraming framing, int maxBytesPerConnection, int maxConnections, Supplier<ServiceEndpoints> service,
            ParsedPacket view, ReplayKeeper replay, IdleExpiry.Bounds idle, LongSupplier nanos) {
        this.idle = new IdleExpiry(idle);
        this.nanos = nanos;
        this.clockNanos = nanos.getAsLong();
        if (replay != null) {
            replay.clock(clockNanos);
        }
        this.replay = replay;
        this.framing = framing;
        this.maxBytesPerConnection = maxBytesPerConnection;
        this.maxConnections = maxConnections;
        this.service = service;
        this.view = view;
    }

    /** One captured frame; anything but TCP over IPv4 to or from the service is ignored. */
    public synchronized void observe(byte[] frame, int offset, int length) {
        ParsedPacket p = view;
        ParseResult parsed = p.parse(frame, offset, length);
        ServiceEndpoints endpoints = service.get();
        if (p.ipVersion() != 4) {
            // the primary's ARP (to its clients, or to MigWare's ICMP monitor) says where it is
            // before any connection does; the capture passes the service's ARP
            int sender = ArpResponder.senderAddress(frame, offset, length);
            if (sender != 0 && endpoints.isServiceAddress(0L, Ipv4Header.MAPPED_PREFIX | sender & 0xffff_ffffL)) {
                noteServiceMac(sender, ArpResponder.senderMac(frame, offset, length));
            }
            return;
        }
        if (parsed != ParseResult.TCP) {
            // the primary's other IPv4 (where the capture passes it: a file) says where it is too
            if (endpoints.isServiceAddress(p.sourceAddressHigh(), p.sourceAddressLow())) {
                noteServiceMac(p.sourceIpv4(), p.sourceMac());
            }
            return;
        }
        if (endpoints.isService(p.destinationAddressHigh(), p.destinationAddressLow(), p.destinationPort())) {
            vlans.note(p.destinationIpv4(), p.sourceIpv4(), WireVlans.outerVlanId(frame, offset, length));
            long addresses = ConnectionKey.addresses(p.sourceIpv4(), p.destinationIpv4());
            long ports = ConnectionKey.ports(p.sourcePort(), p.destinationPort());
            if (replay != null) {
                replay.fromClient(p, addresses, ports);
            }
            fromClient(p, addresses, ports);
        } else if (endpoints.isService(p.sourceAddressHigh(), p.sourceAddressLow(), p.sourcePort())) {
            noteServiceMac(p.sourceIpv4(), p.sourceMac());
            vlans.note(p.sourceIpv4(), p.destinationIpv4(), WireVlans.outerVlanId(frame, offset, length));
            long addresses = ConnectionKey.addresses(p.destinationIpv4(), p.sourceIpv4());
            long ports = ConnectionKey.ports(p.destinationPort(), p.sourcePort());
            if (replay != null) {
                replay.fromService(p, addresses, ports);
            }
            fromService(p, addresses, ports);
        }
    }

    private void fromClient(ParsedPacket p, long addresses, long ports) {
        KeptStream s = streams.get(addresses, ports);
        if (s != null) {
            s.lastSeenNanos = clockNanos;
        }
        if (p.hasFlags(ParsedPacket.RST) || p.hasFlags(ParsedPacket.FIN)) {
            // A closing connection is not re-created; nothing of it is needed. Only a close the
            // server's stack would take (RFC 5961: an RST at the next byte, a FIN where it meets what
            // came before) ends it: a forged one must not cost the connection its kept bytes.
            if (s != null && s.clientCloses(p.hasFlags(ParsedPacket.RST), p.sequenceNumber(), p.payloadLength())) {
                streams.remove(addresses, ports);
            }
            return;
        }
        if (p.hasFlags(ParsedPacket.SYN)) {
            // Full: a spoofed SYN flood must not keep every later connection out (issue 10, floods
            // and bounds). The oldest stream still half-open makes room; an established one never does.
            if (s == null && streams.size() >= maxConnections && !evictOldestHalfOpen()) {
                connectionsNotKept++;
                return;
            }
            s = new KeptStream();
            s.lastSeenNanos = clockNanos;
            s.synSeen = true;
            s.clientWindowScale = p.windowScale();
            s.clientMss = p.mss() > 0 ? p.mss() : KeptStream.DEFAULT_MSS;
            int start = p.sequenceNumber() + 1;
            s.firstSeq = start;
            s.parsedEnd = start;
            s.framingSynced = true;
            s.headBoundary = start;
            s.haveHead = true;
            streams.put(addresses, ports, s);
            opened.addLast(new long[] {addresses, ports});
            if (opened.size() > 2 * maxConnections + 1024) {
                opened.removeIf(k -> !halfOpen(streams.get(k[0], k[1])));
            }
            return;
        }
        int length = p.capturedPayloadLength();
        if (s != null) {
            s.clientSpokeAfterSyn = true;
            noteClientWindow(s, p, length);
        }
        if (length <= 0) {
            return;
        }
        if (s == null) {
            // A connection older than this keeper (or than its last restart): start where we are.
            if (streams.size() >= maxConnections) {
                connectionsNotKept++;
                return;
            }
            s = new KeptStream();
            s.lastSeenNanos = clockNanos;
            restartAt(s, p.sequenceNumber());
            streams.put(addresses, ports, s);
        }
        int seq = p.sequenceNumber();
        int skip = s.parsedEnd - seq;
        if (skip < 0) {
            // Bytes between parsedEnd and seq never reached us (capture loss): what follows is kept,
            // but record boundaries are unknown until the framing can resynchronise.
            gaps++;
            restartAt(s, seq);
            skip = 0;
        }
        if (skip >= length) {
            return; // a retransmission of bytes already seen
        }
        byte[] data = p.buffer();
        int from = p.payloadOffset() + skip;
        int count = length - skip;
        scanFraming(s, data, from, count, seq + skip);
        append(s, data, from, count);
        // A payload cut by the snapshot length leaves a gap that the next segment reveals.
        s.parsedEnd = seq + length;
    }

    private void fromService(ParsedPacket p, long addresses, long ports) {
        KeptStream s = streams.get(addresses, ports);
        if (s != null) {
            s.lastSeenNanos = clockNanos;
        }
        if (p.hasFlags(ParsedPacket.RST)) {
            if (s != null && s.serverResets(p.sequenceNumber())) {
                streams.remove(addresses, ports);
            }
            return;
        }
        if (!p.hasFlags(ParsedPacket.ACK) || s == null) {
            return;
        }
        s.serverSent(p.sequenceNumber(), p.payloadLength() + (p.hasFlags(ParsedPacket.FIN) ? 1 : 0) + (p.hasFlags(ParsedPacket.SYN) ? 1 : 0));
        noteServerSending(s, p);
        int ack = p.acknowledgementNumber();
        if (s.ackSeen && ack - s.acked <= 0) {
            return;
        }
        s.ackSeen = true;
        s.acked = ack;
        while (s.boundaryCount > 0 && s.boundaries[s.boundaryFirst] - ack <= 0) {
            s.headBoundary = s.boundaries[s.boundaryFirst];
            s.haveHead = true;
            s.boundaryFirst = (s.boundaryFirst + 1) & (s.boundaries.length - 1);
            s.boundaryCount--;
        }
        int keepFrom = framing != RecordFraming.NONE && s.framingSynced && s.haveHead ? s.headBoundary : ack;
        trim(s, keepFrom);
    }

    private void noteServiceMac(int address, long mac) {
        for (int i = 0; i < macCount; i++) {
            if (macAddresses[i] == address) {
                macs[i] = mac;
                return;
            }
        }
        if (macCount == macAddresses.length) {
            // only frames from a configured service address come here: their count bounds this
            macAddresses = Arrays.copyOf(macAddresses, macCount * 2);
            macs = Arrays.copyOf(macs, macCount * 2);
        }
        macAddresses[macCount] = address;
        macs[macCount++] = mac;
    }

    /** @return the VLAN each client and service address was last seen in: what MigWare sends to a client is tagged so */
    public WireVlans wireVlans() {
        return vlans;
    }

    /** @return the MAC the service address {@code address} last sent from, -1 when it was never seen sending */
    public synchronized long serviceMac(int address) {
        for (int i = 0; i < macCount; i++) {
            if (macAddresses[i] == address) {
                return macs[i];
            }
        }
        return -1L;
    }

    /** The window the client offers, and whether its data ends the server's turn (a new request). */
    private static void noteClientWindow(KeptStream s, ParsedPacket p, int payloadLength) {
        if (payloadLength > 0) {
            s.serverHeldByWindow = false;
        }
        if (s.handshakeSeen && p.hasFlags(ParsedPacket.ACK)) {
            s.clientWindowEdge = p.acknowledgementNumber() + (p.window() << (s.windowScaling ? s.clientWindowScale : 0));
            s.clientWindowEdgeKnown = true;
        }
    }

    /**
     * Whether the server's data reached the client's window edge, to within two segments (a sender
     * does not send a sliver of a segment into a window's rest): it then stopped because of the
     * window, not because it had nothing more to say. Once held, the server stays so until the
     * client's next data: a later flight that stops short of a window just opened (the server's own
     * send buffer, not the window, ran dry for a moment) does not end a download. A response that
     * was held once and then really ended is reset at a failover needlessly; a download taken for
     * finished would wait forever.
     */
    private static void noteServerSending(KeptStream s, ParsedPacket p) {
        if (p.hasFlags(ParsedPacket.SYN)) {
            s.windowScaling = s.clientWindowScale >= 0 && p.windowScale() >= 0;
            s.handshakeSeen = s.synSeen;
            return;
        }
        int length = p.payloadLength();
        if (length > 0 && s.clientWindowEdgeKnown && s.clientWindowEdge - (p.sequenceNumber() + length) <= 2 * s.clientMss) {
            s.serverHeldByWindow = true;
        }
    }

    /** Drops what lies before {@code keepFrom}; restarts keeping once an overflowed buffer has emptied. */
    private void trim(KeptStream s, int keepFrom) {
        int drop = keepFrom - s.firstSeq;
        if (drop <= 0) {
            return;
        }
        int kept = s.tail - s.head;
        if (drop >= kept) {
            s.head = 0;
            s.tail = 0;
            if (s.retaining) {
                s.firstSeq = keepFrom - s.parsedEnd > 0 ? s.parsedEnd : keepFrom;
            } else {
                // The bytes from the overflow on were never kept: keep again from where we are.
                s.firstSeq = s.parsedEnd;
                s.retaining = true;
            }
            return;
        }
        s.head += drop;
        s.firstSeq = keepFrom;
    }

    private void restartAt(KeptStream s, int seq) {
        s.head = 0;
        s.tail = 0;
        s.firstSeq = seq;
        s.parsedEnd = seq;
        s.retaining = true;
        s.boundaryCount = 0;
        s.boundaryFirst = 0;
        s.haveHead = false;
        // A newline resynchronises at the next '\n'; a length prefix cannot be found again.
        s.framingSynced = framing == RecordFraming.NONE;
        s.prefixRead = 0;
        s.bodyLeft = 0;
    }

    private void scanFraming(KeptStream s, byte[] data, int from, int count, int seq) {
        switch (framing) {
            case NONE -> { }
            case NEWLINE -> {
                for (int i = 0; i < count; i++) {
                    if (data[from + i] == '\n') {
                        s.framingSynced = true;
                        s.addBoundary(seq + i + 1);
                    }
                }
            }
            case LENGTH_PREFIXED_2, LENGTH_PREFIXED_4 -> {
                if (!s.framingSynced) {
                    return;
                }
                int prefix = framing.lengthBytes();
                int i = 0;
                while (i < count) {
                    if (s.prefixRead < prefix) {
                        s.prefixValue = s.prefixRead == 0 ? 0 : s.prefixValue;
                        s.prefixValue = s.prefixValue << 8 | (data[from + i] & 0xff);
                        s.prefixRead++;
                        i++;
                        if (s.prefixRead == prefix) {
                            s.bodyLeft = s.prefixValue;
                            if (s.bodyLeft == 0) {
                                s.prefixRead = 0;
                                s.addBoundary(seq + i);
                            }
                        }
                    } else {
                        long take = Math.min(s.bodyLeft, count - i);
                        i += (int) take;
                        s.bodyLeft -= take;
                        if (s.bodyLeft == 0) {
                            s.prefixRead = 0;
                            s.addBoundary(seq + i);
                        }
                    }
                }
            }
            default -> throw new IllegalStateException("framing " + framing);
        }
    }

    private void append(KeptStream s, byte[] data, int from, int count) {
        if (!s.retaining) {
            return;
        }
        int kept = s.tail - s.head;
        if (kept + count > maxBytesPerConnection) {
            overflows++;
            s.retaining = false;
            return;
        }
        if (s.tail + count > s.buffer.length) {
            if (kept + count <= s.buffer.length / 2) {
                System.arraycopy(s.buffer, s.head, s.buffer, 0, kept);
            } else {
                int size = Math.max(KeptStream.FIRST_BUFFER, s.buffer.length);
                while (size < kept + count) {
                    size *= 2;
                }
                byte[] bigger = new byte[Math.min(size, Math.max(maxBytesPerConnection, kept + count))];
                System.arraycopy(s.buffer, s.head, bigger, 0, kept);
                s.buffer = bigger;
            }
            s.head = 0;
            s.tail = kept;
        }
        System.arraycopy(data, from, s.buffer, s.tail, count);
        s.tail += count;
    }

    /**
     * What the replica should be given for one connection, whose re-created stream resumes at
     * {@code resume} (the first client byte the primary did not acknowledge).
     *
     * @return the bytes from the record start at or before {@code resume} (with a framing) or from
     *     {@code resume} on; empty bytes starting at {@code resume}, with the reason, when nothing
     *     usable was kept
     */
    public synchronized Retained retained(int clientAddress, int clientPort, int serviceAddress, int servicePort, int resume) {
        KeptStream s = streams.get(ConnectionKey.addresses(clientAddress, serviceAddress), ConnectionKey.ports(clientPort, servicePort));
        if (s == null) {
            return new Retained(resume, KeptStream.EMPTY, framing == RecordFraming.NONE ? null : "none of its bytes were seen");
        }
        int start = resume;
        String problem = null;
        if (framing != RecordFraming.NONE) {
            int boundary = s.haveHead ? s.headBoundary : 0;
            boolean found = s.haveHead && s.framingSynced && boundary - resume <= 0;
            for (int i = 0; i < s.boundaryCount; i++) {
                int b = s.boundaryAt(i);
                if (b - resume <= 0) {
                    boundary = b;
                    found = true;
                }
            }
            if (!found) {
                problem = s.framingSynced ? "the start of its record in progress was not seen"
                        : framing == RecordFraming.NEWLINE ? "no record end seen since bytes were missed (or since MigWare started)"
                        : "record lengths lost: bytes were missed (or MigWare started after the connection)";
            } else if (boundary - s.firstSeq < 0) {
                problem = "the head of its record in progress was not kept (" + (resume - boundary) + " bytes)";
            } else {
                start = boundary;
            }
        }
        int end = s.retainedEnd();
        if (start - s.firstSeq < 0 || end - start <= 0) {
            return new Retained(resume, KeptStream.EMPTY, problem);
        }
        int from = s.head + (start - s.firstSeq);
        return new Retained(start, Arrays.copyOfRange(s.buffer, from, s.tail), problem);
    }

    /**
     * Whether the server of one connection was held back by its client's window when it last sent,
     * and the client sent no request since: a response (a download) was still coming, whatever the
     * client acknowledged since. Resumed, such a connection can never be completed.
     */
    public synchronized boolean serverHeldByWindow(int clientAddress, int clientPort, int serviceAddress, int servicePort) {
        KeptStream s = streams.get(ConnectionKey.addresses(clientAddress, serviceAddress), ConnectionKey.ports(clientPort, servicePort));
        return s != null && s.serverHeldByWindow;
    }

    /**
     * Hands one connection's whole stream over to recovery, which owns it from then on.
     *
     * @return the stream, {@code null} when none was kept for replay
     */
    public synchronized ReplayStream takeReplay(int clientAddress, int clientPort, int serviceAddress, int servicePort) {
        return replay == null ? null : replay.take(ConnectionKey.addresses(clientAddress, serviceAddress), ConnectionKey.ports(clientPort, servicePort));
    }

    /** @return every connection kept for replay, copied under the lock; empty when every port resumes */
    public synchronized java.util.List<ReplayKeeper.Kept> keptForReplay() {
        return replay == null ? java.util.List.of() : replay.copy();
    }

    /** @return connections found not replayable since start, by reason's ordinal; zeros when every port resumes */
    public synchronized int[] notReplayableCounts() {
        return replay == null ? new int[org.migware.api.failover.NotReplayableReason.values().length] : replay.notReplayableCounts();
    }

    // ---- the idle sweep (issue 10: every table has a bound in time too) ----

    /**
     * Frees, and counts, the streams of connections gone silent without a FIN or RST: one the
     * tracker no longer holds after {@link IdleExpiry#UNTRACKED_GRACE_NANOS} of silence, one it holds
     * as closed (or with no tracker running) after the idle or half-open time; never one the
     * tracker holds as live. Looks at a bounded piece of the table per call, and asks the tracker
     * outside the keeper's lock, so that the capture thread waits only for two short passes.
     *
     * <p>Called by one periodic thread only (the proxy's), never the capture thread; does nothing
     * once recovery has started.
     *
     * @return the connections whose streams were freed by this call
     */
    public int expireIdle(IdleExpiry.Tracker tracker) {
        long now = nanos.getAsLong();
        synchronized (this) {
            if (frozen) {
                return 0;
            }
            clockNanos = now;
            if (replay != null) {
                replay.clock(now);
            }
            collectIdle(now);
        }
        if (idle.count == 0) {
            return 0;
        }
        idle.decide(tracker);
        synchronized (this) {
            return frozen ? 0 : expireDecided(now);
        }
    }

    /** Notes the streams silent long enough to be asked about, from where the last sweep stopped. */
    private void collectIdle(long now) {
        IdleExpiry c = idle;
        c.clear();
        long shortest = c.shortestQuiet();
        c.streamsCursor = streams.forEachFrom(c.streamsCursor, IdleExpiry.SLOTS_PER_SWEEP, (addresses, ports, s) -> {
            if (c.full()) {
                return false;
            }
            long quiet = now - s.lastSeenNanos;
            if (quiet >= shortest) {
                c.add(addresses, ports, quiet, halfOpen(s));
            }
            return true;
        });
        if (replay == null) {
            return;
        }
        // Streams kept for replay alone: the resume keeper let them go at the client's FIN (a
        // half-closed client waits for its answer), or had no room for them.
        c.replayCursor = replay.forEachFrom(c.replayCursor, IdleExpiry.SLOTS_PER_SWEEP, (addresses, ports, s) -> {
            if (c.full()) {
                return false;
            }
            long quiet = now - s.lastSeenNanos();
            if (quiet >= shortest && streams.get(addresses, ports) == null) {
                c.add(addresses, ports, quiet, s.halfOpen());
            }
            return true;
        });
    }

    /** Frees the decided streams that saw no frame since they were noted; @return the connections freed */
    private int expireDecided(long now) {
        IdleExpiry c = idle;
        int freed = 0;
        for (int i = 0; i < c.count; i++) {
            long need = c.needQuiet[i];
            if (need < 0) {
                continue;
            }
            long addresses = c.addresses[i];
            long ports = c.ports[i];
            boolean removed = false;
            // A frame since the notes stamped its stream with the sweep's own time: it stays.
            KeptStream s = streams.get(addresses, ports);
            if (s != null && now - s.lastSeenNanos >= need) {
                streams.remove(addresses, ports);
                removed = true;
            }
            if (replay != null) {
                org.migware.proxy.internal.replay.ReplayStream r = replay.get(addresses, ports);
                if (r != null && now - r.lastSeenNanos() >= need) {
                    replay.expire(addresses, ports);
                    removed = true;
                }
            }
            if (removed) {
                freed++;
            }
        }
        expiredIdle += freed;
        return freed;
    }

    /** Recovery starts: from now on it reads the streams, and the idle sweep frees none. */
    public synchronized void freeze() {
        frozen = true;
    }

    /** @return connections whose streams were freed because they went silent, or the tracker forgot them */
    public synchronized long expiredIdle() {
        return expiredIdle;
    }

    /** @return how long a silent stream is kept */
    public IdleExpiry.Bounds idleBounds() {
        return idle.bounds();
    }

    /** At failover: gives back the chunks of every stream recovery did not take. */
    public synchronized void releaseReplay() {
        if (replay != null) {
            replay.releaseAll();
        }
    }

    /** @return what replay keeps, or {@code null} when every port resumes */
    public ReplayKeeper replay() {
        return replay;
    }

    // ---- kept across a restart of the proxy bundle before failover (see state.StreamsCodec) ----

    /** What {@link #export} hands each part of the keeper's state to. */
    public interface Exporter {
        void counters(long gaps, long overflows, long connectionsNotKept, int streams) throws java.io.IOException;

        void stream(long addresses, long ports, KeptStream stream) throws java.io.IOException;
    }

    /** Hands the counters, then every stream, to {@code exporter}, all under the keeper's lock. */
    public synchronized void export(Exporter exporter) throws java.io.IOException {
        exporter.counters(gaps, overflows, connectionsNotKept, streams.size());
        java.io.IOException[] failed = {null};
        streams.forEach((addresses, ports, s) -> {
            if (failed[0] != null) {
                return;
            }
            try {
                exporter.stream(addresses, ports, s);
            } catch (java.io.IOException e) {
                failed[0] = e;
            }
        });
        if (failed[0] != null) {
            throw failed[0];
        }
    }

    /** Takes over the counters of the previous activation (before its streams, into a fresh keeper). */
    public synchronized void restoreCounters(long gaps, long overflows, long connectionsNotKept) {
        this.gaps = gaps;
        this.overflows = overflows;
        this.connectionsNotKept = connectionsNotKept;
    }

    /** Takes over one stream of the previous activation. */
    public synchronized void restoreStream(long addresses, long ports, KeptStream stream) {
        stream.lastSeenNanos = clockNanos; // silent from the restore on, as the tracker counts an imported connection
        streams.put(addresses, ports, stream);
    }

    /** @return the most connections kept */
    public int maxConnections() {
        return maxConnections;
    }

    /** @return the most bytes kept per connection */
    public int maxBytesPerConnection() {
        return maxBytesPerConnection;
    }

    /** @return connections whose streams are kept */
    public synchronized int connections() {
        return streams.size();
    }

    /** @return times bytes were missed in a client's stream (capture loss or snapshot length) */
    public synchronized long gaps() {
        return gaps;
    }

    /** @return times a connection's flight exceeded the bytes kept per connection */
    public synchronized long overflows() {
        return overflows;
    }

    /** @return streams of SYNs never followed up that were dropped to make room for a new SYN */
    public synchronized long halfOpenEvicted() {
        return halfOpenEvicted;
    }

    private static boolean halfOpen(KeptStream s) {
        return s != null && s.synSeen && !s.clientSpokeAfterSyn;
    }

    /** @return whether the oldest stream still half-open was dropped */
    private boolean evictOldestHalfOpen() {
        while (!opened.isEmpty()) {
            long[] key = opened.pollFirst();
            if (halfOpen(streams.get(key[0], key[1]))) {
                streams.remove(key[0], key[1]);
                halfOpenEvicted++;
                return true;
            }
        }
        return false;
    }

    /** @return connections not kept because the limit was reached */
    public synchronized long connectionsNotKept() {
        return connectionsNotKept;
    }

    /** @return which endpoints are the service's */
    public ServiceEndpoints service() {
        return service.get();
    }

    /** @return the framing the keeper follows */
    public RecordFraming framing() {
        return framing;
    }
}
