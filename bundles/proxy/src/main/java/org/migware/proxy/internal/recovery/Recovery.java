package org.migware.proxy.internal.recovery;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntUnaryOperator;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.failover.Delivery;
import org.migware.api.failover.NotReplayableReason;
import org.migware.api.packet.RewritablePacket;
import org.migware.proxy.internal.events.DeferredLog;
import org.migware.proxy.internal.keeper.ClientStreamKeeper;
import org.migware.proxy.internal.keeper.RecordFraming;
import org.migware.proxy.internal.mapping.ClosedTuples;
import org.migware.proxy.internal.mapping.Mapping;
import org.migware.proxy.internal.mapping.MappingState;
import org.migware.proxy.internal.mapping.MappingTable;
import org.migware.proxy.internal.mapping.MigrationCounters;
import org.migware.proxy.internal.mapping.RecoveryCandidate;
import org.migware.proxy.internal.mapping.UnconfirmedHandshakes;
import org.migware.proxy.internal.mapping.Replica;
import org.migware.proxy.internal.replay.ReplayStream;
import org.migware.proxy.internal.translation.ConnectionReset;
import org.migware.proxy.internal.translation.NoConnectionResets;
import org.migware.proxy.internal.translation.ClientAckProbe;
import org.migware.proxy.internal.translation.ClientToReplica;
import org.migware.proxy.internal.translation.ToReplica;

/**
 * RECOVERY: every recoverable connection of the failover's snapshot gets a shadow endpoint and a
 * forged handshake with the replica, paced so that the replica's listen backlog never
 * overflows, retried while unanswered, and failed after its last attempt; the end of recovery is
 * reported once nothing is left.
 *
 * <p>Not thread-safe: called under the engine's lock, except for {@link #watchedPort} and
 * {@link #readAcceptQueue}, which the pacer calls before taking it.
 */
public final class Recovery {

    private static final long PROGRESS_LOG_NANOS = 250_000_000L;
    /**
     * How long a connection resumed in the middle of a response may wait, from its handshake on,
     * for the client's acknowledgement to show that it holds the whole response: the ACKs in flight
     * at the failover arrive within a round trip. Below a second, so that the reset reaches the
     * client within a second of PROXY (which comes after every handshake).
     */
    static final long RESPONSE_GRACE_NANOS = 500_000_000L;

    /**
     * How long a resumed connection's replica data waits for the client's own acknowledgement,
     * which the probe sent at its handshake asks for: a round trip, or the client's next segment.
     */
    static final long CLIENT_ACK_WAIT_NANOS = 300_000_000L;
    /**
     * Probes per connection before the acknowledgement seen stands: the client answers each at once,
     * so only a mirror that drops its answers, one after another, leaves the wait without one.
     */
    static final int CLIENT_ACK_PROBES = 4;
    /** How long the client's FIN, written by MigWare, waits for the replica's acknowledgement before it is written again. */
    static final long FIN_REPEAT_NANOS = 200_000_000L;

    /**
     * @param handshakesInFlight forged handshakes outstanding at once, so the replica's listen
     *     backlog never overflows
     * @param synRetryNanos how long the first forged SYN may go unanswered or refused before it
     *     is sent again; each further wait doubles, up to {@link #MAX_SYN_RETRY_NANOS}
     * @param synAttempts forged SYNs per connection before it counts as failed
     */
    public record Pacing(int handshakesInFlight, long synRetryNanos, int synAttempts) {

        /** The longest wait between two forged SYNs of one connection. */
        static final long MAX_SYN_RETRY_NANOS = 3_200_000_000L;

        /**
         * @return how long to wait after the {@code attempts}-th forged SYN: doubling, as a TCP
         *     stack's SYN retransmissions do (RFC 6298), so that a replica that is slow to start
         *     listening, or slow to answer, gets time instead of a burst of refused SYNs
         */
        long retryAfter(int attempts) {
            int doublings = Math.min(Math.max(0, attempts - 1), 20);
            return Math.min(synRetryNanos << doublings, Math.max(synRetryNanos, MAX_SYN_RETRY_NANOS));
        }
    }

