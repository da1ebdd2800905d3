package org.migware.api.failover;

import java.util.Objects;

/**
 * What the configured deliveries would do at a failover now, in total, and what replay did
 * since one.
 *
 * @param delivery the configured delivery and its per-port overrides, as the configuration
 *     writes them ({@code resume}, {@code replay 443=resume})
 * @param keptBytes bytes held off-heap for replay now (client streams, server flights, digests)
 * @param keptBytesLimit the bound of {@code keptBytes}
 * @param replayable connections kept whole whose delivery would replay them
 * @param resumableOnly connections a failover would resume
 * @param notMigratable connections with delivery {@code replay} that cannot be replayed
 * @param handshakeMissed connections not replayable since keeping did not start at their SYN
 * @param streamTooLong connections not replayable since they outgrew the bytes kept per connection
 * @param memoryFull connections not replayable since the bytes kept in total reached their bound
 * @param captureGaps connections not replayable since the capture missed bytes of their streams
 * @param tlsSeen connections not replayable since their stream starts with TLS
 * @param sshSeen connections not replayable since their stream starts with SSH
 * @param replayed connections replayed since the failover
 * @param caughtUp replayed connections whose replica has regenerated all the primary had sent
 * @param diverged replayed connections whose replica's output differed from the primary's: reset
 * @param resetAtFailover connections with delivery {@code replay} that could not be replayed: reset at failover
 * @param bytesVerified replica bytes checked against the primary's digest
 * @param bytesDropped replica bytes dropped because the client already held them
 * @param midResponseResets resumed connections whose client was reset because the failover cut
 *     their response short (the replica, which never got the request, would never send the rest)
 * @param keptExpired connections whose kept streams (for resume and for replay) were freed before a
 *     failover because they went silent without a FIN or RST: the tracker no longer held them, or
 *     (held as closed, or no tracker running) they saw no frame for the proxy's {@code keepIdleSeconds}
 *     ({@code keepHalfOpenSeconds} for a client that sent nothing after its SYN); since 2.6
 * @since 2.1
 */
public record DeliveryTotals(String delivery, long keptBytes, long keptBytesLimit, int replayable, int resumableOnly,
        int notMigratable, int handshakeMissed, int streamTooLong, int memoryFull, int captureGaps, int tlsSeen, int sshSeen,
        int replayed, int caughtUp, int diverged, int resetAtFailover, long bytesVerified, long bytesDropped, int midResponseResets,
        long keptExpired) {

    /** Validates the fields. */
    public DeliveryTotals {
        Objects.requireNonNull(delivery, "delivery");
    }

    /** The totals without {@code keptExpired}, as before 2.6. */
    public DeliveryTotals(String delivery, long keptBytes, long keptBytesLimit, int replayable, int resumableOnly, int notMigratable,
            int handshakeMissed, int streamTooLong, int memoryFull, int captureGaps, int tlsSeen, int sshSeen, int replayed, int caughtUp,
            int diverged, int resetAtFailover, long bytesVerified, long bytesDropped, int midResponseResets) {
        this(delivery, keptBytes, keptBytesLimit, replayable, resumableOnly, notMigratable, handshakeMissed, streamTooLong, memoryFull,
                captureGaps, tlsSeen, sshSeen, replayed, caughtUp, diverged, resetAtFailover, bytesVerified, bytesDropped, midResponseResets,
                0);
    }

    /** @return the totals of a migration bundle that keeps nothing for replay (delivery {@code resume}) */
    public static DeliveryTotals resumeOnly() {
        return new DeliveryTotals(Delivery.RESUME.configName(), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    /** @return whether anything is kept or was replayed: otherwise the status does not mention replay */
    public boolean anyReplay() {
        return !delivery.equals(Delivery.RESUME.configName()) || replayed > 0 || keptBytes > 0 || resetAtFailover > 0 || midResponseResets > 0;
    }
}
