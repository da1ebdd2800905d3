package org.migware.proxy.internal;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayDeque;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntUnaryOperator;
import java.util.function.LongSupplier;

import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.failover.MappingSnapshot;
import org.migware.api.failover.MigrationProgress;
import org.migware.api.packet.ParseResult;
import org.migware.api.packet.RewritablePacket;
import org.migware.proxy.internal.events.DeferredLog;
import org.migware.proxy.internal.keeper.ClientStreamKeeper;
import org.migware.proxy.internal.keeper.RecordFraming;
import org.migware.proxy.internal.mapping.ClosedTuples;
import org.migware.proxy.internal.mapping.DropReason;
import org.migware.proxy.internal.mapping.ConnectionTranslation;
import org.migware.proxy.internal.mapping.Mapping;
import org.migware.proxy.internal.mapping.MappingExpiry;
import org.migware.proxy.internal.mapping.MappingState;
import org.migware.proxy.internal.mapping.MappingTable;
import org.migware.proxy.internal.mapping.MigrationCounters;
import org.migware.proxy.internal.mapping.RecoveryCandidate;
import org.migware.proxy.internal.mapping.Replica;
import org.migware.proxy.internal.recovery.Recovery;
import org.migware.proxy.internal.recovery.ShadowEndpoints;
import org.migware.proxy.internal.state.HandshakeJournal;
import org.migware.proxy.internal.state.MappingsCodec;
import org.migware.proxy.internal.translation.Ipv4Reassembly;
import org.migware.proxy.internal.translation.ClientAckProbe;
import org.migware.proxy.internal.translation.ClientToReplica;
import org.migware.proxy.internal.translation.ConnectionReset;
import org.migware.proxy.internal.translation.NoConnectionResets;
import org.migware.proxy.internal.translation.ReplayCheck;
import org.migware.proxy.internal.translation.ReplicaToClient;
import org.migware.proxy.internal.translation.ServiceArp;
import org.migware.proxy.internal.translation.ToReplica;
import org.migware.proxy.internal.wire.PacketPort;
import org.migware.proxy.internal.wire.TunBatch;
import org.migware.proxy.internal.wire.VlanTaggingWire;
import org.migware.proxy.internal.wire.WirePort;
import org.migware.proxy.internal.wire.WireVlans;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RECOVERY and PROXY for every connection: where the three threads come in, and which part of
 * the proxy each frame or tick goes to.
 *
 * <ul>
 * <li>the capture thread: {@link #fromClient} — frames to the service, translated for the
 * replica ({@link ClientToReplica}), kept while their connection's forged handshake is under way,
 * answered with a reset when they belong to no connection ({@link NoConnectionResets}); ARP
 * requests for the service address answered with the primary's MAC ({@link ServiceArp}); new
 * connections (SYNs after failover) passed through with zero offsets;</li>
 * <li>the TUN reader: {@link #fromReplica(TunBatch)} — in batches of what the kernel has queued, the replica's answers to the forged handshakes
 * ({@link Recovery}) and its segments, translated for the client ({@link ReplicaToClient});</li>
 * <li>the recovery pacer: {@link #pace} — forged SYNs sent, retried and failed at the replica's
 * pace, closed mappings removed.</li>
 * </ul>
 *
 * <p><b>The lock.</b> One lock, this engine's monitor, guards everything the three threads share:
 * the mapping table and every {@link Mapping}'s fields, the counters, the recovery queue, and the
 * reused buffers and views. It must be one: a frame from the client and a packet from the replica
 * of the same connection read and write the same mapping (its acknowledgements, timestamps and
 * hand-over), and the replica's SYN-ACK, on the TUN reader, flushes the client frames that waited
 * for it through the client direction's own buffer. Translation is a handful of field writes, so
 * the lock is held for microseconds. Nothing slow happens under it: log lines and the call that
 * reports the end of recovery go to a {@link DeferredLog} and are written after the lock is
 * released, and the pacer reads the replica's accept queue (a /proc read) before taking it. The
 * volatile {@link #active} flag lets the capture thread ask, without the lock, whether frames
 * still go to the keeper, and {@link #describeMappings} formats its lines after releasing it.
 *
 * <p>Two small locks sit below this one and never call back into the engine, so they cannot
 * deadlock with it: the keeper's (the capture thread feeds it before failover; recovery takes
 * each connection's bytes from it) and the shadow endpoints' allocator. The deferred log needs
 * no lock.
 *
 * <p>The per-packet path allocates nothing: buffers and views are the parts' own and reused
 * (only frames that arrive during a connection's handshake are copied, to be flushed in order
 * once it completes, and the replica's data that arrives while a resumed connection waits for its
 * client's own acknowledgement, sent once it has come).
 */
final class MigrationEngine {

    private static final Logger LOG = LoggerFactory.getLogger(MigrationEngine.class);
    private static final int ETHERNET_HEADER = ReplicaToClient.ETHERNET_HEADER;
    private static final java.util.Comparator<StatusRecords.MappingCopy> MAPPINGS_BY_CLIENT = java.util.Comparator
            .<StatusRecords.MappingCopy>comparingLong(c -> c.mapping().clientAddress & 0xffff_ffffL)
            .thenComparingInt(c -> c.mapping().clientPort)
            .thenComparingLong(c -> c.mapping().primaryAddress & 0xffff_ffffL)
            .thenComparingInt(c -> c.mapping().primaryPort);
    static final long CLOSED_LINGER_NANOS = MappingTable.CLOSED_LINGER_NANOS;

    /**
     * @param replicaAddress the replica's IPv4 address (the backup's)
     * @param replicaPort the replica's port, 0 for the service's own
     * @param handshakesInFlight forged handshakes outstanding at once, so the replica's listen
     *     backlog never overflows
     * @param synRetryNanos how long a forged SYN may go unanswered before it is sent again
     * @param synAttempts forged SYNs per connection before it counts as failed
     */
    record Settings(int replicaAddress, int replicaPort, int handshakesInFlight, long synRetryNanos, int synAttempts,
            MappingExpiry.Bounds mappingBounds) {

        /** With the default bounds of the mapping table. */
        Settings(int replicaAddress, int replicaPort, int handshakesInFlight, long synRetryNanos, int synAttempts) {
            this(replicaAddress, replicaPort, handshakesInFlight, synRetryNanos, synAttempts, MappingExpiry.Bounds.DEFAULTS);
        }
    }

    private final Replica replica;
    private final ShadowEndpoints shadows;
    private final ClientStreamKeeper keeper;
    private final LongSupplier nanos;
    /**
     * Milliseconds since the epoch: only for what must outlive the process (a closed tuple's
     * linger), since {@code nanos} starts anywhere in the next one.
     */
    private final LongSupplier wallMillis;
    private final DeferredLog log = new DeferredLog(LOG);
    /** Guarded by the lock. */
    private HandshakeJournal journal;
    /** Guarded by the lock: the journal's packets are being fed back after a restart. */
    private boolean replayingJournal;
    private final MigrationCounters counters = new MigrationCounters();
    private final MappingTable table;
    private final MappingExpiry expiry;
    private final Ipv4Reassembly reassembly = new Ipv4Reassembly();
    private final ClientToReplica clientToReplica;
    private final ReplicaToClient replicaToClient;
    private final NoConnectionResets resets;
    private final ServiceArp arp;
    private final Recovery recovery;
    private final ReplayCheck replayCheck;
    /** Volatile: the capture thread asks, without the lock, whether frames still go to the keeper. */
    private volatile boolean active;
    /** See {@link #settled()}; written by the pacer. */
    private volatile boolean settled = true;
    /**
     * This host owns the service address (the direct path, {@code direct.DirectPath}): new
     * connections, segments of no carried connection and the address's ARP are the kernel's.
     */
    private volatile boolean serviceAddressLocal;

    MigrationEngine(Settings settings, ShadowEndpoints shadows, ClientStreamKeeper keeper, PacketPort tun, WirePort wire,
            RewritablePacket clientView, RewritablePacket replicaView, LongSupplier nanos, LongSupplier wallMillis) {
        this.replica = new Replica(settings.replicaAddress(), settings.replicaPort());
        this.shadows = shadows;
        this.keeper = keeper;
        this.nanos = nanos;
        this.wallMillis = wallMillis;
        this.table = new MappingTable(nanos, log);
        this.expiry = new MappingExpiry(settings.mappingBounds());
        ToReplica toReplica = new ToReplica(tun, counters, log);
        this.clientToReplica = new ClientToReplica(clientView, replica, table, toReplica, counters, log);
        // What MigWare sends goes in its client's VLAN: on a trunk or a tagged mirror port, an
        // untagged frame would be dropped by the switch.
        wire = new VlanTaggingWire(wire, keeper.wireVlans(), ClientToReplica.MAX_FRAME);
        this.replicaToClient = new ReplicaToClient(replicaView, table, wire, counters, log);
        this.resets = new NoConnectionResets(wire, nanos, counters, log);
        this.arp = new ServiceArp(table, keeper::serviceMac, keeper.wireVlans(), wire, counters, log);
        ConnectionReset reset = new ConnectionReset(replica, toReplica, resets, table);
        this.recovery = new Recovery(new Recovery.Pacing(settings.handshakesInFlight(), settings.synRetryNanos(), settings.synAttempts()),
                replica, shadows, keeper, table, counters, toReplica, clientToReplica, resets, reset, new ClientAckProbe(wire, log), nanos, log,
                this::summaryLocked);
        this.replayCheck = new ReplayCheck(replica, toReplica, reset, counters, nanos, log);
    }

    // ---- RECOVERY ----

    /** Starts recovering every recoverable connection of the snapshot; {@code done} is told when all have finished. */
    void startRecovery(List<ConnectionSnapshot> connections, Consumer<String> done) {
        startRecovery(connections, done, () -> { });
    }

    /**
     * Written under the engine's lock once every mapping exists and before the first forged SYN
     * leaves: a crash from then on finds each connection with the shadow endpoint it was given.
     */
    @FunctionalInterface
    interface Checkpoint {
        void write();
    }

    /** @param beforeFirstSyn run with the mappings queued and no SYN sent yet */
    void startRecovery(List<ConnectionSnapshot> connections, Consumer<String> done, Checkpoint beforeFirstSyn) {
        try {
            synchronized (this) {
                if (active) {
                    // One failover, one recovery: a repeated RECOVERY event must not forge a second set of connections.
                    log.warn("proxy: recovery already started; ignored");
                    return;
                }
                active = true;
                keeper.freeze(); // recovery reads the kept streams from here on: none may expire under it
                recovery.start(connections, done);
                // The streams recovery did not take are of no use any more.
                keeper.releaseReplay();
                beforeFirstSyn.write();
                paceLocked(recovery.readAcceptQueue());
            }
        } finally {
            log.flush();
        }
    }

    /**
     * Sends queued forged SYNs while there is room, and retries or fails the unanswered; call it often.
     *
     * @return whether connections still wait for their forged handshake to start
     */
    boolean pace() {
        // Read outside the lock: the capture and TUN threads should not wait for a /proc read.
        int waiting = recovery.readAcceptQueue();
        try {
            synchronized (this) {
                paceLocked(waiting);
            }
        } finally {
            log.flush();
        }
        return recovery.watchedPort() > 0;
    }

    /**
     * @return whether the last {@link #pace} left nothing on a timer of a few milliseconds (not
     *     active, or recovery over with nothing outstanding): the pacer may look less often
     */
    boolean settled() {
        return settled;
    }

    private void paceLocked(int replicaAcceptWaiting) {
        settled = !active || recovery.settled() && replicaToClient.holdsNone();
        if (active) {
            recovery.pace(replicaAcceptWaiting);
            replicaToClient.releaseSettled();
        }
        expiry.sweep(nanos.getAsLong(), table);
    }

    /**
     * Where the pacer reads how many connections wait in the replica's accept queue, by port
     * ({@link org.migware.proxy.internal.recovery.ReplicaAcceptQueue#waiting}); they count against
     * the handshakes in flight.
     */
    void replicaAcceptQueue(IntUnaryOperator waitingOnPort) {
        recovery.replicaAcceptQueue(waitingOnPort);
    }

    /** Where the replica's answers to forged SYNs are written before they are acknowledged; none by default. */
    void journal(HandshakeJournal newJournal) {
        journal = newJournal;
    }

    /**
     * Feeds the journal's SYN-ACKs to the mappings just restored, as if the replica sent them now:
     * each handshake the previous process completed is completed again with the same numbers (the
     * replica, which may have it established already, takes the repeated ACK and hand-over bytes as
     * duplicates), and none is forged a second time.
     *
     * @return the entries replayed
     */
    synchronized int replayJournal() throws IOException {
        if (journal == null) {
            return 0;
        }
        replayingJournal = true;
        try {
            return journal.replay((packet, length) -> fromReplicaLocked(packet, 0, length));
        } finally {
            replayingJournal = false;
            log.flush();
        }
    }

    // ---- client -> replica ----

    /** A frame captured on the wire; only frames to the service matter once the engine is active. */
    void fromClient(byte[] frame, int offset, int length) {
        try {
            synchronized (this) {
                fromClientLocked(frame, offset, length);
            }
        } finally {
            log.flush();
        }
    }

    private void fromClientLocked(byte[] frame, int offset, int length) {
        if (!active || length > ClientToReplica.MAX_FRAME) {
            return;
        }
        if (ServiceArp.isArp(frame, offset, length)) {
            if (!serviceAddressLocal) {
                arp.answer(frame, offset, length);
            }
            return;
        }
        // Our own copy: other listeners read the same capture buffer, and we rewrite in place.
        byte[] own = clientToReplica.frame();
        RewritablePacket view = clientToReplica.view();
        System.arraycopy(frame, offset, own, 0, length);
        ParseResult parsed = view.parse(own, 0, length);
        if (view.ipVersion() == 4 && (parsed == ParseResult.FRAGMENT || parsed == ParseResult.TCP && view.isFragmented())) {
            // A fragment (its first one parses as TCP but holds only a part): put together first, as
            // the kernel does before conntrack, never passed on in part.
            counters.fragmentsSeen++;
            int whole = reassembly.add(own, view.ipOffset(), length, nanos.getAsLong());
            if (whole == 0) {
                return;
            }
            length = whole;
            parsed = view.parse(own, 0, length);
        }
        if (parsed != ParseResult.TCP || view.ipVersion() != 4) {
            return;
        }
        if (view.capturedPayloadLength() != view.payloadLength()) {
            // Cut by the capture's snapshot length (or lying about its length): the replica must not
            // get a part of a segment as if it were whole. The client retransmits what is lost.
            counters.drop(DropReason.TRUNCATED);
            return;
        }
        Mapping mapping = table.byClient(view.sourceIpv4(), view.sourcePort(), view.destinationIpv4(), view.destinationPort());
        if (mapping == null
                && !keeper.service().isService(view.destinationAddressHigh(), view.destinationAddressLow(), view.destinationPort())) {
            return; // not to the service: other traffic on the mirror, or what MigWare itself sent to a client
        }
        // The client's VLAN is where whatever MigWare answers must go (a restarted MigWare learns it here).
        keeper.wireVlans().note(view.destinationIpv4(), view.sourceIpv4(), WireVlans.outerVlanId(own, 0, length));
        if (mapping == null) {
            if (serviceAddressLocal) {
                return; // the direct path: the kernel serves the service address now, and this is its connection
            }
            if (recovery.answerClosed(view)) {
                return; // a connection closed both ways at the failover: answered as the primary's TIME_WAIT would
            }
            if (view.hasFlags(RewritablePacket.SYN) && !view.hasFlags(RewritablePacket.ACK)) {
                recovery.confirmHandshake(view); // a SYN sent again: a handshake held unconfirmed is forgotten
                mapping = passThrough(view);
                if (mapping == null) {
                    counters.drop(DropReason.TABLE_FULL); // the table is full: the client retries its SYN
                    return;
                }
            } else if ((mapping = recovery.confirmHandshake(view)) == null) {
                // No connection here: one that could not be recovered (its handshake was missed, say),
                // or one that never existed. The service address is MigWare's now, and a host answers
                // a segment of no connection with a reset. A reset is never answered, so a spoofed one
                // changes nothing.
                refuse(view);
                return;
            }
        }
        mapping = newIncarnation(mapping, view);
        if (mapping == null) {
            return;
        }
        mapping.lastSeenNanos = nanos.getAsLong();
        switch (mapping.state) {
            case QUEUED, HANDSHAKING -> waitForHandshake(mapping, own, length);
            case ESTABLISHED -> {
                if (!view.hasFlags(RewritablePacket.SYN)) {
                    mapping.clientCompletedHandshake = true;
                }
                if (view.hasFlags(RewritablePacket.ACK)) {
                    // Before translation: the client's acknowledgement in the primary's numbers says what it holds.
                    if (mapping.replay != null) {
                        mapping.replay.clientAcknowledged(view.acknowledgementNumber());
                    } else if (mapping.responseInProgress && view.acknowledgementNumber() - mapping.responseEnd >= 0) {
                        mapping.responseInProgress = false; // it holds the whole response: resumed as it should be
                    }
                }
                clientToReplica.forward(mapping);
                if (mapping.heldForClientAck != null) {
                    replicaToClient.releaseHeld(mapping); // its acknowledgement has said where they land
                }
            }
            // The replica never took it: the client is told, as for a connection never recovered.
            case FAILED -> refuse(view);
            default -> counters.drop(DropReason.NOT_ESTABLISHED);
        }
    }

    /**
     * A SYN on the tuple of a mapping both sides have closed (it lingers), beyond the old stream's
     * end: a new connection on a reused port (RFC 6191). The old mapping ends, and the new one is
     * passed through on a new shadow endpoint, clear of the replica's TIME_WAIT on the old one.
     *
     * @return the mapping the segment belongs to, {@code null} when it was dropped
     */
    private Mapping newIncarnation(Mapping mapping, RewritablePacket segment) {
        if (!segment.hasFlags(RewritablePacket.SYN) || segment.hasFlags(RewritablePacket.ACK) || !mapping.clientFin || !mapping.replicaFin
                || segment.sequenceNumber() - mapping.clientNext <= 0) {
            return mapping;
        }
        table.close(mapping, "closed by both sides; its client port starts a new connection");
        Mapping next = passThrough(segment);
        if (next == null) {
            counters.drop(DropReason.TABLE_FULL);
        }
        return next;
    }

    private void refuse(RewritablePacket segment) {
        counters.drop(DropReason.NO_CONNECTION);
        if (!segment.hasFlags(RewritablePacket.RST)) {
            resets.reset(segment);
        }
    }

    private void waitForHandshake(Mapping mapping, byte[] frame, int length) {
        if (mapping.pending == null) {
            mapping.pending = new ArrayDeque<>();
        }
        if (mapping.pending.size() < Mapping.MAX_PENDING_FRAMES) {
            mapping.pending.add(java.util.Arrays.copyOf(frame, length));
        } else {
            counters.drop(DropReason.HANDSHAKE_QUEUE_FULL);
        }
    }

    /** @return the new connection's mapping, {@code null} when the table is full (counted) */
    private Mapping passThrough(RewritablePacket syn) {
        if (!expiry.admits(table.size())) {
            return null;
        }
        long shadow = shadows.allocate();
        Mapping mapping = new Mapping(null, syn.sourceIpv4(), syn.sourcePort(), syn.sourceMac(),
                syn.destinationIpv4(), syn.destinationPort(), syn.destinationMac(),
                ShadowEndpoints.address(shadow), ShadowEndpoints.port(shadow));
        mapping.translation = ConnectionTranslation.builder()
                .client(mapping.clientAddress, mapping.clientPort)
                .service(mapping.primaryAddress, mapping.primaryPort)
                .shadow(mapping.shadowAddress, mapping.shadowPort)
                .replica(replica.address(), replica.portFor(mapping))
                .clientSequence(0, 1)
                .serverSequence(0, 1)
                .timestampOffset(0)
                .windowShifts(0, 0)
                .build();
        mapping.state = MappingState.ESTABLISHED;
        mapping.clientNext = syn.sequenceNumber() + 1;
        table.register(mapping);
        counters.passedThrough++;
        log.info("proxy: new connection {} passed to the replica", mapping);
        return mapping;
    }

    // ---- replica -> client ----

    /** An IPv4 packet read from the TUN: the replica's answer to a shadow endpoint. */
    void fromReplica(byte[] packet, int offset, int length) {
        try {
            synchronized (this) {
                fromReplicaLocked(packet, offset, length);
            }
        } finally {
            log.flush();
        }
    }

    /**
     * The packets the TUN reader took in one go ({@link TunBatch}), in their order, under one
     * acquisition of the lock instead of one per packet: when the reader is behind, every
     * acquisition it spares is time the capture thread and the pacer do not spend handing the lock
     * back and forth on a busy machine. A packet that throws does not keep the others from the
     * replica; the first such exception is thrown once the batch is through and the lock released.
     */
    void fromReplica(TunBatch batch) {
        RuntimeException failed = null;
        try {
            synchronized (this) {
                byte[] buffer = batch.buffer();
                for (int i = 0; i < batch.count(); i++) {
                    try {
                        fromReplicaLocked(buffer, batch.offset(i), batch.length(i));
                    } catch (RuntimeException e) {
                        if (failed == null) {
                            failed = e;
                        }
                    }
                }
            }
        } finally {
            log.flush();
        }
        if (failed != null) {
            throw failed;
        }
    }

    private void fromReplicaLocked(byte[] packet, int offset, int length) {
        if (length + ETHERNET_HEADER > ClientToReplica.MAX_FRAME) {
            return;
        }
        byte[] own = replicaToClient.frame();
        RewritablePacket p = replicaToClient.view();
        System.arraycopy(packet, offset, own, ETHERNET_HEADER, length);
        if (p.parse(own, 0, length + ETHERNET_HEADER) != ParseResult.TCP) {
            return;
        }
        if (p.capturedPayloadLength() != p.payloadLength()) {
            // The kernel hands the TUN whole packets: an IP length beyond the bytes is a broken
            // packet, and passing it on would put a frame on the wire that lies about its size.
            counters.drop(DropReason.TRUNCATED);
            return;
        }
        Mapping mapping = table.byShadow(p.destinationIpv4(), p.destinationPort());
        if (mapping == null) {
            counters.drop(DropReason.NO_MAPPING);
            return;
        }
        mapping.lastSeenNanos = nanos.getAsLong();
        boolean synAck = p.hasFlags(RewritablePacket.SYN | RewritablePacket.ACK);
        if (replayingJournal && synAck && mapping.state == MappingState.QUEUED) {
            // Its SYN went after the last snapshot: the journal shows the replica answered it.
            recovery.handshakeUnderWay(mapping);
        }
        if (mapping.state == MappingState.HANDSHAKING) {
            if (synAck && journal != null && !replayingJournal && p.acknowledgementNumber() == mapping.streamStart) {
                // Before our ACK leaves: from that ACK on, the replica's application may hold the connection.
                journal.append(packet, offset, length);
            }
            recovery.answered(mapping, p, synAck);
            return;
        }
        if (mapping.state != MappingState.ESTABLISHED) {
            counters.drop(DropReason.NOT_ESTABLISHED);
            return;
        }
        if (synAck && mapping.candidate != null) {
            // Our ACK of its SYN-ACK was lost or its accept queue was full: acknowledge again.
            recovery.acknowledgeAgain(mapping, p);
            return;
        }
        if (p.hasFlags(RewritablePacket.RST) && mapping.candidate != null && mapping.toClient == 0 && mapping.toReplica == 0) {
            // A reset before anything was exchanged answers our own forgery, not the client.
            table.close(mapping, "the replica reset the re-created connection");
            return;
        }
        if (p.hasFlags(RewritablePacket.ACK)) {
            mapping.lastReplicaAck = p.acknowledgementNumber();
        }
        if ((mapping.handOverLength() > 0 || mapping.finToHandOver) && p.hasFlags(RewritablePacket.ACK)) {
            recovery.continueHandOver(mapping, p.acknowledgementNumber(), (long) p.window() << mapping.replicaWindowShift);
        }
        if (mapping.replay != null && !replayCheck.letThrough(mapping, p)) {
            return; // held by the client already, or not the primary's: see ReplayCheck
        }
        replicaToClient.translate(mapping, length + ETHERNET_HEADER);
    }

    // ---- reporting ----

    synchronized String summary() {
        return summaryLocked();
    }

    private String summaryLocked() {
        MigrationCounters c = counters;
        if (!recovery.started()) {
            return "ready: no failover yet (" + c.passedThrough + " new connections passed through)";
        }
        long millis = recovery.elapsedMillis(nanos.getAsLong());
        String framing = keeper.framing() == RecordFraming.NONE ? ""
                : "; framing " + keeper.framing().configName() + ": " + c.headsPrepended + " record heads prepended, "
                        + c.headsMissing + " not kept";
        return c.recovered + " recovered, " + c.failed + " failed, " + recovery.pending() + " pending, "
                + c.notRecoverable + " not recoverable, in " + millis + " ms; " + c.bytesHandedOver
                + " client bytes handed over" + framing + (c.resetsSent == 0 ? "" : "; " + c.resetsSent + " resets for no connection")
                + (c.ecnRefused == 0 ? "" : "; ECN refused by the replica for " + c.ecnRefused)
                + (c.replayed == 0 && c.resetAtFailover == 0 ? "" : "; replay: " + c.replayed + " replayed, " + c.replayCaughtUp
                        + " caught up, " + c.replayDiverged + " diverged (reset), " + c.resetAtFailover + " not replayable (reset)")
                + (c.midResponseResets == 0 ? "" : "; " + c.midResponseResets + " resumed in the middle of a response (reset)")
                + (c.fragmentsSeen == 0 ? "" : "; IP fragments from clients: " + c.fragmentsSeen + " seen, " + reassembly.reassembled
                        + " segments put together, " + reassembly.givenUp + " given up")
                + (c.heldForClientAck == 0 ? "" : "; " + c.heldForClientAck + " replica segments held for their client's acknowledgement")
                + (c.resetsNotAtNextByte == 0 ? "" : "; " + c.resetsNotAtNextByte + " client resets not at the next byte (passed on, mapping kept)")
                + (expiry.expiredHalfOpen + expiry.expiredIdle + expiry.refusedFull == 0 ? ""
                        : "; mappings: " + expiry.expiredHalfOpen + " half-open and " + expiry.expiredIdle + " idle ended, "
                                + expiry.refusedFull + " new connections refused (table full)");
    }

    /**
     * One line per mapping, for the log and the proxy's tests: the fields are copied under the
     * lock and formatted after it is released, so that formatting the lines of many thousand
     * connections never stalls their packets.
     */
    List<String> describeMappings() {
        List<String> lines = new ArrayList<>();
        for (StatusRecords.MappingCopy copy : copyMappings()) {
            lines.add(copy.line());
        }
        return lines;
    }

    private List<StatusRecords.MappingCopy> copyMappings() {
        List<StatusRecords.MappingCopy> copied = new ArrayList<>();
        synchronized (this) {
            long now = nanos.getAsLong();
            table.forEachByClient(m -> copied.add(new StatusRecords.MappingCopy(m, replica.address(), replica.portFor(m), now)));
        }
        // the table's order is its seeded hash's: an operator reads them by client
        copied.sort(MAPPINGS_BY_CLIENT);
        return copied;
    }

    /** @return every mapping, copied under the lock and built as records after it is released */
    List<MappingSnapshot> mappingSnapshots() {
        List<StatusRecords.MappingCopy> copied = copyMappings();
        List<MappingSnapshot> snapshots = new ArrayList<>(copied.size());
        for (StatusRecords.MappingCopy copy : copied) {
            snapshots.add(copy.snapshot());
        }
        return snapshots;
    }
    /** @return the migration's counters, copied under the lock and built as a record after it is released */
    MigrationProgress progress() {
        StatusRecords.ProgressCopy copy;
        Instant now;
        synchronized (this) {
            long nanosNow = nanos.getAsLong();
            now = Instant.now();
            copy = new StatusRecords.ProgressCopy(recovery.sinceStartNanos(nanosNow), recovery.finishedAfterNanos(),
                    recovery.elapsedNanos(nanosNow), recovery.queued(), recovery.handshaking(), recovery.notRecoverable(),
                    keeper.framing().configName(), counters, deliveryTotalsLocked());
        }
        return copy.progress(now);
    }

    private org.migware.api.failover.DeliveryTotals deliveryTotalsLocked() {
        org.migware.proxy.internal.keeper.ReplayKeeper replay = keeper.replay();
        if (replay == null) {
            return StatusRecords.deliveryTotals(org.migware.api.failover.Delivery.RESUME.configName(), List.of(),
                    keeper.notReplayableCounts(), 0, 0, keeper.expiredIdle(), counters);
        }
        return StatusRecords.deliveryTotals(replay.policy().describe(), keeper.keptForReplay(), keeper.notReplayableCounts(),
                replay.pool().bytesInUse(), replay.pool().bytesLimit(), keeper.expiredIdle(), counters);
    }

    /** @return every connection kept for replay, and what a failover now would do with it */
    List<org.migware.api.failover.KeptConnection> keptConnections() {
        return StatusRecords.keptConnections(keeper.keptForReplay());
    }

    /** @param local whether this host owns the service address now (the direct path) */
    void serviceAddressLocal(boolean local) {
        serviceAddressLocal = local;
    }

    /** @return the client-to-service tuple of every connection still carried (not failed), copied under the lock */
    synchronized List<org.migware.proxy.internal.direct.CarriedTuple> carriedTuples() {
        List<org.migware.proxy.internal.direct.CarriedTuple> tuples = new ArrayList<>(table.size());
        table.forEachByClient(m -> {
            if (m.state != MappingState.FAILED && m.state != MappingState.CLOSED) {
                tuples.add(new org.migware.proxy.internal.direct.CarriedTuple(m.clientAddress, m.clientPort, m.primaryAddress, m.primaryPort));
            }
        });
        return tuples;
    }

    /** @return whether recovery has started: from then on captured frames are the engine's, not the keeper's */
    boolean active() {
        return active;
    }

    /** @return whether every connection has been handled (recovered or failed) */
    synchronized boolean recoveryFinished() {
        return recovery.finished();
    }

    synchronized int recovered() {
        return counters.recovered;
    }

    synchronized int failed() {
        return counters.failed;
    }

    synchronized int passedThrough() {
        return counters.passedThrough;
    }

    synchronized long dropped() {
        return counters.dropped;
    }

    synchronized List<RecoveryCandidate.NotRecoverable> notRecoverable() {
        return recovery.notRecoverable();
    }

    // ---- kept across a restart of the proxy bundle ({@link MappingsCodec}) ----

    /**
     * Writes every mapping, its translation and counters: after an update or restart of the proxy
     * bundle in RECOVERY or PROXY, or a crash of the container, {@link #restore} carries on with the
     * same connections. Called under the lock, so {@code out} should be in memory.
     *
     * <p>Replayed connections still catching up are not written: their kept bytes and digest live
     * off-heap and are not saved, and restored as resumed ones they would forward the replica's
     * output unchecked; their clients get a reset from the next activation.
     */
    /**
     * What {@link #save} wrote.
     *
     * @param unfinished replayed connections still catching up, not written (see {@link #save})
     * @param journalCovered the journal generation the snapshot covers: retire it once the snapshot is durable; -1 without a journal
     * @param number the snapshot's number from the caller's counter, taken with the journal's turn: a snapshot
     *     with a higher one turned the journal later, and an older one must never replace it on disk
     */
    record Saved(int unfinished, long journalCovered, long number) {
    }

    /**
     * Mappings serialised per hold of the lock by {@link #save}: at 10,000 mappings, serialising them
     * all at once held the lock 5–26 ms every snapshot, and every packet waited (the round trip's
     * p99 through PROXY, 8.1 ms, fell to 2.6 ms with the snapshot off).
     */
    static final int SAVE_CHUNK = 128;

    /**
     * Serialises the mappings in parts, taking the lock for each: the list, the header and the
     * journal's new generation at once, then {@value #SAVE_CHUNK} mappings at a time, then the
     * closed tuples. Each mapping is whole as of its part; the mappings need not be of one instant
     * (each carries on by itself, and one closed meanwhile is skipped at restore). Mappings made
     * after the list are in the next snapshot. The journal turns over first: every handshake
     * completed after that is in the new generation, which the write does not retire.
     */
    Saved save(DataOutputStream out) throws IOException {
        return save(out, () -> 0L);
    }

    /** @param numberer called once, under the lock, as the journal turns over: the snapshot's number */
    Saved save(DataOutputStream out, java.util.function.LongSupplier numberer) throws IOException {
        List<Mapping> all = new ArrayList<>();
        int unfinished;
        long journalCovered;
        long number;
        synchronized (this) {
            long now = nanos.getAsLong();
            MappingsCodec.Header header = new MappingsCodec.Header(shadows.allocated(), recovery.sinceStartNanos(now),
                    recovery.finishedAfterNanos());
            table.forEachByShadow(all::add);
            // Queued connections keep their order: those waiting longest go first again.
            all.removeIf(m -> m.state == MappingState.QUEUED);
            all.addAll(recovery.queuedInOrder());
            unfinished = all.size();
            all.removeIf(m -> m.replay != null && (!m.replay.checkingOver() || m.replay.handOverLength() > 0));
            unfinished -= all.size();
            MappingsCodec.writeHead(out, header, counters, all.size());
            journalCovered = journal == null ? -1 : journal.rotate();
            number = numberer.getAsLong();
        }
        for (int from = 0; from < all.size(); from += SAVE_CHUNK) {
            synchronized (this) {
                for (int i = from; i < Math.min(all.size(), from + SAVE_CHUNK); i++) {
                    MappingsCodec.writeMapping(out, all.get(i));
                }
            }
        }
        synchronized (this) {
            MappingsCodec.writeClosed(out, closedTuplesToSave(nanos.getAsLong()));
        }
        return new Saved(unfinished, journalCovered, number);
    }

    /** The closed tuples still answered, each with the wall-clock time its linger ends. */
    private List<MappingsCodec.ClosedTuple> closedTuplesToSave(long now) {
        ClosedTuples closed = recovery.closedTuples();
        if (closed.size() == 0) {
            return List.of();
        }
        long wallNow = wallMillis.getAsLong();
        List<MappingsCodec.ClosedTuple> tuples = new ArrayList<>(closed.size());
        closed.forEach(now, (clientAddress, clientPort, serviceAddress, servicePort, c) -> tuples.add(new MappingsCodec.ClosedTuple(
                clientAddress, clientPort, serviceAddress, servicePort, c.serverNext(), c.clientNext(), c.clientMac(), c.primaryMac(),
                wallNow + TimeUnit.NANOSECONDS.toMillis(Math.max(0, c.expiresNanos() - now)))));
        return tuples;
    }

    /**
     * Takes back a closed tuple a previous process saved, lingering for what is left of its 60 s
     * by the wall clock: the time MigWare was down counts. One whose linger ended meanwhile is not
     * taken; one whose end lies more than a linger ahead (the clock was set back, or the file was
     * forged) lingers one linger, never longer.
     *
     * @return whether it was taken
     */
    private boolean restoreClosedTuple(MappingsCodec.ClosedTuple t, long now, long wallNow) {
        if (t.lingerEndsAtMillis() <= wallNow) {
            return false;
        }
        long left = Math.min(TimeUnit.MILLISECONDS.toNanos(t.lingerEndsAtMillis() - wallNow), ClosedTuples.LINGER_NANOS);
        return recovery.closedTuples().restore(t.clientAddress(), t.clientPort(), t.serviceAddress(), t.servicePort(),
                new ClosedTuples.Closed(t.serverNext(), t.clientNext(), t.clientMac(), t.primaryMac(), now + left));
    }

    /**
     * Takes over what {@link #save} wrote, in a fresh engine; a handshake that was in flight is
     * sent again at once. Nothing is restored when the engine has already started.
     *
     * @param done told when every connection has been handled, if that is still to come
     * @return the number of mappings restored
     * @throws IOException when the state is unreadable or of another version
     */
    int restore(DataInputStream in, Consumer<String> done) throws IOException {
        try {
            synchronized (this) {
                if (active) {
                    throw new IllegalStateException("the engine is already active");
                }
                long now = nanos.getAsLong();
                long wallNow = wallMillis.getAsLong();
                int[] closedTuples = new int[2]; // taken, not taken (their linger over, or the table full)
                int count = MappingsCodec.read(in, replica, new MappingsCodec.Restorer() {
                    @Override
                    public void header(MappingsCodec.Header header, MigrationCounters saved) {
                        shadows.continueAfter(header.shadowsAllocated());
                        recovery.restoreTimes(header.sinceStartNanos(), header.finishedAfterNanos(), now);
                        counters.takeOver(saved);
                    }

                    @Override
                    public void mapping(Mapping m) {
                        if (m.state == MappingState.CLOSED) {
                            return;
                        }
                        table.register(m);
                        table.lingerIfClosed(m);
                        recovery.restored(m);
                    }

                    @Override
                    public void closedTuple(MappingsCodec.ClosedTuple closed) {
                        closedTuples[restoreClosedTuple(closed, now, wallNow) ? 0 : 1]++;
                    }
                });
                recovery.whenFinished(done);
                active = true;
                keeper.freeze();
                log.info("proxy: restored {} mappings after a restart of the proxy bundle: {}", count, summaryLocked());
                if (closedTuples[0] + closedTuples[1] > 0) {
                    log.info("proxy: restored {} tuples closed both ways at the failover, answered as TIME_WAIT would for the rest of"
                            + " their {} s; {} not taken (their linger ended while MigWare was down, or the table is full)",
                            closedTuples[0], ClosedTuples.LINGER_NANOS / 1_000_000_000L, closedTuples[1]);
                }
                return count;
            }
        } finally {
            log.flush();
        }
    }
}