    private final Pacing pacing;
    private final Replica replica;
    private final ShadowEndpoints shadows;
    private final ClientStreamKeeper keeper;
    private final MappingTable table;
    private final MigrationCounters counters;
    private final ClientToReplica clientToReplica;
    private final LongSupplier nanos;
    private final DeferredLog log;
    private final Supplier<String> summary;
    private final ForgedHandshake handshake;
    private final HandOver handOver;
    private final NoConnectionResets resets;
    private final ConnectionReset reset;
    /** Resumed connections whose response the failover cut short, until their client shows it holds it all or is reset. */
    private final ClientAckProbe probe;
    private final List<Mapping> midResponse = new ArrayList<>();
    /** Resumed connections whose replica data waits for the client's own acknowledgement. */
    private final List<Mapping> awaitingClientAck = new ArrayList<>();
    /** Re-created connections of half-closed clients whose FIN the replica has yet to acknowledge. */
    private final List<Mapping> finsToHandOver = new ArrayList<>();
    /** Connections that had closed both ways at the failover, answered as the primary's TIME_WAIT would. */
    private final ClosedTuples closed = new ClosedTuples();
    /** Handshakes whose final ACK the capture missed, waiting for their client's first segment. */
    private final UnconfirmedHandshakes unconfirmed = new UnconfirmedHandshakes();

    private final ArrayDeque<Mapping> queued = new ArrayDeque<>();
    private final List<RecoveryCandidate.NotRecoverable> notRecoverable = new ArrayList<>();
    private int handshaking;
    private long lastProgressLogNanos;
    private long paces;
    /** Connections waiting in the replica's accept queue, as last read plus handshakes completed since; -1 unknown. */
    private int acceptWaiting = ReplicaAcceptQueue.UNKNOWN;
    private volatile IntUnaryOperator acceptQueue = port -> ReplicaAcceptQueue.UNKNOWN;
    /** The replica port of the next queued connection, whose accept queue the pacer reads; 0 when none waits. */
    private volatile int watchedPort;
    private long startedNanos = -1;
    private long finishedNanos = -1;
    private Consumer<String> onFinished = summaryText -> { };

    /**
     * @param summary the migration's summary, as the end of recovery reports it (called under the lock)
     */
    public Recovery(Pacing pacing, Replica replica, ShadowEndpoints shadows, ClientStreamKeeper keeper, MappingTable table,
            MigrationCounters counters, ToReplica toReplica, ClientToReplica clientToReplica, NoConnectionResets resets,
            ConnectionReset reset, ClientAckProbe probe, LongSupplier nanos, DeferredLog log, Supplier<String> summary) {
        this.probe = probe;
        this.resets = resets;
        this.reset = reset;
        this.pacing = pacing;
        this.replica = replica;
        this.shadows = shadows;
        this.keeper = keeper;
        this.table = table;
        this.counters = counters;
        this.clientToReplica = clientToReplica;
        this.nanos = nanos;
        this.log = log;
        this.summary = summary;
        this.handshake = new ForgedHandshake(replica, toReplica, counters);
        this.handOver = new HandOver(replica, toReplica, counters, log);
    }

