package org.migware.tracker.internal;

import org.migware.api.connection.DirectionState;
import org.migware.api.wire.SequenceNumbers;

/**
 * What one side of a connection has sent. Plain mutable fields, touched only under the
 * store's lock; 32-bit sequence values are kept in ints and compared with {@link Seq}.
 */
final class SideState {

    static final int ISN_KNOWN = 1;
    static final int SEQ_KNOWN = 1 << 1;
    static final int ACK_KNOWN = 1 << 2;
    static final int TS_KNOWN = 1 << 3;
    static final int SACK_PERMITTED = 1 << 4;
    static final int TIMESTAMPS = 1 << 5;
    static final int FIN_SEEN = 1 << 6;
    static final int MAC_KNOWN = 1 << 7;
    /** The ECN flags of this side's SYN (AE, CWR, ECE), kept in bits 8–10 beside the others: no extra field per side. */
    private static final int SYN_ECN_SHIFT = 8;
    private static final int SYN_ECN_MASK = 0x7 << SYN_ECN_SHIFT;
    private static final int SYN_ECE = 1 << SYN_ECN_SHIFT;
    private static final int SYN_CWR = 1 << (SYN_ECN_SHIFT + 1);
    private static final int SYN_AE = 1 << (SYN_ECN_SHIFT + 2);

    /** The receiving side's right edge (ACK + scaled window) this side has advertised is known. */
    static final int EDGE_KNOWN = 1;
    /** This side sent an ACK beyond what the other side was seen to send; not believed yet. */
    static final int PENDING_ACK = 1 << 1;
    /** This side sent data the tracker could not accept yet (beyond a window, or an unproven ACK). */
    static final int CLAIMED_END = 1 << 2;
    /** Among the data set aside was a FIN, at {@link #claimedFinSequence}. */
    static final int CLAIMED_FIN = 1 << 3;

    long mac;
    int flags;
    /**
     * What the tracker learned to judge the other side's segments: {@link #EDGE_KNOWN} and
     * friends. Apart from {@link #flags} because it is not persisted: after a restore the
     * checks stay open until a segment teaches them again.
     */
    int evidence;
    /** The highest right edge (ACK + scaled window) this side advertised; Linux never shrinks it. */
    int rightEdge;
    /** The largest scaled window this side advertised: RFC 5961 §5's MAX.SND.WND of its peer. */
    int maxWindow;
    /** An ACK of this side beyond the other side's known end, kept until that side's stream reaches it. */
    int pendingAck;
    /** The end of data this side sent that the tracker set aside; the other side's ACK can prove it. */
    int claimedEnd;
    /** The sequence number of a FIN set aside because it lay beyond the stream the capture showed. */
    int claimedFinSequence;
    /** Capture time of the last TSval taken from this side, to bound how far the next may jump. */
    long timestampSeenNanos;
    int initialSequence;
    int highestAck;
    int highestSequenceEnd;
    int lastTimestampValue;
    int finSequence;
    short mss = -1;
    byte windowScale = -1;
    int lastWindow = -1;
    long bytes;
    long packets;
    int retransmissions;
    int outOfOrder;

    boolean has(int flag) {
        return (flags & flag) != 0;
    }

    boolean knows(int evidenceFlag) {
        return (evidence & evidenceFlag) != 0;
    }

    void set(int flag) {
        flags |= flag;
    }

    /**
     * Records the options of this side's SYN; a SYN defines them afresh.
     *
     * @param tcpFlags the SYN's flags as {@code ParsedPacket.flags()} gives them, for its ECN bits
     */
    void recordSynOptions(int mssValue, int shift, boolean sack, boolean timestamps, int tcpFlags) {
        mss = (short) mssValue;
        windowScale = (byte) shift;
        flags &= ~(SACK_PERMITTED | TIMESTAMPS | SYN_ECN_MASK);
        if ((tcpFlags & DirectionState.ECE) != 0) {
            flags |= SYN_ECE;
        }
        if ((tcpFlags & DirectionState.CWR) != 0) {
            flags |= SYN_CWR;
        }
        if ((tcpFlags & DirectionState.AE) != 0) {
            flags |= SYN_AE;
        }
        if (sack) {
            flags |= SACK_PERMITTED;
        }
        if (timestamps) {
            flags |= TIMESTAMPS;
        }
    }

    /**
     * Accounts one segment's sequence space. Bytes are counted by how far the highest sequence
     * end moves, so a retransmission counts once, and bytes whose segment the mirror lost still
     * count (the application sent them): the count matches the application's, not the capture's.
     */
    void recordSegment(int sequence, int payloadLength, boolean syn, boolean fin) {
        int start = syn ? sequence + 1 : sequence;
        int dataEnd = start + payloadLength;
        int end = fin ? dataEnd + 1 : dataEnd;
        if (!has(SEQ_KNOWN)) {
            highestSequenceEnd = end;
            bytes += payloadLength;
            set(SEQ_KNOWN);
        } else if (SequenceNumbers.after(end, highestSequenceEnd)) {
            if (SequenceNumbers.after(sequence, highestSequenceEnd)) {
                outOfOrder = saturatingIncrement(outOfOrder);
            }
            // end is after the old highest end and dataEnd is end or end - 1 (a FIN), so the
            // forward distance is less than 2^31: never the wrap-around of a dataEnd behind it
            long advance = SequenceNumbers.distance(highestSequenceEnd, dataEnd);
            if (advance > 0) {
                bytes += advance;
            }
            highestSequenceEnd = end;
        } else if (payloadLength > 0 || syn || fin) {
            retransmissions = saturatingIncrement(retransmissions);
        }
        if (fin) {
            finSequence = dataEnd;
            set(FIN_SEEN);
        }
    }

