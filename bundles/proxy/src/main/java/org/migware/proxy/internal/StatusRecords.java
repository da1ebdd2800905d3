package org.migware.proxy.internal;

import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.migware.api.connection.Endpoint;
import org.migware.api.failover.DeliveryTotals;
import org.migware.api.failover.KeptConnection;
import org.migware.api.failover.MappingSnapshot;
import org.migware.api.failover.MigrationPhase;
import org.migware.api.failover.MigrationProgress;
import org.migware.api.failover.ProxyTraffic;
import org.migware.api.failover.NotRecoverableConnection;
import org.migware.api.failover.NotReplayableReason;
import org.migware.api.packet.AddressWords;
import org.migware.api.wire.Ipv4Header;
import org.migware.proxy.internal.keeper.ReplayKeeper;
import org.migware.proxy.internal.mapping.ConnectionTranslation;
import org.migware.proxy.internal.mapping.Mapping;
import org.migware.proxy.internal.mapping.MappingState;
import org.migware.proxy.internal.mapping.MigrationCounters;
import org.migware.proxy.internal.mapping.RecoveryCandidate;

/**
 * The engine's state as the API's status records. The engine copies its fields under its lock
 * into the two copies below; the records are built from the copies after the lock is released,
 * so that building thousands of them never stalls a packet.
 */
final class StatusRecords {

    private StatusRecords() {
    }

    /**
     * The progress's fields, copied under the engine's lock.
     *
     * @param sinceStartNanos how long ago recovery started, -1 if it has not
     * @param finishedAfterNanos how long recovery took, -1 if it has not finished
     * @param elapsedNanos how long recovery has taken so far, or took
     */
    record ProgressCopy(long sinceStartNanos, long finishedAfterNanos, long elapsedNanos, int queued, int handshaking,
            List<RecoveryCandidate.NotRecoverable> notRecoverable, String framing,
            int recovered, int failed, int notRecoverableCount, int passedThrough, long dropped, long bytesHandedOver,
            int headsPrepended, int headsMissing, long resetsSent, int ecnRefused, DeliveryTotals delivery, ProxyTraffic traffic) {

        ProgressCopy(long sinceStartNanos, long finishedAfterNanos, long elapsedNanos, int queued, int handshaking,
                List<RecoveryCandidate.NotRecoverable> notRecoverable, String framing, MigrationCounters c, DeliveryTotals delivery) {
            this(sinceStartNanos, finishedAfterNanos, elapsedNanos, queued, handshaking, notRecoverable, framing,
                    c.recovered, c.failed, c.notRecoverable, c.passedThrough, c.dropped, c.bytesHandedOver,
                    c.headsPrepended, c.headsMissing, c.resetsSent, c.ecnRefused, delivery,
                    new ProxyTraffic(c.packetsToReplica, c.bytesToReplica, c.packetsToClient, c.bytesToClient, c.droppedByReason(),
                            c.arpAnswers));
        }

        /** @param now the wall clock when the copy was taken: the instants are now minus the elapsed nanos */
        MigrationProgress progress(Instant now) {
            MigrationPhase phase = sinceStartNanos < 0 ? MigrationPhase.READY
                    : finishedAfterNanos < 0 ? MigrationPhase.RECOVERING : MigrationPhase.RECOVERED;
            Instant started = sinceStartNanos < 0 ? null : now.minusNanos(sinceStartNanos);
            Instant finished = started == null || finishedAfterNanos < 0 ? null : started.plusNanos(finishedAfterNanos);
            List<NotRecoverableConnection> left = new ArrayList<>(notRecoverable.size());
            for (RecoveryCandidate.NotRecoverable not : notRecoverable) {
                left.add(new NotRecoverableConnection(not.snapshot().client(), not.snapshot().server(), not.reason(), not.detail()));
            }
            return new MigrationProgress(phase, null, started, finished, elapsedNanos, recovered, failed, queued, handshaking,
                    notRecoverableCount, left, passedThrough, dropped, bytesHandedOver, framing, headsPrepended, headsMissing,
                    resetsSent, ecnRefused, delivery, traffic);
        }
    }