    /** Queues every recoverable connection of the snapshot; {@code done} is told when all have finished. */
    public void start(List<ConnectionSnapshot> connections, Consumer<String> done) {
        onFinished = done;
        startedNanos = nanos.getAsLong();
        for (ConnectionSnapshot snapshot : connections) {
            RecoveryCandidate.Assessment assessment = RecoveryCandidate.assess(snapshot);
            if (assessment instanceof RecoveryCandidate.Recoverable recoverable) {
                enqueue(recoverable.candidate(), false);
            } else if (unconfirmed.remember(snapshot)) {
                // its final ACK went by unseen: re-created when its client's first segment proves it
            } else if (closed.remember(snapshot, startedNanos)) {
                // Closed both ways: nothing to re-create; its client's last segments are answered (see ClosedTuples).
                RecoveryCandidate.NotRecoverable not = (RecoveryCandidate.NotRecoverable) assessment;
                notRecoverable.add(not);
                counters.notRecoverable++;
            } else {
                RecoveryCandidate.NotRecoverable not = (RecoveryCandidate.NotRecoverable) assessment;
                notRecoverable.add(not);
                counters.notRecoverable++;
                log.warn("proxy: {} -> {} not recoverable: {}", not.snapshot().client().hostAndPort(),
                        not.snapshot().server().hostAndPort(), not.words());
            }
        }
        if (unconfirmed.size() + unconfirmed.notKept() > 0) {
            log.info("proxy: {} handshakes whose final ACK the capture missed wait for their client's first segment to confirm them"
                    + " ({} not kept: at most {})", unconfirmed.size(), unconfirmed.notKept(), UnconfirmedHandshakes.MAX_ENTRIES);
        }
        if (closed.remembered() + closed.notKept() > 0) {
            log.info("proxy: {} connections had closed both ways: their clients' last segments are answered as TIME_WAIT would for {} s"
                    + " ({} not kept: the table is full)", closed.remembered(), ClosedTuples.LINGER_NANOS / 1_000_000_000L, closed.notKept());
        }
        log.info("proxy: recovering {} connections ({} not recoverable); {} bytes of theirs to hand over{}", queued.size(),
                notRecoverable.size(), counters.bytesHandedOver, keeper.framing() == RecordFraming.NONE ? ""
                        : ", " + counters.headsPrepended + " record heads prepended (framing " + keeper.framing().configName() + ")");
    }

    /**
     * Queues one recoverable connection: its mapping, what is handed over, its forged handshake to come.
     *
     * @param resumeOnly resumed whatever the port's delivery: no byte was exchanged, so replay has nothing more to give
     */
    private void enqueue(RecoveryCandidate c, boolean resumeOnly) {
        Delivery delivery = resumeOnly || keeper.replay() == null ? Delivery.RESUME : keeper.replay().deliveryFor(c.primaryPort());
        ReplayStream stream = delivery == Delivery.RESUME ? null : keeper.takeReplay(c.clientAddress(), c.clientPort(), c.primaryAddress(), c.primaryPort());
        NotReplayableReason why = delivery == Delivery.RESUME ? null : whyNotReplayable(stream, c);
        if (why != null && stream != null) {
            stream.release(keeper.replay().pool());
        }
        if (delivery == Delivery.REPLAY && why != null) {
            // Replay is what this port's sessions need: resumed, the replica would reject or
            // ignore them and the client hang. A reset now lets the client reconnect at once.
            counters.resetAtFailover++;
            resets.resetClient(c.primaryAddress(), c.primaryPort(), c.primaryMac(), c.clientAddress(), c.clientPort(), c.clientMac(),
                    c.clientAck());
            // should the capture have missed the client's last ACKs, that reset lands in its
            // window but not on its next byte, and is ignored: its answer to the probe is a
            // segment of no connection, answered with an exact reset
            probe.ask(c);
            log.warn("proxy: {} -> {} not replayable ({}): its client is reset", c.snapshot().client().hostAndPort(),
                    c.snapshot().server().hostAndPort(), why);
            return;
        }
        long shadow = shadows.allocate();
        Mapping mapping = new Mapping(c, c.clientAddress(), c.clientPort(), c.clientMac(),
                c.primaryAddress(), c.primaryPort(), c.primaryMac(), ShadowEndpoints.address(shadow), ShadowEndpoints.port(shadow));
        mapping.state = MappingState.QUEUED;
        long clientEnd = c.snapshot().clientToServer().highestSequenceEnd();
        mapping.clientNext = clientEnd == org.migware.api.connection.DirectionState.UNKNOWN ? c.clientResume() : (int) clientEnd;
        if (delivery != Delivery.RESUME && why == null) {
            counters.replayed++;
            handOver.takeReplay(mapping, c, stream, keeper.replay().pool());
        } else {
            handOver.takeFrom(keeper, mapping, c);
            watchForCutResponse(mapping, c);
            awaitClientAck(mapping, c);
        }
        handOverClientFin(mapping, c);
        table.register(mapping);
        queued.add(mapping);
    }

