package org.migware.proxy.internal;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.DirectionState;
import org.migware.api.packet.ParseResult;
import org.migware.api.packet.RewritablePacket;
import org.migware.proxy.internal.wire.Ipv4Address;
import org.migware.proxy.internal.wire.Ipv4TcpWriter;
import org.migware.proxy.internal.wire.PacketPort;
import org.migware.proxy.internal.wire.WirePort;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RECOVERY and PROXY for every connection: forged handshakes from shadow endpoints to the
 * replica, then the translation of each segment both ways.
 *
 * <ul>
 * <li>client → replica: captured frames to the service, rewritten to come from the connection's
 * shadow endpoint and go to the replica (ack and SACK shifted by D2, TSecr back onto the
 * replica's clock, options MigWare cannot carry turned into NOPs), written into the TUN;</li>
 * <li>replica → client: IPv4 packets read from the TUN, rewritten to come from the primary (its
 * address, port and MAC) to the client (seq shifted by D2, TSval onto the primary's clock,
 * window rescaled), sent on the wire;</li>
 * <li>ARP requests for the service address answered with the primary's MAC;</li>
 * <li>new connections (SYNs after failover) passed through with zero offsets.</li>
 * </ul>
 *
 * <p>Three threads enter it: the capture thread (client frames), the TUN reader (replica
 * packets) and the recovery pacer. One lock orders them; translation is a handful of field
 * writes, so the lock is held for microseconds. Buffers and views are the engine's own and
 * reused: the per-packet path allocates nothing (only frames that arrive during a connection's
 * handshake are copied, to be flushed in order once it completes).
 */
final class MigrationEngine {

    private static final Logger LOG = LoggerFactory.getLogger(MigrationEngine.class);
    private static final int ETHERNET_HEADER = 14;
    private static final int MAX_FRAME = 65_535 + ETHERNET_HEADER;
    private static final int MAX_PENDING_PER_CONNECTION = 256;
    private static final byte[] NOTHING = new byte[0];
    /** The MSS TCP assumes when a SYN-ACK carries none (RFC 9293 3.7.1). */
    private static final int DEFAULT_MSS = 536;
    private static final int TIMESTAMPS_OPTION_SPACE = 12;
    private static final int REWRITE_AT_DUPLICATE = 2;
    private static final int REWRITE_EVERY_DUPLICATES = 8;
    private static final long RESET_WINDOW_NANOS = 1_000_000_000L;
    private static final int MAX_RESETS_PER_WINDOW = 1000;
    private static final long PROGRESS_LOG_NANOS = 250_000_000L;
    static final long CLOSED_LINGER_NANOS = 10_000_000_000L;

    /**
     * @param replicaAddress the replica's IPv4 address (the backup's)
     * @param replicaPort the replica's port, 0 for the service's own
     * @param handshakesInFlight forged handshakes outstanding at once, so the replica's listen
     *     backlog never overflows
     * @param synRetryNanos how long a forged SYN may go unanswered before it is sent again
     * @param synAttempts forged SYNs per connection before it counts as failed
     */
    record Settings(int replicaAddress, int replicaPort, int handshakesInFlight, long synRetryNanos, int synAttempts) {
    }

    enum State { QUEUED, HANDSHAKING, ESTABLISHED, FAILED, CLOSED }

    /** One connection's mapping between client and replica. */
    static final class Mapping {
        final RecoveryCandidate candidate;
        final int clientAddress;
        final int clientPort;
        final long clientMac;
        final int primaryAddress;
        final int primaryPort;
        final long primaryMac;
        final int shadowAddress;
        final int shadowPort;
        State state;
        ConnectionTranslation translation;
        ArrayDeque<byte[]> pending;
        /**
         * Client bytes MigWare hands to the replica itself, from {@code streamStart} on: the head
         * of the record in progress (with a framing) and what the primary had not acknowledged.
         */
        byte[] handOver = NOTHING;
        /** The client sequence number of the replica's first byte: the resume point, or the record head's start. */
        int streamStart;
        /** Bytes of {@code handOver} written at least once. */
        int handOverSent;
        /** The replica's highest acknowledgement during the hand-over, and how often it repeated it. */
        int handOverAck;
        int handOverDuplicates;
        String headProblem;
        int replicaIsn;
        int replicaWindowShift;
        int segmentSize;
        /** Newest client TSval and replica TSval seen, for the segments MigWare writes itself (PAWS). */
        int lastClientTsval;
        int lastReplicaTsval;
        /** The client's newest acknowledgement, in the replica's numbers. */
        int lastAckToReplica;
        long synSentNanos;
        int synAttempts;
        long toReplica;
        long toClient;
        /** Each side's FIN has passed; once both have, the mapping lingers and is then removed. */
        boolean clientFin;
        boolean replicaFin;
        /** Client and primary negotiated ECN; the replica's SYN-ACK did not agree. */
        boolean ecnRefused;
        long closingSinceNanos;

        Mapping(RecoveryCandidate candidate, int clientAddress, int clientPort, long clientMac,
                int primaryAddress, int primaryPort, long primaryMac, long shadow) {
            this.candidate = candidate;
            this.clientAddress = clientAddress;
            this.clientPort = clientPort;
            this.clientMac = clientMac;
            this.primaryAddress = primaryAddress;
            this.primaryPort = primaryPort;
            this.primaryMac = primaryMac;
            this.shadowAddress = ShadowEndpoints.address(shadow);
            this.shadowPort = ShadowEndpoints.port(shadow);
        }
    }

    private final Settings settings;
    private final ShadowEndpoints shadows;
    private final PacketPort tun;
    private final WirePort wire;
    private final LongSupplier nanos;
    private final RewritablePacket clientView;
    private final RewritablePacket replicaView;
    private final Ipv4TcpWriter writer = new Ipv4TcpWriter();
    private final byte[] clientFrame = new byte[MAX_FRAME];
    private final byte[] replicaFrame = new byte[MAX_FRAME];
    private final byte[] forged = new byte[128];
    private final byte[] handOverPacket = new byte[Ipv4TcpWriter.IPV4_HEADER_LENGTH + Ipv4TcpWriter.TCP_HEADER_LENGTH
            + Ipv4TcpWriter.MAX_TCP_OPTIONS_LENGTH + 0xffff];
    private final ClientStreamKeeper keeper;
    private final byte[] arpReply = new byte[64];
    private final byte[] resetFrame = new byte[ETHERNET_HEADER + Ipv4TcpWriter.IPV4_HEADER_LENGTH + Ipv4TcpWriter.TCP_HEADER_LENGTH];
    private long resetWindowStartNanos;
    private int resetsInWindow;
    private long resetsSent;
    private int ecnRefusedCount;

    private final LongMap<Mapping> byClient = new LongMap<>();
    private final LongMap<Mapping> byShadow = new LongMap<>();
    private final ArrayDeque<Mapping> queued = new ArrayDeque<>();
    /** Mappings closed by both FINs, oldest first, waiting out their linger. */
    private final ArrayDeque<Mapping> closing = new ArrayDeque<>();
    private final List<RecoveryCandidate.NotRecoverable> notRecoverable = new ArrayList<>();
    private int handshaking;
    private long lastProgressLogNanos;
    private long paces;
    /** Connections waiting in the replica's accept queue, as last read plus handshakes completed since; -1 unknown. */
    private int acceptWaiting = ReplicaAcceptQueue.UNKNOWN;
    private volatile java.util.function.IntUnaryOperator acceptQueue = port -> ReplicaAcceptQueue.UNKNOWN;
    /** The replica port of the next queued connection, whose accept queue the pacer reads; 0 when none waits. */
    private volatile int watchedPort;
    private int recovered;
    private int failed;
    private int passedThrough;
    private long dropped;
    private int notRecoverableCount;
    private int headsPrepended;
    private int headsMissing;
    private long bytesHandedOver;
    private long recoveryStartedNanos = -1;
    private long recoveryFinishedNanos = -1;
    /** Volatile: the capture thread asks, without the lock, whether frames still go to the keeper. */
    private volatile boolean active;
    private Consumer<String> onRecoveryFinished = summary -> { };

    MigrationEngine(Settings settings, ShadowEndpoints shadows, ClientStreamKeeper keeper, PacketPort tun, WirePort wire,
            RewritablePacket clientView, RewritablePacket replicaView, LongSupplier nanos) {
        this.settings = settings;
        this.keeper = keeper;
        this.shadows = shadows;
        this.tun = tun;
        this.wire = wire;
        this.clientView = clientView;
        this.replicaView = replicaView;
        this.nanos = nanos;
        // The replica's packets come from the TUN without a link header: give them one, once.
        replicaFrame[12] = 0x08;
        replicaFrame[13] = 0x00;
    }

    // ---- RECOVERY ----

    /** Starts recovering every recoverable connection of the snapshot; {@code done} is told when all have finished. */
    void startRecovery(List<ConnectionSnapshot> connections, Consumer<String> done) {
        synchronized (this) {
            if (active) {
                // One failover, one recovery: a repeated RECOVERY event must not forge a second set of connections.
                LOG.warn("proxy: recovery already started; ignored");
                return;
            }
            onRecoveryFinished = done;
            active = true;
            recoveryStartedNanos = nanos.getAsLong();
            for (ConnectionSnapshot snapshot : connections) {
                RecoveryCandidate.Assessment assessment = RecoveryCandidate.assess(snapshot);
                if (assessment instanceof RecoveryCandidate.Recoverable recoverable) {
                    RecoveryCandidate c = recoverable.candidate();
                    Mapping mapping = new Mapping(c, c.clientAddress(), c.clientPort(), c.clientMac(),
                            c.primaryAddress(), c.primaryPort(), c.primaryMac(), shadows.allocate());
                    mapping.state = State.QUEUED;
                    takeHandOver(mapping, c);
                    register(mapping);
                    queued.add(mapping);
                } else {
                    RecoveryCandidate.NotRecoverable not = (RecoveryCandidate.NotRecoverable) assessment;
                    notRecoverable.add(not);
                    notRecoverableCount++;
                    LOG.warn("proxy: {} -> {} not recoverable: {}", not.snapshot().client().hostAndPort(),
                            not.snapshot().server().hostAndPort(), not.reason());
                }
            }
            LOG.info("proxy: recovering {} connections ({} not recoverable); {} bytes of theirs to hand over{}", queued.size(),
                    notRecoverable.size(), bytesHandedOver, keeper.framing() == RecordFraming.NONE ? ""
                            : ", " + headsPrepended + " record heads prepended (framing " + keeper.framing().configName() + ")");
            pace();
        }
    }

    /** What the keeper saw of the client's stream becomes the start of the replica's. */
    private void takeHandOver(Mapping mapping, RecoveryCandidate c) {
        ClientStreamKeeper.Retained retained = keeper.retained(c.clientAddress(), c.clientPort(), c.primaryPort(), c.clientResume());
        mapping.streamStart = retained.firstSeq();
        mapping.handOver = retained.bytes();
        mapping.headProblem = retained.headProblem();
        mapping.lastClientTsval = c.clientLastTsval();
        bytesHandedOver += retained.bytes().length;
        if (retained.firstSeq() != c.clientResume()) {
            headsPrepended++;
        }
        if (retained.headProblem() != null) {
            headsMissing++;
            LOG.warn("proxy: {}: record head not kept ({}): the replica's application may see a torn first record",
                    describe(mapping), retained.headProblem());
        }
    }

    /** Sends queued forged SYNs while there is room, and retries or fails the unanswered; call it often. */
    /** @return whether connections still wait for their forged handshake to start */
    boolean pace() {
        // Read outside the lock: the capture and TUN threads should not wait for a /proc read.
        int port = watchedPort;
        int waiting = port > 0 ? acceptQueue.applyAsInt(port) : ReplicaAcceptQueue.UNKNOWN;
        paceLocked(waiting);
        return watchedPort > 0;
    }

    private synchronized void paceLocked(int replicaAcceptWaiting) {
        if (!active) {
            return;
        }
        acceptWaiting = replicaAcceptWaiting;
        paces++;
        long now = nanos.getAsLong();
        removeClosed(now);
        if (recoveryFinishedNanos < 0 && now - lastProgressLogNanos >= PROGRESS_LOG_NANOS) {
            lastProgressLogNanos = now;
            LOG.info("proxy: recovering: {} recovered, {} handshaking, {} queued, {} waiting in the replica's accept queue ({} paces)",
                    recovered, handshaking, queued.size(), acceptWaiting, paces);
        }
        if (handshaking > 0) {
            byShadow.forEachValue(mapping -> {
                if (mapping.state == State.HANDSHAKING && now - mapping.synSentNanos >= settings.synRetryNanos()) {
                    if (mapping.synAttempts >= settings.synAttempts()) {
                        mapping.state = State.FAILED;
                        handshaking--;
                        failed++;
                        mapping.pending = null;
                        LOG.warn("proxy: {}: the replica did not answer {} forged SYNs", describe(mapping), mapping.synAttempts);
                    } else {
                        sendForgedSyn(mapping, now);
                    }
                }
            });
        }
        startQueued(now);
    }

    /**
     * Where the pacer reads how many connections wait in the replica's accept queue, by port
     * ({@link ReplicaAcceptQueue#waiting}); they count against the handshakes in flight.
     */
    void replicaAcceptQueue(java.util.function.IntUnaryOperator waitingOnPort) {
        acceptQueue = waitingOnPort;
    }

    /**
     * Fills the handshakes in flight up to the limit from the queue — counting the replica's
     * accept queue in, so that its listen backlog never overflows (a full backlog drops SYNs and
     * final ACKs, and each costs a retransmission timer) — and reports the end of recovery once
     * nothing is left.
     */
    private void startQueued(long now) {
        while (handshaking + Math.max(0, acceptWaiting) < settings.handshakesInFlight() && !queued.isEmpty()) {
            Mapping mapping = queued.poll();
            mapping.state = State.HANDSHAKING;
            handshaking++;
            sendForgedSyn(mapping, now);
        }
        watchedPort = queued.isEmpty() ? 0 : replicaPort(queued.peek());
        if (recoveryFinishedNanos < 0 && queued.isEmpty() && handshaking == 0) {
            recoveryFinishedNanos = now;
            String summary = summary();
            LOG.info("proxy: recovery finished: {}", summary);
            onRecoveryFinished.accept(summary);
        }
    }

    private void sendForgedSyn(Mapping mapping, long now) {
        RecoveryCandidate c = mapping.candidate;
        writer.begin(forged, 0)
                .source(mapping.shadowAddress, mapping.shadowPort)
                .destination(settings.replicaAddress(), replicaPort(mapping))
                .sequence(mapping.streamStart - 1)
                .acknowledgement(0)
                // RFC 3168's ECN-setup SYN, when the client's own SYN was one.
                .flags(c.ecn() ? Ipv4TcpWriter.SYN | Ipv4TcpWriter.ECE | Ipv4TcpWriter.CWR : Ipv4TcpWriter.SYN)
                .window(0xffff)
                .mss(c.clientMss());
        if (c.sackPermitted()) {
            writer.sackPermitted();
        }
        if (c.timestamps()) {
            // The client's own clock: the replica's PAWS check then accepts the client's next segments.
            writer.timestamps(c.clientLastTsval(), 0);
        }
        if (c.clientWindowScale() >= 0) {
            writer.nop().windowScale(c.clientWindowScale());
        }
        int length = writer.finish();
        mapping.synSentNanos = now;
        mapping.synAttempts++;
        writeToTun(forged, 0, length);
    }

    private void completeHandshake(Mapping mapping, RewritablePacket synAck) {
        RecoveryCandidate c = mapping.candidate;
        int replicaIsn = synAck.sequenceNumber();
        int replicaShift = c.clientWindowScale() >= 0 && synAck.windowScale() >= 0 ? synAck.windowScale() : 0;
        int tsOffset = c.timestamps() && synAck.hasTimestamps()
                ? ConnectionTranslation.timestampOffset(c.primaryLastTsval(), synAck.timestampValue()) : 0;
        mapping.translation = ConnectionTranslation.builder()
                .client(mapping.clientAddress, mapping.clientPort)
                .service(mapping.primaryAddress, mapping.primaryPort)
                .shadow(mapping.shadowAddress, mapping.shadowPort)
                .replica(settings.replicaAddress(), replicaPort(mapping))
                .clientSequence(mapping.streamStart - 1, mapping.streamStart)
                .serverSequence(replicaIsn, c.clientAck())
                .timestampOffset(tsOffset)
                .windowShifts(c.primaryWindowScale(), replicaShift)
                .build();
        mapping.replicaIsn = replicaIsn;
        mapping.replicaWindowShift = replicaShift;
        if (c.ecn() && (synAck.flags() & (DirectionState.AE | DirectionState.CWR | DirectionState.ECE)) != DirectionState.ECE) {
            // The client goes on believing in ECN; the replica ignores its marks. The connection
            // works, but congestion on the client's path is then seen only through losses.
            mapping.ecnRefused = true;
            ecnRefusedCount++;
        }
        mapping.lastReplicaTsval = synAck.hasTimestamps() ? synAck.timestampValue() : 0;
        mapping.lastAckToReplica = replicaIsn + 1;
        mapping.handOverAck = mapping.streamStart;
        mapping.segmentSize = Math.max(1, Math.min(c.clientMss() > 0 ? c.clientMss() : DEFAULT_MSS,
                synAck.mss() > 0 ? synAck.mss() : DEFAULT_MSS) - (c.timestamps() ? TIMESTAMPS_OPTION_SPACE : 0));
        sendHandshakeAck(mapping, synAck);
        mapping.state = State.ESTABLISHED;
        handshaking--;
        recovered++;
        if (acceptWaiting >= 0) {
            acceptWaiting++; // it waits for the application's accept() now, until the pacer reads the queue again
        }
        // A SYN-ACK's window is never scaled.
        continueHandOver(mapping, mapping.streamStart, synAck.window());
        ArrayDeque<byte[]> pending = mapping.pending;
        mapping.pending = null;
        if (pending != null) {
            for (byte[] frame : pending) {
                forwardToReplica(mapping, frame, 0, frame.length);
            }
        }
        // The next forged SYN goes now, not at the pacer's next tick: recovery runs at the replica's pace.
        startQueued(nanos.getAsLong());
    }

    private void sendHandshakeAck(Mapping mapping, RewritablePacket synAck) {
        RecoveryCandidate c = mapping.candidate;
        writer.begin(forged, 0)
                .source(mapping.shadowAddress, mapping.shadowPort)
                .destination(settings.replicaAddress(), replicaPort(mapping))
                .sequence(mapping.streamStart)
                .acknowledgement(synAck.sequenceNumber() + 1)
                .flags(Ipv4TcpWriter.ACK)
                .window(Math.min(c.clientLastWindow(), 0xffff));
        if (c.timestamps() && synAck.hasTimestamps()) {
            writer.nop().nop().timestamps(mapping.lastClientTsval, synAck.timestampValue());
        }
        writeToTun(forged, 0, writer.finish());
    }

    /**
     * Writes the hand-over bytes the replica's window admits, from its acknowledgement on. The
     * client will never send the record head again, so only MigWare can repair its loss: when the
     * replica repeats an acknowledgement inside the hand-over (its second duplicate, then every
     * eighth), the segment at that point is written again — one segment, never the whole window, as
     * a bulk client's retransmissions make the replica repeat its acknowledgement many times.
     *
     * @param replicaAck the replica's acknowledgement (client space; d1 is 0)
     * @param windowBytes the replica's window in bytes
     */
    private void continueHandOver(Mapping mapping, int replicaAck, long windowBytes) {
        byte[] bytes = mapping.handOver;
        if (bytes.length == 0) {
            return;
        }
        int acked = replicaAck - mapping.streamStart;
        if (acked >= bytes.length) {
            mapping.handOver = NOTHING; // all delivered
            return;
        }
        if (acked < 0) {
            acked = 0;
        }
        if (replicaAck - mapping.handOverAck > 0) {
            mapping.handOverAck = replicaAck;
            mapping.handOverDuplicates = 0;
        } else if (replicaAck == mapping.handOverAck && acked < mapping.handOverSent
                && ++mapping.handOverDuplicates % REWRITE_EVERY_DUPLICATES == REWRITE_AT_DUPLICATE) {
            writeHandOver(mapping, acked, Math.min(mapping.segmentSize, mapping.handOverSent - acked));
        }
        int from = Math.max(mapping.handOverSent, acked);
        int limit = (int) Math.min(bytes.length, acked + Math.max(0, windowBytes));
        while (from < limit) {
            int length = Math.min(mapping.segmentSize, limit - from);
            writeHandOver(mapping, from, length);
            from += length;
        }
        mapping.handOverSent = Math.max(mapping.handOverSent, from);
    }

    private void writeHandOver(Mapping mapping, int from, int length) {
        RecoveryCandidate c = mapping.candidate;
        writer.begin(handOverPacket, 0)
                .source(mapping.shadowAddress, mapping.shadowPort)
                .destination(settings.replicaAddress(), replicaPort(mapping))
                .sequence(mapping.streamStart + from)
                .acknowledgement(mapping.lastAckToReplica)
                .flags(Ipv4TcpWriter.ACK | (from + length == mapping.handOver.length ? Ipv4TcpWriter.PSH : 0))
                .window(Math.min(c.clientLastWindow(), 0xffff));
        if (c.timestamps()) {
            writer.nop().nop().timestamps(mapping.lastClientTsval, mapping.lastReplicaTsval);
        }
        writer.payload(mapping.handOver, from, length);
        writeToTun(handOverPacket, 0, writer.finish());
    }

    // ---- client -> replica ----

    /** A frame captured on the wire; only frames to the service matter once the engine is active. */
    synchronized void fromClient(byte[] frame, int offset, int length) {
        if (!active || length > MAX_FRAME) {
            return;
        }
        if (length >= ArpResponder.FRAME_LENGTH && frame[offset + 12] == 0x08 && frame[offset + 13] == 0x06) {
            answerArp(frame, offset, length);
            return;
        }
        // Our own copy: other listeners read the same capture buffer, and we rewrite in place.
        System.arraycopy(frame, offset, clientFrame, 0, length);
        if (clientView.parse(clientFrame, 0, length) != ParseResult.TCP || clientView.ipVersion() != 4) {
            return;
        }
        if (clientView.capturedPayloadLength() != clientView.payloadLength()) {
            // Cut by the capture's snapshot length (or lying about its length): the replica must not
            // get a part of a segment as if it were whole. The client retransmits what is lost.
            dropped++;
            return;
        }
        long key = clientKey(clientView.sourceIpv4(), clientView.sourcePort(), clientView.destinationPort());
        Mapping mapping = byClient.get(key);
        if (mapping == null) {
            if (!keeper.service().isService(clientView.destinationAddressHigh(), clientView.destinationAddressLow(),
                    clientView.destinationPort())) {
                return; // not to the service: other traffic on the mirror, or what MigWare itself sent to a client
            }
            if (clientView.hasFlags(RewritablePacket.SYN) && !clientView.hasFlags(RewritablePacket.ACK)) {
                mapping = passThrough(clientView);
            } else {
                // No connection here: one that could not be recovered (its handshake was missed, say),
                // or one that never existed. The service address is MigWare's now, and a host answers
                // a segment of no connection with a reset (RFC 9293 3.10.7.1): the client learns at
                // once, instead of retransmitting into silence until its timeout, and can reconnect.
                // A reset is never answered, so a spoofed one changes nothing.
                dropped++;
                if (!clientView.hasFlags(RewritablePacket.RST)) {
                    resetUnknown(clientView);
                }
                return;
            }
        }
        switch (mapping.state) {
            case QUEUED, HANDSHAKING -> {
                if (mapping.pending == null) {
                    mapping.pending = new ArrayDeque<>();
                }
                if (mapping.pending.size() < MAX_PENDING_PER_CONNECTION) {
                    mapping.pending.add(java.util.Arrays.copyOf(clientFrame, length));
                } else {
                    dropped++;
                }
            }
            case ESTABLISHED -> forwardToReplica(mapping, clientFrame, 0, length);
            case FAILED -> {
                // The replica never took it: the client is told, as for a connection never recovered.
                dropped++;
                if (!clientView.hasFlags(RewritablePacket.RST)) {
                    resetUnknown(clientView);
                }
            }
            default -> dropped++;
        }
    }

    /** The reset a host sends for a segment of no connection, from the service's address and MAC. */
    private void resetUnknown(RewritablePacket segment) {
        long now = nanos.getAsLong();
        if (now - resetWindowStartNanos >= RESET_WINDOW_NANOS) {
            resetWindowStartNanos = now;
            resetsInWindow = 0;
        }
        if (resetsInWindow >= MAX_RESETS_PER_WINDOW) {
            return; // a flood of segments for no connection gets no flood of resets back
        }
        resetsInWindow++;
        writer.begin(resetFrame, ETHERNET_HEADER)
                .source(segment.destinationIpv4(), segment.destinationPort())
                .destination(segment.sourceIpv4(), segment.sourcePort());
        if (segment.hasFlags(RewritablePacket.ACK)) {
            writer.sequence(segment.acknowledgementNumber()).acknowledgement(0).flags(Ipv4TcpWriter.RST);
        } else {
            int length = segment.payloadLength() + (segment.hasFlags(RewritablePacket.SYN) ? 1 : 0)
                    + (segment.hasFlags(RewritablePacket.FIN) ? 1 : 0);
            writer.sequence(0).acknowledgement(segment.sequenceNumber() + length).flags(Ipv4TcpWriter.RST | Ipv4TcpWriter.ACK);
        }
        int length = writer.window(0).finish();
        putMac(resetFrame, 0, segment.sourceMac());
        putMac(resetFrame, 6, segment.destinationMac());
        resetFrame[12] = 0x08;
        resetFrame[13] = 0x00;
        try {
            wire.send(resetFrame, 0, ETHERNET_HEADER + length);
            resetsSent++;
        } catch (IOException e) {
            LOG.warn("proxy: cannot reset {}:{}: {}", Ipv4Address.text(segment.sourceIpv4()), segment.sourcePort(), e.toString());
        }
    }

    private static void putMac(byte[] frame, int at, long mac) {
        for (int i = 0; i < 6; i++) {
            frame[at + i] = (byte) (mac >>> (40 - 8 * i));
        }
    }

    private Mapping passThrough(RewritablePacket syn) {
        Mapping mapping = new Mapping(null, syn.sourceIpv4(), syn.sourcePort(), syn.sourceMac(),
                syn.destinationIpv4(), syn.destinationPort(), syn.destinationMac(), shadows.allocate());
        mapping.translation = ConnectionTranslation.builder()
                .client(mapping.clientAddress, mapping.clientPort)
                .service(mapping.primaryAddress, mapping.primaryPort)
                .shadow(mapping.shadowAddress, mapping.shadowPort)
                .replica(settings.replicaAddress(), replicaPort(mapping))
                .clientSequence(0, 1)
                .serverSequence(0, 1)
                .timestampOffset(0)
                .windowShifts(0, 0)
                .build();
        mapping.state = State.ESTABLISHED;
        register(mapping);
        passedThrough++;
        LOG.info("proxy: new connection {} passed to the replica", describe(mapping));
        return mapping;
    }

    /** Rewrites one client frame (already in a buffer of ours) for the replica and writes its IP packet into the TUN. */
    private void forwardToReplica(Mapping mapping, byte[] frame, int offset, int length) {
        RewritablePacket p = clientView;
        if (frame != clientFrame) {
            System.arraycopy(frame, offset, clientFrame, 0, length);
            if (p.parse(clientFrame, 0, length) != ParseResult.TCP) {
                return;
            }
        }
        ConnectionTranslation t = mapping.translation;
        p.setSourceIpv4(mapping.shadowAddress);
        p.setSourcePort(mapping.shadowPort);
        p.setDestinationIpv4(settings.replicaAddress());
        p.setDestinationPort(replicaPort(mapping));
        p.setSequenceNumber(t.clientToReplicaSeq(p.sequenceNumber()));
        if (p.hasFlags(RewritablePacket.ACK)) {
            int ack = t.clientToReplicaAck(p.acknowledgementNumber());
            p.setAcknowledgementNumber(ack);
            if (ack - mapping.lastAckToReplica > 0) {
                mapping.lastAckToReplica = ack;
            }
        }
        for (int i = 0; i < p.sackBlockCount(); i++) {
            p.setSackBlock(i, t.clientToReplicaSackEdge(p.sackBlockLeft(i)), t.clientToReplicaSackEdge(p.sackBlockRight(i)));
        }
        if (p.hasTimestamps()) {
            if (p.timestampValue() - mapping.lastClientTsval > 0) {
                mapping.lastClientTsval = p.timestampValue();
            }
            p.setTimestamps(p.timestampValue(), t.clientToReplicaTsecr(p.timestampEchoReply()));
        }
        p.replaceUnknownOptionsWithNops();
        p.updateIpv4HeaderChecksum();
        p.updateTcpChecksum();
        int ipLength = p.tcpOffset() - p.ipOffset() + p.tcpHeaderLength() + p.payloadLength();
        writeToTun(clientFrame, p.ipOffset(), ipLength);
        mapping.toReplica++;
        if (p.hasFlags(RewritablePacket.RST)) {
            close(mapping, "the client reset it");
        } else if (p.hasFlags(RewritablePacket.FIN)) {
            mapping.clientFin = true;
            lingerIfClosed(mapping);
        }
    }

    /**
     * Both sides have sent their FIN: the connection is closing in both kernels. The mapping
     * stays for {@link #CLOSED_LINGER_NANOS} — the last ACK, or a FIN sent again, must still be
     * translated — and is removed by the pacer afterwards, so that closed connections do not
     * pile up in PROXY.
     */
    private void lingerIfClosed(Mapping mapping) {
        if (mapping.clientFin && mapping.replicaFin && mapping.closingSinceNanos == 0) {
            mapping.closingSinceNanos = Math.max(1, nanos.getAsLong());
            closing.add(mapping);
        }
    }

    private void removeClosed(long now) {
        while (!closing.isEmpty() && now - closing.peek().closingSinceNanos >= CLOSED_LINGER_NANOS) {
            Mapping mapping = closing.poll();
            if (mapping.state != State.CLOSED) {
                close(mapping, "closed by both sides");
            }
        }
    }

    // ---- replica -> client ----

    /** An IPv4 packet read from the TUN: the replica's answer to a shadow endpoint. */
    synchronized void fromReplica(byte[] packet, int offset, int length) {
        if (length + ETHERNET_HEADER > MAX_FRAME) {
            return;
        }
        System.arraycopy(packet, offset, replicaFrame, ETHERNET_HEADER, length);
        RewritablePacket p = replicaView;
        if (p.parse(replicaFrame, 0, length + ETHERNET_HEADER) != ParseResult.TCP) {
            return;
        }
        if (p.capturedPayloadLength() != p.payloadLength()) {
            // The kernel hands the TUN whole packets: an IP length beyond the bytes is a broken
            // packet, and passing it on would put a frame on the wire that lies about its size.
            dropped++;
            return;
        }
        Mapping mapping = byShadow.get(shadowKey(p.destinationIpv4(), p.destinationPort()));
        if (mapping == null) {
            dropped++;
            return;
        }
        boolean synAck = p.hasFlags(RewritablePacket.SYN | RewritablePacket.ACK);
        if (mapping.state == State.HANDSHAKING) {
            if (synAck && p.acknowledgementNumber() == mapping.streamStart) {
                completeHandshake(mapping, p);
            } else if (p.hasFlags(RewritablePacket.RST)) {
                // The replica refused the forged SYN (nothing listening?): try again until the attempts run out.
                mapping.synSentNanos = Long.MIN_VALUE / 2;
            }
            return;
        }
        if (mapping.state != State.ESTABLISHED) {
            dropped++;
            return;
        }
        if (synAck && mapping.candidate != null) {
            // Our ACK of its SYN-ACK was lost or its accept queue was full: acknowledge again.
            sendHandshakeAck(mapping, p);
            return;
        }
        if (p.hasFlags(RewritablePacket.RST) && mapping.candidate != null && mapping.toClient == 0 && mapping.toReplica == 0) {
            // A reset before anything was exchanged answers our own forgery, not the client.
            close(mapping, "the replica reset the re-created connection");
            return;
        }
        if (mapping.handOver.length > 0 && p.hasFlags(RewritablePacket.ACK)) {
            continueHandOver(mapping, p.acknowledgementNumber(), (long) p.window() << mapping.replicaWindowShift);
        }
        if (p.hasTimestamps() && p.timestampValue() - mapping.lastReplicaTsval > 0) {
            mapping.lastReplicaTsval = p.timestampValue();
        }
        ConnectionTranslation t = mapping.translation;
        p.setSourceMac(mapping.primaryMac);
        p.setDestinationMac(mapping.clientMac);
        p.setSourceIpv4(mapping.primaryAddress);
        p.setSourcePort(mapping.primaryPort);
        p.setDestinationIpv4(mapping.clientAddress);
        p.setDestinationPort(mapping.clientPort);
        p.setSequenceNumber(t.replicaToClientSeq(p.sequenceNumber()));
        if (p.hasFlags(RewritablePacket.ACK)) {
            p.setAcknowledgementNumber(t.replicaToClientAck(p.acknowledgementNumber()));
        }
        for (int i = 0; i < p.sackBlockCount(); i++) {
            p.setSackBlock(i, t.replicaToClientSackEdge(p.sackBlockLeft(i)), t.replicaToClientSackEdge(p.sackBlockRight(i)));
        }
        if (p.hasTimestamps()) {
            p.setTimestamps(t.replicaToClientTsval(p.timestampValue()), p.timestampEchoReply());
        }
        if (!p.hasFlags(RewritablePacket.SYN)) {
            // A SYN's window is never scaled (RFC 7323 2.2).
            p.setWindow(t.replicaToClientWindow(p.window()));
        }
        p.updateIpv4HeaderChecksum();
        p.updateTcpChecksum();
        try {
            wire.send(replicaFrame, 0, length + ETHERNET_HEADER);
            mapping.toClient++;
        } catch (IOException e) {
            dropped++;
            LOG.warn("proxy: cannot send to {}: {}", describe(mapping), e.toString());
        }
        if (p.hasFlags(RewritablePacket.RST)) {
            close(mapping, "the replica reset it");
        } else if (p.hasFlags(RewritablePacket.FIN)) {
            mapping.replicaFin = true;
            lingerIfClosed(mapping);
        }
    }

    // ---- ARP ----

    private void answerArp(byte[] frame, int offset, int length) {
        // Answer for every service address a mapping stands for; there are one or a few.
        long[] answered = {Long.MIN_VALUE};
        byClient.forEachValue(mapping -> {
            if (answered[0] == mapping.primaryAddress) {
                return;
            }
            int reply = ArpResponder.reply(frame, offset, length, mapping.primaryAddress, mapping.primaryMac, arpReply);
            if (reply > 0) {
                answered[0] = mapping.primaryAddress;
                try {
                    wire.send(arpReply, 0, reply);
                } catch (IOException e) {
                    LOG.warn("proxy: cannot answer ARP: {}", e.toString());
                }
            }
        });
    }

    // ---- bookkeeping ----

    private void register(Mapping mapping) {
        byClient.put(clientKey(mapping.clientAddress, mapping.clientPort, mapping.primaryPort), mapping);
        byShadow.put(shadowKey(mapping.shadowAddress, mapping.shadowPort), mapping);
    }

    private void close(Mapping mapping, String why) {
        mapping.state = State.CLOSED;
        long client = clientKey(mapping.clientAddress, mapping.clientPort, mapping.primaryPort);
        // The client may have reused its port for a new connection meanwhile: that mapping stays.
        if (byClient.get(client) == mapping) {
            byClient.remove(client);
        }
        byShadow.remove(shadowKey(mapping.shadowAddress, mapping.shadowPort));
        LOG.info("proxy: {} ended: {}", describe(mapping), why);
    }

    private void writeToTun(byte[] packet, int offset, int length) {
        try {
            tun.write(packet, offset, length);
        } catch (IOException e) {
            dropped++;
            LOG.warn("proxy: cannot write to the TUN: {}", e.toString());
        }
    }

    private int replicaPort(Mapping mapping) {
        return settings.replicaPort() == 0 ? mapping.primaryPort : settings.replicaPort();
    }

    static long clientKey(int clientAddress, int clientPort, int servicePort) {
        return (clientAddress & 0xffff_ffffL) << 32 | (long) clientPort << 16 | servicePort;
    }

    static long shadowKey(int shadowAddress, int shadowPort) {
        return (shadowAddress & 0xffff_ffffL) << 16 | shadowPort;
    }

    private static String describe(Mapping mapping) {
        return Ipv4Address.text(mapping.clientAddress) + ":" + mapping.clientPort + " (shadow "
                + Ipv4Address.text(mapping.shadowAddress) + ":" + mapping.shadowPort + ")";
    }

    synchronized String summary() {
        if (recoveryStartedNanos < 0) {
            return "ready: no failover yet (" + passedThrough + " new connections passed through)";
        }
        long millis = recoveryStartedNanos < 0 ? 0
                : ((recoveryFinishedNanos < 0 ? nanos.getAsLong() : recoveryFinishedNanos) - recoveryStartedNanos) / 1_000_000;
        String framing = keeper.framing() == RecordFraming.NONE ? ""
                : "; framing " + keeper.framing().configName() + ": " + headsPrepended + " record heads prepended, "
                        + headsMissing + " not kept";
        return recovered + " recovered, " + failed + " failed, " + (queued.size() + handshaking) + " pending, "
                + notRecoverableCount + " not recoverable, in " + millis + " ms; " + bytesHandedOver
                + " client bytes handed over" + framing + (resetsSent == 0 ? "" : "; " + resetsSent + " resets for no connection")
                + (ecnRefusedCount == 0 ? "" : "; ECN refused by the replica for " + ecnRefusedCount);
    }

    /** One line per mapping, for {@code migware:connections} in PROXY. */
    synchronized List<String> describeMappings() {
        List<String> lines = new ArrayList<>();
        byClient.forEachValue(m -> lines.add(describe(m) + " state=" + m.state
                + (m.translation == null ? "" : " d2=" + Integer.toUnsignedString(m.translation.d2())
                        + " tsOffset=" + m.translation.tsOffset()
                        + " windowShift=" + m.translation.replicaWindowShift() + "->" + m.translation.primaryWindowShift())
                + (m.candidate != null && m.candidate.ecn() ? (m.ecnRefused ? " ecn=refused-by-replica" : " ecn=on") : "")
                + " streamStart=" + Integer.toUnsignedString(m.streamStart) + " handOverLeft=" + m.handOver.length
                + " toReplica=" + m.toReplica + " toClient=" + m.toClient));
        return lines;
    }

    /** @return whether recovery has started: from then on captured frames are the engine's, not the keeper's */
    boolean active() {
        return active;
    }

    /** @return whether every connection has been handled (recovered or failed) */
    synchronized boolean recoveryFinished() {
        return recoveryFinishedNanos >= 0;
    }

    // ---- kept across a restart of the proxy bundle ----

    private static final int STATE_MAGIC = 0x4d475052; // "MGPR"
    private static final int STATE_VERSION = 3;

    /**
     * Writes every mapping, its translation and counters: after an update or restart of the proxy
     * bundle in RECOVERY or PROXY, {@link #restore} carries on with the same connections. The
     * replica's side of each connection lives on in its kernel, the clients' on theirs; only
     * these numbers would be lost.
     */
    synchronized void save(java.io.DataOutputStream out) throws IOException {
        out.writeInt(STATE_MAGIC);
        out.writeInt(STATE_VERSION);
        long now = nanos.getAsLong();
        out.writeLong(shadows.allocated());
        out.writeLong(recoveryStartedNanos < 0 ? -1 : now - recoveryStartedNanos);
        out.writeLong(recoveryFinishedNanos < 0 ? -1 : recoveryFinishedNanos - recoveryStartedNanos);
        out.writeInt(recovered);
        out.writeInt(failed);
        out.writeInt(passedThrough);
        out.writeLong(dropped);
        out.writeInt(notRecoverableCount);
        out.writeInt(headsPrepended);
        out.writeInt(headsMissing);
        out.writeLong(bytesHandedOver);
        out.writeInt(ecnRefusedCount);
        List<Mapping> all = new ArrayList<>();
        byShadow.forEachValue(all::add);
        // Queued connections keep their order: those waiting longest go first again.
        List<Mapping> queuedInOrder = new ArrayList<>(queued);
        all.removeIf(m -> m.state == State.QUEUED);
        all.addAll(queuedInOrder);
        out.writeInt(all.size());
        for (Mapping m : all) {
            writeMapping(out, m);
        }
    }

    private static void writeMapping(java.io.DataOutputStream out, Mapping m) throws IOException {
        out.writeByte(m.state.ordinal());
        RecoveryCandidate c = m.candidate;
        out.writeBoolean(c != null);
        if (c != null) {
            out.writeInt(c.clientAddress());
            out.writeShort(c.clientPort());
            out.writeLong(c.clientMac());
            out.writeInt(c.primaryAddress());
            out.writeShort(c.primaryPort());
            out.writeLong(c.primaryMac());
            out.writeInt(c.clientResume());
            out.writeInt(c.clientAck());
            out.writeInt(c.clientMss());
            out.writeInt(c.clientWindowScale());
            out.writeInt(c.primaryWindowScale());
            out.writeBoolean(c.sackPermitted());
            out.writeBoolean(c.timestamps());
            out.writeBoolean(c.ecn());
            out.writeInt(c.clientLastTsval());
            out.writeInt(c.primaryLastTsval());
            out.writeInt(c.clientLastWindow());
        }
        out.writeInt(m.clientAddress);
        out.writeShort(m.clientPort);
        out.writeLong(m.clientMac);
        out.writeInt(m.primaryAddress);
        out.writeShort(m.primaryPort);
        out.writeLong(m.primaryMac);
        out.writeInt(m.shadowAddress);
        out.writeShort(m.shadowPort);
        ConnectionTranslation t = m.translation;
        out.writeBoolean(t != null);
        if (t != null) {
            out.writeInt(t.d1());
            out.writeInt(t.d2());
            out.writeInt(t.tsOffset());
            out.writeByte(t.primaryWindowShift());
            out.writeByte(t.replicaWindowShift());
        }
        out.writeInt(m.streamStart);
        out.writeInt(m.handOver.length);
        out.write(m.handOver);
        out.writeInt(m.handOverSent);
        out.writeInt(m.handOverAck);
        out.writeInt(m.handOverDuplicates);
        out.writeInt(m.replicaIsn);
        out.writeInt(m.replicaWindowShift);
        out.writeInt(m.segmentSize);
        out.writeInt(m.lastClientTsval);
        out.writeInt(m.lastReplicaTsval);
        out.writeInt(m.lastAckToReplica);
        out.writeInt(m.synAttempts);
        out.writeLong(m.toReplica);
        out.writeLong(m.toClient);
        out.writeBoolean(m.clientFin);
        out.writeBoolean(m.replicaFin);
        out.writeBoolean(m.ecnRefused);
        ArrayDeque<byte[]> pending = m.pending == null ? new ArrayDeque<>() : m.pending;
        out.writeInt(pending.size());
        for (byte[] frame : pending) {
            out.writeInt(frame.length);
            out.write(frame);
        }
    }

    /**
     * Takes over what {@link #save} wrote, in a fresh engine; a handshake that was in flight is
     * sent again at once. Nothing is restored when the engine has already started.
     *
     * @param done told when every connection has been handled, if that is still to come
     * @return the number of mappings restored
     * @throws IOException when the state is unreadable or of another version
     */
    synchronized int restore(java.io.DataInputStream in, Consumer<String> done) throws IOException {
        if (active) {
            throw new IllegalStateException("the engine is already active");
        }
        if (in.readInt() != STATE_MAGIC || in.readInt() != STATE_VERSION) {
            throw new IOException("not a proxy state of version " + STATE_VERSION);
        }
        long now = nanos.getAsLong();
        shadows.continueAfter(in.readLong());
        long sinceStart = in.readLong();
        long finishedAfter = in.readLong();
        recoveryStartedNanos = sinceStart < 0 ? -1 : now - sinceStart;
        recoveryFinishedNanos = finishedAfter < 0 || recoveryStartedNanos < 0 ? -1 : recoveryStartedNanos + finishedAfter;
        recovered = in.readInt();
        failed = in.readInt();
        passedThrough = in.readInt();
        dropped = in.readLong();
        notRecoverableCount = in.readInt();
        headsPrepended = in.readInt();
        headsMissing = in.readInt();
        bytesHandedOver = in.readLong();
        ecnRefusedCount = in.readInt();
        int count = in.readInt();
        for (int i = 0; i < count; i++) {
            Mapping m = readMapping(in);
            if (m.state == State.CLOSED) {
                continue;
            }
            register(m);
            lingerIfClosed(m);
            if (m.state == State.QUEUED) {
                queued.add(m);
            } else if (m.state == State.HANDSHAKING) {
                handshaking++;
                m.synSentNanos = Long.MIN_VALUE / 2; // its SYN-ACK may have been lost with the old TUN: send again now
            }
        }
        onRecoveryFinished = done;
        active = true;
        LOG.info("proxy: restored {} mappings after a restart of the proxy bundle: {}", count, summary());
        return count;
    }

    private Mapping readMapping(java.io.DataInputStream in) throws IOException {
        State state = State.values()[in.readByte()];
        RecoveryCandidate candidate = null;
        if (in.readBoolean()) {
            candidate = new RecoveryCandidate(null, in.readInt(), in.readUnsignedShort(), in.readLong(), in.readInt(),
                    in.readUnsignedShort(), in.readLong(), in.readInt(), in.readInt(), in.readInt(), in.readInt(), in.readInt(),
                    in.readBoolean(), in.readBoolean(), in.readBoolean(), in.readInt(), in.readInt(), in.readInt());
        }
        int clientAddress = in.readInt();
        int clientPort = in.readUnsignedShort();
        long clientMac = in.readLong();
        int primaryAddress = in.readInt();
        int primaryPort = in.readUnsignedShort();
        long primaryMac = in.readLong();
        int shadowAddress = in.readInt();
        int shadowPort = in.readUnsignedShort();
        Mapping m = new Mapping(candidate, clientAddress, clientPort, clientMac, primaryAddress, primaryPort, primaryMac,
                (shadowAddress & 0xffff_ffffL) << 16 | shadowPort);
        m.state = state;
        if (in.readBoolean()) {
            int d1 = in.readInt();
            int d2 = in.readInt();
            m.translation = ConnectionTranslation.builder()
                    .client(clientAddress, clientPort)
                    .service(primaryAddress, primaryPort)
                    .shadow(shadowAddress, shadowPort)
                    .replica(settings.replicaAddress(), settings.replicaPort() == 0 ? primaryPort : settings.replicaPort())
                    // the builder derives d1 = forged + 1 - resume and d2 = isn + 1 - ack
                    .clientSequence(d1 - 1, 0)
                    .serverSequence(d2 - 1, 0)
                    .timestampOffset(in.readInt())
                    .windowShifts(in.readByte(), in.readByte())
                    .build();
        }
        m.streamStart = in.readInt();
        byte[] handOver = new byte[in.readInt()];
        in.readFully(handOver);
        m.handOver = handOver.length == 0 ? NOTHING : handOver;
        m.handOverSent = in.readInt();
        m.handOverAck = in.readInt();
        m.handOverDuplicates = in.readInt();
        m.replicaIsn = in.readInt();
        m.replicaWindowShift = in.readInt();
        m.segmentSize = in.readInt();
        m.lastClientTsval = in.readInt();
        m.lastReplicaTsval = in.readInt();
        m.lastAckToReplica = in.readInt();
        m.synAttempts = in.readInt();
        m.toReplica = in.readLong();
        m.toClient = in.readLong();
        m.clientFin = in.readBoolean();
        m.replicaFin = in.readBoolean();
        m.ecnRefused = in.readBoolean();
        int pending = in.readInt();
        for (int i = 0; i < pending; i++) {
            byte[] frame = new byte[in.readInt()];
            in.readFully(frame);
            if (m.pending == null) {
                m.pending = new ArrayDeque<>();
            }
            m.pending.add(frame);
        }
        return m;
    }

    synchronized int recovered() {
        return recovered;
    }

    synchronized int failed() {
        return failed;
    }

    synchronized int passedThrough() {
        return passedThrough;
    }

    synchronized long dropped() {
        return dropped;
    }

    synchronized List<RecoveryCandidate.NotRecoverable> notRecoverable() {
        return List.copyOf(notRecoverable);
    }
}
