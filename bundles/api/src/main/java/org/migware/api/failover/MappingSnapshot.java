package org.migware.api.failover;

import java.util.Objects;

import org.migware.api.connection.Endpoint;

/**
 * One connection MigWare carries since the failover.
 *
 * @param client the client's end (with its MAC)
 * @param shadow the client-side end the replica sees: the connection's own shadow address and port
 * @param replica the replica's end
 * @param state where the re-created connection stands
 * @param translation the offsets between the primary's and the replica's numbers, {@code null}
 *     until the replica has answered the forged handshake
 * @param ecn whether RFC 3168 ECN is carried
 * @param streamStart the client sequence number of the replica's first byte (unsigned 32 bits)
 * @param handOverBytesLeft client bytes MigWare still has to hand to the replica itself
 * @param packetsToReplica packets translated from the client to the replica
 * @param packetsToClient packets translated from the replica to the client
 * @param replay the replay's catch-up, {@code null} when the connection is resumed (since 2.1)
 * @since 1.2
 */
public record MappingSnapshot(
        Endpoint client,
        Endpoint shadow,
        Endpoint replica,
        State state,
        Translation translation,
        Ecn ecn,
        long streamStart,
        int handOverBytesLeft,
        long packetsToReplica,
        long packetsToClient,
        Replay replay) {

    /** A mapping of a resumed connection, as before 2.1. */
    public MappingSnapshot(Endpoint client, Endpoint shadow, Endpoint replica, State state, Translation translation, Ecn ecn,
            long streamStart, int handOverBytesLeft, long packetsToReplica, long packetsToClient) {
        this(client, shadow, replica, state, translation, ecn, streamStart, handOverBytesLeft, packetsToReplica, packetsToClient, null);
    }

    /**
     * Where a replayed connection's catch-up stands: the replica regenerates what the primary
     * had sent, each byte checked against the primary's digest, and only what the client does
     * not hold yet goes on to it.
     *
     * @param primaryBytesSent server bytes the primary had sent, as far as MigWare saw them: the
     *     replica's output up to there is checked
     * @param clientBytesHeld server bytes the client had acknowledged: the replica's output up to
     *     there is dropped
     * @param bytesVerified replica bytes checked so far
     * @param bytesLeftToRegenerate replica bytes still to come before it has caught up
     * @param catchUpNanos how long the catch-up has taken so far, or took
     * @param outcome where it stands
     * @since 2.1
     */
    public record Replay(long primaryBytesSent, long clientBytesHeld, long bytesVerified, long bytesLeftToRegenerate,
            long catchUpNanos, ReplayOutcome outcome) {
    }

    /**
     * Where a replayed connection's catch-up stands.
     *
     * @since 2.1
     */
    public enum ReplayOutcome {
        /** The replica has not regenerated all the primary had sent yet. */
        CATCHING_UP,
        /** Everything the primary had sent was regenerated and matched: the replica's bytes go on as they come. */
        CAUGHT_UP,
        /** The replica's output differed from the primary's: the client was reset, nothing foreign reached it. */
        DIVERGED
    }

    /** Where a re-created connection stands. */
    public enum State {
        /** Waiting for its forged handshake to start. */
        QUEUED,
        /** The forged SYN is out; the replica has not answered yet. */
        HANDSHAKING,
        /** Re-created: every segment is translated both ways. */
        ESTABLISHED,
        /** The replica never answered the forged SYNs. */
        FAILED,
        /** Both sides have closed. */
        CLOSED
    }

    /** Whether congestion marks are carried (RFC 3168). */
    public enum Ecn {
        /** Client and primary had not negotiated ECN. */
        NOT_NEGOTIATED,
        /** Negotiated with the primary, and the replica agreed. */
        ON,
        /** Negotiated with the primary, but the replica's SYN-ACK did not agree. */
        REFUSED_BY_REPLICA
    }

    /**
     * The offsets between the primary's numbers, which the client knows, and the replica's.
     *
     * @param d2 added to the replica's sequence numbers on the way to the client (unsigned 32 bits)
     * @param timestampOffset added to the replica's TSval on the way to the client
     * @param replicaWindowShift the replica's window-scale shift
     * @param primaryWindowShift the primary's window-scale shift, which the client applies
     */
    public record Translation(long d2, int timestampOffset, int replicaWindowShift, int primaryWindowShift) {
    }

    /** Validates the fields. */
    public MappingSnapshot {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(shadow, "shadow");
        Objects.requireNonNull(replica, "replica");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(ecn, "ecn");
    }
}