    /**
     * The client had half-closed: after the bytes handed over, the replica gets the client's FIN
     * from MigWare, when they end where it lies. Otherwise bytes before the FIN are missing, which
     * the primary never acknowledged: the client sends them again, and its FIN with them.
     */
    private void handOverClientFin(Mapping mapping, RecoveryCandidate c) {
        long fin = c.clientFinSequence();
        if (fin == org.migware.api.connection.DirectionState.UNKNOWN) {
            return;
        }
        counters.halfClosedRecovered++;
        mapping.clientFin = true;
        mapping.finSequence = (int) fin;
        mapping.finToHandOver = mapping.streamStart + (int) mapping.handOverLength() == (int) fin;
        if (mapping.finToHandOver) {
            finsToHandOver.add(mapping);
        }
        log.info("proxy: {}: its client had half-closed; its FIN {}", mapping,
                mapping.finToHandOver ? "follows the hand-over" : "is to come from the client again");
    }

    /**
     * A client segment of no mapping: if it confirms a handshake whose final ACK the capture
     * missed ({@link UnconfirmedHandshakes}), that connection is queued for recovery now, resumed
     * at its start, and the segment waits for its forged handshake as any other would.
     *
     * @return the new mapping, or {@code null} when the segment confirms nothing
     */
    public Mapping confirmHandshake(RewritablePacket segment) {
        ConnectionSnapshot snapshot = unconfirmed.confirm(segment);
        if (snapshot == null) {
            return null;
        }
        if (!(RecoveryCandidate.assess(snapshot) instanceof RecoveryCandidate.Recoverable recoverable)) {
            return null;
        }
        RecoveryCandidate c = recoverable.candidate();
        enqueue(c, true);
        log.info("proxy: {} -> {}: its handshake's final ACK was missed by the capture; its client's first segment confirms it:"
                + " re-created", snapshot.client().hostAndPort(), snapshot.server().hostAndPort());
        startQueued(nanos.getAsLong());
        return table.byClient(c.clientAddress(), c.clientPort(), c.primaryAddress(), c.primaryPort());
    }

    /**
     * A client segment of no mapping, on a tuple that had closed both ways at the failover: a FIN
     * or data is answered with the exact ACK, as the primary's TIME_WAIT would (a reset would tell a
     * client in LAST_ACK that its connection failed); a bare ACK and a reset need no answer. A SYN
     * starts a new connection (RFC 6191): the tuple is forgotten, and the SYN is not taken here.
     *
     * @return whether the segment was taken
     */
    public boolean answerClosed(RewritablePacket segment) {
        if (closed.size() == 0) {
            return false;
        }
        ClosedTuples.Closed c = closed.find(segment.sourceIpv4(), segment.sourcePort(), segment.destinationIpv4(),
                segment.destinationPort(), nanos.getAsLong());
        if (c == null) {
            return false;
        }
        if (segment.hasFlags(RewritablePacket.SYN) || segment.hasFlags(RewritablePacket.RST)) {
            closed.forget(segment.sourceIpv4(), segment.sourcePort(), segment.destinationIpv4(), segment.destinationPort());
            return segment.hasFlags(RewritablePacket.RST);
        }
        if (segment.hasFlags(RewritablePacket.FIN) || segment.payloadLength() > 0) {
            resets.acknowledgeClosed(segment, c.serverNext(), c.clientNext(), c.clientMac(), c.primaryMac());
        }
        closed.answered();
        return true;
    }

    /** @return the tuples that had closed both ways at the failover, still answered */
    public ClosedTuples closedTuples() {
        return closed;
    }

    /** Writes the FINs of half-closed clients again that the replica has not acknowledged after a while. */
    private void repeatFins(long now) {
        for (int i = finsToHandOver.size() - 1; i >= 0; i--) {
            Mapping m = finsToHandOver.get(i);
            if (!m.finToHandOver || m.state == MappingState.CLOSED || m.state == MappingState.FAILED) {
                finsToHandOver.remove(i);
            } else if (m.state == MappingState.ESTABLISHED) {
                handOver.finAgain(m, now, FIN_REPEAT_NANOS);
            }
        }
    }

