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
 * @param synEcnFlags the ECN-related flags of this side's SYN or SYN-ACK as on the wire ({@link #AE},
 *     {@link #CWR}, {@link #ECE}; 0 for none), or -1 when it was not seen. RFC 3168 ECN was
 *     negotiated when the client's SYN carried {@code ECE|CWR} and the server's SYN-ACK {@code ECE}
 *     alone; other combinations are Accurate ECN (RFC 9768) or no ECN.
 * @param finSequence the sequence number of this side's FIN, or {@link #UNKNOWN} when no FIN of
 *     this side was seen (or proven by the other side's acknowledgement). A side whose FIN is known
 *     has half-closed: it sends no more bytes, and it still reads (since 1.7)
 * @since 1.2
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
        long outOfOrder,
        int synEcnFlags,
        long finSequence) {

    /** Marks a sequence, acknowledgement or timestamp value that was never seen. */
    public static final long UNKNOWN = -1L;

    /** TCP's AE flag (formerly NS), bit 8 of the flags as {@code ParsedPacket.flags()} returns them. */
    public static final int AE = 0x100;
    /** TCP's CWR flag. */
    public static final int CWR = 0x80;
    /** TCP's ECE flag. */
    public static final int ECE = 0x40;

    /**
     * The state without this side's FIN, as before version 1.7.
     *
     * @deprecated since 1.7; use the canonical constructor
     */
    @Deprecated
    public DirectionState(long initialSequence, int mss, int windowScale, boolean sackPermitted, boolean timestamps,
            long highestAck, long highestSequenceEnd, long lastTimestampValue, int lastWindow, long bytes, long packets,
            long retransmissions, long outOfOrder, int synEcnFlags) {
        this(initialSequence, mss, windowScale, sackPermitted, timestamps, highestAck, highestSequenceEnd,
                lastTimestampValue, lastWindow, bytes, packets, retransmissions, outOfOrder, synEcnFlags, UNKNOWN);
    }

    /**
     * The state without what the SYN said about ECN, as before version 1.2.
     *
     * @deprecated since 1.2; use the canonical constructor
     */
    @Deprecated
    public DirectionState(long initialSequence, int mss, int windowScale, boolean sackPermitted, boolean timestamps,
            long highestAck, long highestSequenceEnd, long lastTimestampValue, int lastWindow, long bytes, long packets,
            long retransmissions, long outOfOrder) {
        this(initialSequence, mss, windowScale, sackPermitted, timestamps, highestAck, highestSequenceEnd,
                lastTimestampValue, lastWindow, bytes, packets, retransmissions, outOfOrder, -1, UNKNOWN);
    }

    /**
     * @return whether this side's FIN was seen: it has half-closed
     * @since 1.7
     */
    public boolean finSeen() {
        return finSequence != UNKNOWN;
    }

    /**
     * @param serverSide the server's side of the same connection
     * @return whether this side (the client's) and {@code serverSide} negotiated RFC 3168 ECN
     */
    public boolean classicEcnWith(DirectionState serverSide) {
        return synEcnFlags == (ECE | CWR) && serverSide.synEcnFlags == ECE;
    }
}