    /**
     * The delivery totals: what the kept connections' deliveries would do at a failover now, and
     * what replay did since one. Built under the engine's lock from the keeper's copies (a handful
     * of numbers per connection).
     */
    static DeliveryTotals deliveryTotals(String delivery, List<ReplayKeeper.Kept> kept, int[] notReplayable, long keptBytes,
            long keptBytesLimit, long keptExpired, MigrationCounters c) {
        int replayable = 0;
        int resumable = 0;
        int notMigratable = 0;
        for (ReplayKeeper.Kept k : kept) {
            switch (k.readiness()) {
                case REPLAYABLE -> replayable++;
                case RESUMABLE_ONLY -> resumable++;
                case NOT_MIGRATABLE -> notMigratable++;
            }
        }
        return new DeliveryTotals(delivery, keptBytes, keptBytesLimit, replayable, resumable, notMigratable,
                notReplayable[NotReplayableReason.HANDSHAKE_MISSED.ordinal()], notReplayable[NotReplayableReason.STREAM_TOO_LONG.ordinal()],
                notReplayable[NotReplayableReason.KEEPING_MEMORY_FULL.ordinal()], notReplayable[NotReplayableReason.CAPTURE_GAP.ordinal()],
                notReplayable[NotReplayableReason.TLS_SEEN.ordinal()], notReplayable[NotReplayableReason.SSH_SEEN.ordinal()],
                c.replayed, c.replayCaughtUp, c.replayDiverged, c.resetAtFailover, c.replayBytesVerified, c.replayBytesDropped,
                c.midResponseResets, keptExpired);
    }

    /** @return the kept connections as the API's records */
    static List<KeptConnection> keptConnections(List<ReplayKeeper.Kept> kept) {
        List<KeptConnection> records = new ArrayList<>(kept.size());
        for (ReplayKeeper.Kept k : kept) {
            records.add(new KeptConnection(new Endpoint(address(k.clientAddress()), k.clientPort(), null),
                    new Endpoint(address(k.serviceAddress()), k.servicePort(), null), k.delivery(), k.readiness(), k.reason(),
                    k.clientBytes(), k.serverBytes(), k.serverBytesAcked()));
        }
        return records;
    }

    /**
     * One mapping's changing fields, copied under the engine's lock (the translation is immutable,
     * the candidate a record, the addresses final).
     */
    record MappingCopy(Mapping mapping, MappingState state, ConnectionTranslation translation, boolean ecnRefused,
            int streamStart, int handOverLeft, long toReplica, long toClient, int replicaAddress, int replicaPort,
            MappingSnapshot.Replay replay) {

        MappingCopy(Mapping m, int replicaAddress, int replicaPort, long now) {
            this(m, m.state, m.translation, m.ecnRefused, m.streamStart, (int) Math.min(Integer.MAX_VALUE, remaining(m)), m.toReplica,
                    m.toClient, replicaAddress, replicaPort, m.replay == null ? null : m.replay.snapshot(now));
        }

        /** @return the hand-over bytes not yet acknowledged by the replica (all of them for a resumed connection's, as before) */
        private static long remaining(Mapping m) {
            if (m.replay == null) {
                return m.handOver.length;
            }
            long left = m.handOverLength() - Math.max(0, m.handOverAck - m.streamStart);
            return Math.max(0, left);
        }

        /** @return the line the log and the proxy's tests show */
        String line() {
            RecoveryCandidate candidate = mapping.candidate;
            return mapping + " state=" + state
                    + (translation == null ? "" : " d2=" + Integer.toUnsignedString(translation.d2())
                            + " tsOffset=" + translation.tsOffset()
                            + " windowShift=" + translation.replicaWindowShift() + "->" + translation.primaryWindowShift())
                    + (candidate != null && candidate.ecn() ? (ecnRefused ? " ecn=refused-by-replica" : " ecn=on") : "")
                    + " streamStart=" + Integer.toUnsignedString(streamStart) + " handOverLeft=" + handOverLeft
                    + " toReplica=" + toReplica + " toClient=" + toClient
                    + (replay == null ? "" : " replay=" + replay.outcome().name().toLowerCase(java.util.Locale.ROOT)
                            + " verified=" + replay.bytesVerified() + " left=" + replay.bytesLeftToRegenerate());
        }

        MappingSnapshot snapshot() {
            Mapping m = mapping;
            RecoveryCandidate candidate = m.candidate;
            MappingSnapshot.Ecn ecn = candidate == null || !candidate.ecn() ? MappingSnapshot.Ecn.NOT_NEGOTIATED
                    : ecnRefused ? MappingSnapshot.Ecn.REFUSED_BY_REPLICA : MappingSnapshot.Ecn.ON;
            MappingSnapshot.Translation numbers = translation == null ? null
                    : new MappingSnapshot.Translation(Integer.toUnsignedLong(translation.d2()), translation.tsOffset(),
                            translation.replicaWindowShift(), translation.primaryWindowShift());
            return new MappingSnapshot(
                    new Endpoint(address(m.clientAddress), m.clientPort, AddressWords.mac(m.clientMac)),
                    new Endpoint(address(m.shadowAddress), m.shadowPort, null),
                    new Endpoint(address(replicaAddress), replicaPort, null),
                    MappingSnapshot.State.valueOf(state.name()), numbers, ecn, Integer.toUnsignedLong(streamStart), handOverLeft,
                    toReplica, toClient, replay);
        }
    }

    private static InetAddress address(int ipv4) {
        return AddressWords.toInetAddress(0, Ipv4Header.MAPPED_PREFIX | Integer.toUnsignedLong(ipv4));
    }
}