    /**
     * A resumed connection in the middle of a response: the primary had sent server bytes the
     * client had not acknowledged (the tracker saw them), or the client's window was closed (it had
     * not read all the primary sent, and the primary had more to send). Resumed, the replica never
     * got the request and will never send the rest: the client would wait forever. Honest evidence
     * only: a request whose response had not started yet leaves no trace on the wire and is not
     * caught (the client then waits for its own timeout, as before).
     */
    private void watchForCutResponse(Mapping mapping, RecoveryCandidate c) {
        long serverEnd = c.snapshot().serverToClient().highestSequenceEnd();
        if (serverEnd == org.migware.api.connection.DirectionState.UNKNOWN) {
            return;
        }
        int sentEnd = (int) serverEnd;
        boolean heldByWindow = keeper.serverHeldByWindow(c.clientAddress(), c.clientPort(), c.primaryAddress(), c.primaryPort());
        if (sentEnd - c.clientAck() > 0 && (heldByWindow || filledTheClientsWindow(c, sentEnd - c.clientAck()))) {
            // The primary was held back by the client's window (a client reading slower than the
            // server writes: a download): more was to come, whatever the client acknowledges later.
            mapping.responseEnd = sentEnd + 1;
            mapping.responseSurelyCut = true;
        } else if (sentEnd - c.clientAck() > 0) {
            mapping.responseEnd = sentEnd;
        } else if (c.snapshot().clientToServer().lastWindow() == 0) {
            mapping.responseEnd = c.clientAck() + 1; // at least one more byte was to come
            mapping.responseSurelyCut = true;
        } else if (heldByWindow) {
            // Everything sent was acknowledged and the window is open again: the client had just
            // read and opened it, and the primary, held back by it until then, had more to send.
            mapping.responseEnd = c.clientAck() + 1;
            mapping.responseSurelyCut = true;
        } else {
            return;
        }
        mapping.responseInProgress = true;
        midResponse.add(mapping);
    }

    /** The replica's data of a resumed connection waits for the client's own acknowledgement; see {@link Mapping#clientAckPending}. */
    private void awaitClientAck(Mapping mapping, RecoveryCandidate c) {
        long serverEnd = c.snapshot().serverToClient().highestSequenceEnd();
        mapping.primarySentEnd = serverEnd == org.migware.api.connection.DirectionState.UNKNOWN ? c.clientAck() : (int) serverEnd;
        mapping.clientAckPending = true;
    }

    /** Ends the waits for the client's acknowledgement that are over: the acknowledgement seen stands. */
    private void endClientAckWaits(long now) {
        for (int i = awaitingClientAck.size() - 1; i >= 0; i--) {
            Mapping m = awaitingClientAck.get(i);
            if (!m.clientAckPending || m.state == MappingState.CLOSED || m.state == MappingState.FAILED) {
                awaitingClientAck.remove(i);
            } else if (now - m.clientAckDeadlineNanos >= 0) {
                if (++m.clientAckProbes < CLIENT_ACK_PROBES) {
                    m.clientAckDeadlineNanos = now + CLIENT_ACK_WAIT_NANOS; // its answer may be what the mirror lost
                    probe.ask(m.candidate);
                } else {
                    m.clientAckPending = false;
                    awaitingClientAck.remove(i);
                }
            }
        }
    }

    /**
     * Whether the primary's unacknowledged bytes filled the window the client last offered, to
     * within two segments (a sender does not send a sliver of a segment into a window's rest): the
     * primary then stopped because of the window, not because its response ended. Bytes beyond the
     * window (a window the capture saw shrink, or a snapshot that does not fit) are no evidence.
     */
    private static boolean filledTheClientsWindow(RecoveryCandidate c, int inFlight) {
        if (c.clientLastWindow() <= 0) {
            return false;
        }
        int shift = Math.max(0, c.clientWindowScale()); // -1 unless both SYNs carried the option
        long window = (long) c.clientLastWindow() << shift;
        long segment = c.clientMss() > 0 ? c.clientMss() : 536;
        return inFlight <= window && inFlight >= window - 2 * segment;
    }