    void recordAck(int ack) {
        if (!has(ACK_KNOWN) || SequenceNumbers.after(ack, highestAck)) {
            highestAck = ack;
            set(ACK_KNOWN);
        }
    }

    void recordTimestamp(int tsVal, long nowNanos) {
        // TSval is monotonic per sender; a reordered older segment must not move it back.
        if (!has(TS_KNOWN) || SequenceNumbers.atOrAfter(tsVal, lastTimestampValue)) {
            lastTimestampValue = tsVal;
            timestampSeenNanos = nowNanos;
            set(TS_KNOWN);
        }
    }

    /** Records the window this side advertised with {@code ack}, already scaled. */
    void recordWindow(int ack, long scaledWindow) {
        int edge = (int) (ack + scaledWindow);
        if (!knows(EDGE_KNOWN) || SequenceNumbers.after(edge, rightEdge)) {
            rightEdge = edge;
            evidence |= EDGE_KNOWN;
        }
        if (scaledWindow > maxWindow) {
            maxWindow = (int) scaledWindow; // at most 65,535 << 14, below 2^31
        }
    }

    /** Sets data aside that this side claims to have sent up to {@code end}. */
    void claim(int end) {
        if (!knows(CLAIMED_END) || SequenceNumbers.after(end, claimedEnd)) {
            claimedEnd = end;
            evidence |= CLAIMED_END;
        }
    }

    /** Sets a FIN aside that lay at {@code finSequence}, beyond the stream the capture showed. */
    void claimFin(int finSequence) {
        claim(finSequence + 1);
        claimedFinSequence = finSequence;
        evidence |= CLAIMED_FIN;
    }

    /** Keeps an ACK the tracker cannot believe yet; the highest one wins. */
    void holdAck(int ack) {
        if (!knows(PENDING_ACK) || SequenceNumbers.after(ack, pendingAck)) {
            pendingAck = ack;
            evidence |= PENDING_ACK;
        }
    }

    /**
     * Moves this side's sequence end up to {@code end}, which the other side's ACK proved: the
     * segments in between were lost by the capture or set aside, and their bytes count.
     */
    void advanceProvenEnd(int end) {
        if (has(SEQ_KNOWN) && SequenceNumbers.after(end, highestSequenceEnd)) {
            boolean finProven = knows(CLAIMED_FIN) && SequenceNumbers.after(end, claimedFinSequence);
            int dataEnd = finProven ? claimedFinSequence : end;
            if (SequenceNumbers.after(dataEnd, highestSequenceEnd)) {
                bytes += SequenceNumbers.distance(highestSequenceEnd, dataEnd);
            }
            highestSequenceEnd = end;
            if (finProven) {
                finSequence = claimedFinSequence;
                set(FIN_SEEN);
                evidence &= ~CLAIMED_FIN;
            }
        }
        if (knows(CLAIMED_END) && !SequenceNumbers.after(claimedEnd, highestSequenceEnd)) {
            evidence &= ~CLAIMED_END;
        }
    }

    /** @return whether this side's FIN has been acknowledged by {@code other}. */
    boolean finAcknowledgedBy(SideState other) {
        return has(FIN_SEEN) && other.has(ACK_KNOWN) && SequenceNumbers.after(other.highestAck, finSequence);
    }

    static int saturatingIncrement(int value) {
        return value == Integer.MAX_VALUE ? value : value + 1;
    }

    DirectionState toSnapshot() {
        return new DirectionState(
                has(ISN_KNOWN) ? SequenceNumbers.unsigned(initialSequence) : DirectionState.UNKNOWN,
                mss,
                windowScale,
                has(SACK_PERMITTED),
                has(TIMESTAMPS),
                has(ACK_KNOWN) ? SequenceNumbers.unsigned(highestAck) : DirectionState.UNKNOWN,
                has(SEQ_KNOWN) ? SequenceNumbers.unsigned(highestSequenceEnd) : DirectionState.UNKNOWN,
                has(TS_KNOWN) ? SequenceNumbers.unsigned(lastTimestampValue) : DirectionState.UNKNOWN,
                lastWindow,
                bytes,
                packets,
                retransmissions,
                outOfOrder,
                has(ISN_KNOWN) ? synEcnFlags() : -1,
                has(FIN_SEEN) ? SequenceNumbers.unsigned(finSequence) : DirectionState.UNKNOWN);
    }

    private int synEcnFlags() {
        return (has(SYN_ECE) ? DirectionState.ECE : 0) | (has(SYN_CWR) ? DirectionState.CWR : 0)
                | (has(SYN_AE) ? DirectionState.AE : 0);
    }
}
