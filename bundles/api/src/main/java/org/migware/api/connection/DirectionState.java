package org.migware.api.connection;

/**
 * What one side of a connection has sent, as seen on the wire. Sequence numbers are unsigned
 * 32-bit values held in a {@code long} (0 to 2^32-1); {@link #UNKNOWN} marks a value not seen.
 *
 * @param initialSequence the ISN from this side's SYN, or {@link #UNKNOWN} when the handshake was missed
 * @param mss the MSS this side announced, or -1
 * @param windowScale the window-scale shift this side announced, or -1
 * @param sackPermitted whether this side sent SACK-permitted
 * @param timestamps whether this side sent the timestamps option in its SYN
 * @param highestAck the highest acknowledgement number this side sent, or {@link #UNKNOWN}
 * @param highestSequenceEnd the highest seq + length (SYN and FIN count one) this side sent, or {@link #UNKNOWN}
 * @param lastTimestampValue the last TSval this side sent, or {@link #UNKNOWN}
 * @param lastWindow the last window this side advertised, unscaled as on the wire, or -1
 * @param bytes payload bytes this side sent, counted by sequence space (retransmissions once)
 * @param packets frames seen from this side, retransmissions included
 * @param retransmissions segments whose data lay wholly below {@link #highestSequenceEnd}
 * @param outOfOrder segments that started beyond {@link #highestSequenceEnd}: reordering or a gap in the capture
 */
public record DirectionState(
        long initialSequence,
        int mss,
        int windowScale,
        boolean sackPermitted,
        boolean timestamps,
        long highestAck,
        long highestSequenceEnd,
        long lastTimestampValue,
        int lastWindow,
        long bytes,
        long packets,
        long retransmissions,
        long outOfOrder) {

    /** Marks a sequence, acknowledgement or timestamp value that was never seen. */
    public static final long UNKNOWN = -1L;
}