    /** Resets the clients of resumed connections whose response stayed cut short past their grace. */
    private void resetCutResponses(long now) {
        for (int i = midResponse.size() - 1; i >= 0; i--) {
            Mapping m = midResponse.get(i);
            boolean gone = m.state == MappingState.CLOSED || m.state == MappingState.FAILED;
            if (gone || !m.responseInProgress) {
                midResponse.remove(i);
            } else if (m.state == MappingState.ESTABLISHED && m.responseDeadlineNanos >= 0 && now - m.responseDeadlineNanos >= 0) {
                midResponse.remove(i);
                counters.midResponseResets++;
                log.warn("proxy: {}: resumed in the middle of a response the replica will never send: its client is reset"
                        + " (delivery replay carries such connections)", m);
                reset.resetBoth(m, m.lastAckToReplica - m.translation.d2(), m.lastReplicaAck, "its response was cut short by the failover");
            }
        }
    }

    /**
     * Why a connection cannot be replayed, {@code null} when it can: nothing kept, marked by the
     * keeper, or the stream kept ends before what the primary acknowledged of the client (its
     * last segment was missed by the capture) or the client acknowledged of the server.
     */
    private static NotReplayableReason whyNotReplayable(ReplayStream stream, RecoveryCandidate c) {
        if (stream == null) {
            return NotReplayableReason.HANDSHAKE_MISSED;
        }
        if (stream.reason() != null) {
            return stream.reason();
        }
        if (!stream.serverIsnKnown()) {
            return NotReplayableReason.HANDSHAKE_MISSED;
        }
        if (ReplayStream.alreadyKept(c.clientResume(), stream.clientIsn() + 1, stream.client().end()) < 0
                || ReplayStream.alreadyKept(c.clientAck(), stream.serverIsn() + 1, stream.digest().seen()) < 0) {
            return NotReplayableReason.CAPTURE_GAP;
        }
        return null;
    }

    /**
     * Where the pacer reads how many connections wait in the replica's accept queue, by port
     * ({@link ReplicaAcceptQueue#waiting}); they count against the handshakes in flight.
     */
    public void replicaAcceptQueue(IntUnaryOperator waitingOnPort) {
        acceptQueue = waitingOnPort;
    }

    /** @return the replica port whose accept queue the pacer watches, 0 when no connection is queued (no lock needed) */
    public int watchedPort() {
        return watchedPort;
    }

    /** Reads the watched port's accept queue: a /proc read, so the pacer does it before taking the lock. */
    public int readAcceptQueue() {
        int port = watchedPort;
        return port > 0 ? acceptQueue.applyAsInt(port) : ReplicaAcceptQueue.UNKNOWN;
    }

    /** One tick of the pacer: removes lingered mappings, retries or fails unanswered SYNs, starts queued ones. */
    public void pace(int replicaAcceptWaiting) {
        acceptWaiting = replicaAcceptWaiting;
        paces++;
        long now = nanos.getAsLong();
        table.removeClosed(now);
        if (!midResponse.isEmpty()) {
            resetCutResponses(now);
        }
        if (!awaitingClientAck.isEmpty()) {
            endClientAckWaits(now);
        }
        if (!finsToHandOver.isEmpty()) {
            repeatFins(now);
        }
        closed.expire(now);
        if (finishedNanos < 0 && now - lastProgressLogNanos >= PROGRESS_LOG_NANOS) {
            lastProgressLogNanos = now;
            log.info("proxy: recovering: {} recovered, {} handshaking, {} queued, {} waiting in the replica's accept queue ({} paces)",
                    counters.recovered, handshaking, queued.size(), acceptWaiting, paces);
        }
        if (handshaking > 0) {
            table.forEachByShadow(mapping -> {
                if (mapping.state == MappingState.HANDSHAKING && now - mapping.synSentNanos >= pacing.retryAfter(mapping.synAttempts)) {
                    if (mapping.synAttempts >= pacing.synAttempts()) {
                        mapping.state = MappingState.FAILED;
                        handshaking--;
                        counters.failed++;
                        mapping.pending = null;
                        if (mapping.replay != null) {
                            mapping.replay.release();
                        }
                        log.warn("proxy: {}: the replica did not answer {} forged SYNs", mapping, mapping.synAttempts);
                    } else {
                        handshake.sendSyn(mapping, now);
                    }
                }
            });
        }
        startQueued(now);
    }

