package org.migware.api.failover;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The migration's counters at one moment.
 *
 * @param phase where the migration stands
 * @param detail with {@link MigrationPhase#UNAVAILABLE}: why, in words; otherwise {@code null}
 * @param recoveryStarted when recovery started, {@code null} before a failover
 * @param recoveryFinished when every connection had been handled, {@code null} until then
 * @param recoveryNanos how long recovery took, or has taken so far; 0 before a failover
 * @param recovered connections re-created against the replica
 * @param failed connections whose forged handshake the replica never answered
 * @param queued connections waiting for their forged handshake to start
 * @param handshaking forged handshakes in flight
 * @param notRecoverable connections left alone at failover
 * @param notRecoverableConnections which, and why; those of the migration bundle's current
 *     activation only (after a restart of the bundle the count is kept, the list is not)
 * @param passedThrough new connections after the failover, passed through untranslated
 * @param dropped packets MigWare could not carry
 * @param bytesHandedOver client bytes MigWare handed to the replica itself
 * @param framing the configured record framing ({@code none}, {@code newline},
 *     {@code length-prefixed-2}, {@code length-prefixed-4})
 * @param recordHeadsPrepended with a framing: connections whose record in progress was handed over whole
 * @param recordHeadsNotKept with a framing: connections whose record head was not kept
 * @param resetsSent resets sent for segments of no known connection
 * @param ecnRefusedByReplica connections that negotiated ECN with the primary but not with the replica
 * @param delivery what the configured deliveries would do at a failover now, and what replay did
 *     since one (since 2.1; {@link DeliveryTotals#resumeOnly()} when not given)
 * @param traffic what went through MigWare in PROXY (since 2.3; {@link ProxyTraffic#none()} when not given)
 * @param directPath the direct path after a failover: carried connections left, the nftables set, the hand-off
 *     to keepalived (since 2.5; {@link DirectPathStatus#off()} when not given)
 * @since 1.2
 */
public record MigrationProgress(
        MigrationPhase phase,
        String detail,
        Instant recoveryStarted,
        Instant recoveryFinished,
        long recoveryNanos,
        int recovered,
        int failed,
        int queued,
        int handshaking,
        int notRecoverable,
        List<NotRecoverableConnection> notRecoverableConnections,
        int passedThrough,
        long dropped,
        long bytesHandedOver,
        String framing,
        int recordHeadsPrepended,
        int recordHeadsNotKept,
        long resetsSent,
        int ecnRefusedByReplica,
        DeliveryTotals delivery,
        ProxyTraffic traffic,
        DirectPathStatus directPath) {

    /** The framing that keeps no record heads. */
    public static final String NO_FRAMING = "none";

    /** Validates the fields and copies the list so that the record stays immutable. */
    public MigrationProgress {
        Objects.requireNonNull(phase, "phase");
        Objects.requireNonNull(framing, "framing");
        notRecoverableConnections = List.copyOf(notRecoverableConnections);
        delivery = delivery == null ? DeliveryTotals.resumeOnly() : delivery;
        traffic = traffic == null ? ProxyTraffic.none() : traffic;
        directPath = directPath == null ? DirectPathStatus.off() : directPath;
    }

    /** The progress without the direct path, as before 2.5. */
    public MigrationProgress(MigrationPhase phase, String detail, Instant recoveryStarted, Instant recoveryFinished, long recoveryNanos,
            int recovered, int failed, int queued, int handshaking, int notRecoverable,
            List<NotRecoverableConnection> notRecoverableConnections, int passedThrough, long dropped, long bytesHandedOver,
            String framing, int recordHeadsPrepended, int recordHeadsNotKept, long resetsSent, int ecnRefusedByReplica,
            DeliveryTotals delivery, ProxyTraffic traffic) {
        this(phase, detail, recoveryStarted, recoveryFinished, recoveryNanos, recovered, failed, queued, handshaking, notRecoverable,
                notRecoverableConnections, passedThrough, dropped, bytesHandedOver, framing, recordHeadsPrepended, recordHeadsNotKept,
                resetsSent, ecnRefusedByReplica, delivery, traffic, DirectPathStatus.off());
    }

    /**
     * @param status the direct path's status
     * @return the same progress with {@code status}
     * @since 2.5
     */
    public MigrationProgress withDirectPath(DirectPathStatus status) {
        return new MigrationProgress(phase, detail, recoveryStarted, recoveryFinished, recoveryNanos, recovered, failed, queued,
                handshaking, notRecoverable, notRecoverableConnections, passedThrough, dropped, bytesHandedOver, framing,
                recordHeadsPrepended, recordHeadsNotKept, resetsSent, ecnRefusedByReplica, delivery, traffic, status);
    }

    /** The progress without the traffic of PROXY, as before 2.3. */
    public MigrationProgress(MigrationPhase phase, String detail, Instant recoveryStarted, Instant recoveryFinished, long recoveryNanos,
            int recovered, int failed, int queued, int handshaking, int notRecoverable,
            List<NotRecoverableConnection> notRecoverableConnections, int passedThrough, long dropped, long bytesHandedOver,
            String framing, int recordHeadsPrepended, int recordHeadsNotKept, long resetsSent, int ecnRefusedByReplica,
            DeliveryTotals delivery) {
        this(phase, detail, recoveryStarted, recoveryFinished, recoveryNanos, recovered, failed, queued, handshaking, notRecoverable,
                notRecoverableConnections, passedThrough, dropped, bytesHandedOver, framing, recordHeadsPrepended, recordHeadsNotKept,
                resetsSent, ecnRefusedByReplica, delivery, ProxyTraffic.none());
    }

    /** The progress of a migration that keeps nothing for replay, as before 2.1. */
    public MigrationProgress(MigrationPhase phase, String detail, Instant recoveryStarted, Instant recoveryFinished, long recoveryNanos,
            int recovered, int failed, int queued, int handshaking, int notRecoverable,
            List<NotRecoverableConnection> notRecoverableConnections, int passedThrough, long dropped, long bytesHandedOver,
            String framing, int recordHeadsPrepended, int recordHeadsNotKept, long resetsSent, int ecnRefusedByReplica) {
        this(phase, detail, recoveryStarted, recoveryFinished, recoveryNanos, recovered, failed, queued, handshaking, notRecoverable,
                notRecoverableConnections, passedThrough, dropped, bytesHandedOver, framing, recordHeadsPrepended, recordHeadsNotKept,
                resetsSent, ecnRefusedByReplica, DeliveryTotals.resumeOnly());
    }

    /** @return no replica configured: nothing is migrated */
    public static MigrationProgress notConfigured() {
        return idle(MigrationPhase.NOT_CONFIGURED, null);
    }

    /**
     * @param why why migration cannot work, in words
     * @return configured, but migration cannot work
     */
    public static MigrationProgress unavailable(String why) {
        return idle(MigrationPhase.UNAVAILABLE, Objects.requireNonNull(why, "why"));
    }

    private static MigrationProgress idle(MigrationPhase phase, String detail) {
        return new MigrationProgress(phase, detail, null, null, 0, 0, 0, 0, 0, 0, List.of(), 0, 0, 0, NO_FRAMING, 0, 0, 0, 0);
    }

    /** @return connections still waiting: queued or handshaking */
    public int pending() {
        return queued + handshaking;
    }

    /** @return {@link #recoveryNanos()} in whole milliseconds */
    public long recoveryMillis() {
        return recoveryNanos / 1_000_000;
    }
}