    /**
     * Fills the handshakes in flight up to the limit from the queue — counting the replica's
     * accept queue in, so that its listen backlog never overflows (a full backlog drops SYNs and
     * final ACKs, and each costs a retransmission timer) — and reports the end of recovery once
     * nothing is left.
     */
    private void startQueued(long now) {
        while (handshaking + Math.max(0, acceptWaiting) < pacing.handshakesInFlight() && !queued.isEmpty()) {
            Mapping mapping = queued.poll();
            mapping.state = MappingState.HANDSHAKING;
            handshaking++;
            handshake.sendSyn(mapping, now);
        }
        watchedPort = queued.isEmpty() ? 0 : replica.portFor(queued.peek());
        if (finishedNanos < 0 && queued.isEmpty() && handshaking == 0) {
            finishedNanos = now;
            String text = summary.get();
            log.info("proxy: recovery finished: {}", text);
            Consumer<String> done = onFinished;
            log.later(() -> done.accept(text));
        }
    }

    /** The replica answered a connection in HANDSHAKING: its SYN-ACK completes it, a reset makes it retry at once. */
    public void answered(Mapping mapping, RewritablePacket segment, boolean synAck) {
        if (synAck && segment.acknowledgementNumber() == mapping.streamStart) {
            complete(mapping, segment);
        } else if (segment.hasFlags(RewritablePacket.RST)) {
            // The replica refused the forged SYN (nothing listening yet?): try again, after the same
            // growing wait as for an unanswered SYN, until the attempts run out. Retrying at once
            // spent every attempt within a millisecond.
            mapping.synSentNanos = nanos.getAsLong();
        }
    }

    private void complete(Mapping mapping, RewritablePacket synAck) {
        handshake.complete(mapping, synAck);
        if (mapping.replay != null) {
            mapping.replay.started(nanos.getAsLong());
        }
        if (mapping.clientAckPending) {
            mapping.clientAckDeadlineNanos = nanos.getAsLong() + CLIENT_ACK_WAIT_NANOS;
            awaitingClientAck.add(mapping);
            probe.ask(mapping.candidate);
        }
        if (mapping.responseInProgress) {
            // A grace for the client's acknowledgement only where one could show the response whole.
            mapping.responseDeadlineNanos = nanos.getAsLong() + (mapping.responseSurelyCut ? 0 : RESPONSE_GRACE_NANOS);
        }
        mapping.lastReplicaAck = mapping.streamStart;
        mapping.state = MappingState.ESTABLISHED;
        handshaking--;
        counters.recovered++;
        if (acceptWaiting >= 0) {
            acceptWaiting++; // it waits for the application's accept() now, until the pacer reads the queue again
        }
        // A SYN-ACK's window is never scaled.
        handOver.continueHandOver(mapping, mapping.streamStart, synAck.window(), nanos.getAsLong());
        ArrayDeque<byte[]> pending = mapping.pending;
        mapping.pending = null;
        if (pending != null) {
            for (byte[] frame : pending) {
                clientToReplica.forwardWaiting(mapping, frame);
            }
        }
        // The next forged SYN goes now, not at the pacer's next tick: recovery runs at the replica's pace.
        startQueued(nanos.getAsLong());
    }

    /** The replica sent its SYN-ACK again: our ACK was lost or its accept queue was full. */
    public void acknowledgeAgain(Mapping mapping, RewritablePacket synAck) {
        handshake.sendAck(mapping, synAck);
    }

    /** The replica acknowledged client bytes: more of the hand-over may go. */
    public void continueHandOver(Mapping mapping, int replicaAck, long windowBytes) {
        handOver.continueHandOver(mapping, replicaAck, windowBytes, nanos.getAsLong());
    }

    // ---- kept across a restart of the proxy bundle ----

    /**
     * A queued mapping whose forged SYN the previous process had sent after its last snapshot,
     * and which the replica answered (the handshake journal says so): in flight again, so that the
     * answer completes it.
     */
    public void handshakeUnderWay(Mapping mapping) {
        if (mapping.state == MappingState.QUEUED && queued.remove(mapping)) {
            mapping.state = MappingState.HANDSHAKING;
            handshaking++;
        }
    }

    /**
     * Takes a restored mapping back into the queue or the handshakes in flight, and a half-closed
     * client's FIN the replica had not acknowledged back among those written until it does: one
     * written before the restart is written again at the next pace (it, or the replica's
     * acknowledgement, may have been lost with the old process), one not yet written goes after
     * the hand-over as before.
     */
    public void restored(Mapping mapping) {
        if (mapping.state == MappingState.QUEUED) {
            queued.add(mapping);
        } else if (mapping.state == MappingState.HANDSHAKING) {
            handshaking++;
            mapping.synSentNanos = Long.MIN_VALUE / 2; // its SYN-ACK may have been lost with the old TUN: send again now
        }
        if (mapping.finToHandOver) {
            finsToHandOver.add(mapping);
            if (mapping.finSentNanos != 0) {
                long due = nanos.getAsLong() - FIN_REPEAT_NANOS;
                mapping.finSentNanos = due == 0 ? -1 : due;
            }
        }
    }

    /** Takes over the times of a previous activation's recovery (-1: not started, not finished). */
    public void restoreTimes(long sinceStartNanos, long finishedAfterNanos, long now) {
        startedNanos = sinceStartNanos < 0 ? -1 : now - sinceStartNanos;
        finishedNanos = finishedAfterNanos < 0 || startedNanos < 0 ? -1 : startedNanos + finishedAfterNanos;
    }

    /** @param done told when every connection has been handled, if that is still to come */
    public void whenFinished(Consumer<String> done) {
        onFinished = done;
    }

    /** @return the queued mappings, longest waiting first */
    public List<Mapping> queuedInOrder() {
        return new ArrayList<>(queued);
    }

    /** @return how long ago recovery started, -1 if it has not */
    public long sinceStartNanos(long now) {
        return startedNanos < 0 ? -1 : now - startedNanos;
    }

    /** @return how long recovery took, -1 if it has not finished */
    public long finishedAfterNanos() {
        return finishedNanos < 0 ? -1 : finishedNanos - startedNanos;
    }

    /** @return how long recovery has taken so far, or took */
    public long elapsedMillis(long now) {
        return elapsedNanos(now) / 1_000_000;
    }

    /** @return how long recovery has taken so far, or took, in nanoseconds; 0 before it started */
    public long elapsedNanos(long now) {
        return startedNanos < 0 ? 0 : (finishedNanos < 0 ? now : finishedNanos) - startedNanos;
    }

    public boolean started() {
        return startedNanos >= 0;
    }

    public boolean finished() {
        return finishedNanos >= 0;
    }

    /**
     * @return whether nothing waits on a timer of a few milliseconds: recovery finished, no forged
     *     handshake, cut response, client acknowledgement or FIN to hand over outstanding
     */
    public boolean settled() {
        return finishedNanos >= 0 && queued.isEmpty() && handshaking == 0 && midResponse.isEmpty() && awaitingClientAck.isEmpty()
                && finsToHandOver.isEmpty();
    }

    /** @return connections queued or handshaking */
    public int pending() {
        return queued.size() + handshaking;
    }

    /** @return connections waiting for their forged handshake to start */
    public int queued() {
        return queued.size();
    }

    /** @return forged handshakes in flight */
    public int handshaking() {
        return handshaking;
    }

    public List<RecoveryCandidate.NotRecoverable> notRecoverable() {
        return List.copyOf(notRecoverable);
    }
}
