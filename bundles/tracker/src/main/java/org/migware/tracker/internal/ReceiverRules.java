package org.migware.tracker.internal;

import org.migware.api.packet.ParsedPacket;
import org.migware.api.wire.SequenceNumbers;

/**
 * What the receiving Linux stack would believe of one segment on a connection it already has:
 * the rules of RFC 9293 §3.10.7.4 (segment acceptability), RFC 5961 (RST only at RCV.NXT, SYN
 * never on an established connection, the ACK window) and a bound on how far TSval may jump.
 *
 * <p>The tracker sees both directions only through a mirror, so its RCV.NXT of a side lies
 * between what that side acknowledged and what its peer sent; both ends of that range count as
 * "exactly RCV.NXT" for a RST. A mirror also loses frames, so two rules take later evidence:
 * data set aside because it lay beyond a window the tracker believed (its ACK was lost on the
 * mirror) is believed once the receiver acknowledges it ({@link SideState#claim}), and an ACK of
 * data the capture never showed is believed once the sender's stream is seen past it
 * ({@link SideState#holdAck}). One forged frame proves neither.
 *
 * <p>Stateless; the methods read the sides and, for the evidence above, note it on the sender.
 */
final class ReceiverRules {

    /** RFC 7323's largest shift: assumed when the handshake was not seen, so that no real segment is refused. */
    static final int MAX_WINDOW_SHIFT = 14;
    /** How many TSval ticks a sender may advance beyond one per microsecond of capture time: clock jitter and bursts. */
    static final long TIMESTAMP_SLACK_TICKS = 1_000_000L;
    /** No TSval jump of this many ticks or more is believed, however long the sender was silent. */
    static final long TIMESTAMP_JUMP_LIMIT = 1L << 30;

    private ReceiverRules() {
    }

    /**
     * RFC 5961 §3.2: a RST ends the connection only at exactly the receiver's RCV.NXT.
     *
     * @return whether the RST ends the connection
     */
    static boolean rstAtReceiveNext(ParsedPacket p, SideState sender, SideState receiver) {
        int sequence = p.sequenceNumber();
        boolean senderSent = sender.has(SideState.SEQ_KNOWN);
        boolean receiverAcked = receiver.has(SideState.ACK_KNOWN);
        if (!senderSent && !receiverAcked) {
            // A RST answering a SYN (RFC 9293 SYN-SENT): it must acknowledge the SYN, if the SYN was seen.
            return !receiver.has(SideState.ISN_KNOWN)
                    || (p.flags() & ParsedPacket.ACK) == 0
                    || p.acknowledgementNumber() == receiver.initialSequence + 1;
        }
        return senderSent && sequence == sender.highestSequenceEnd
                || receiverAcked && sequence == receiver.highestAck;
    }

    /** @return whether {@code sequence} lies anywhere in the receiver's window: for the counters only */
    static boolean inReceiveWindow(int sequence, SideState sender, SideState receiver) {
        if (!receiver.has(SideState.ACK_KNOWN)) {
            return true;
        }
        if (receiver.knows(SideState.EDGE_KNOWN)) {
            return SequenceNumbers.atOrAfter(sequence, receiver.highestAck) && !SequenceNumbers.after(sequence, receiver.rightEdge);
        }
        long window = Math.max(1L, (long) Math.max(receiver.lastWindow, 0) << windowShift(receiver, sender));
        return SequenceNumbers.inWindow(sequence, receiver.highestAck, window);
    }

    /** @return the shift that applies to the windows {@code advertiser} sends after its SYN */
    static int windowShift(SideState advertiser, SideState peer) {
        if (!advertiser.has(SideState.ISN_KNOWN) || !peer.has(SideState.ISN_KNOWN)) {
            return MAX_WINDOW_SHIFT;
        }
        // RFC 7323 §2.3: a shift above 14 is taken as 14, as Linux does.
        return advertiser.windowScale >= 0 && peer.windowScale >= 0 ? Math.min(advertiser.windowScale, MAX_WINDOW_SHIFT) : 0;
    }

    /**
     * Judges a segment without SYN or RST on a known connection.
     *
     * @return {@code null} when the receiver would take it, otherwise why not
     */
    static ConnectionStore.Ignored judge(ParsedPacket p, SideState sender, SideState receiver, long nowNanos) {
        int sequence = p.sequenceNumber();
        int flags = p.flags();
        boolean fin = (flags & ParsedPacket.FIN) != 0;
        int end = sequence + p.payloadLength() + (fin ? 1 : 0);
        if (receiver.knows(SideState.EDGE_KNOWN)) {
            if (SequenceNumbers.after(sequence, receiver.rightEdge)) {
                // Beyond the window the tracker knows; the receiver's own ACK of it may show that the mirror lost a window update.
                if (SequenceNumbers.distance(receiver.rightEdge, end) <= Math.max(receiver.maxWindow, 1)) {
                    if (fin) {
                        sender.claimFin(end - 1);
                    } else {
                        sender.claim(end);
                    }
                }
                return ConnectionStore.Ignored.SEGMENT_BEYOND_WINDOW;
            }
            if (receiver.has(SideState.ACK_KNOWN) && SequenceNumbers.after(receiver.highestAck, end)) {
                return ConnectionStore.Ignored.SEGMENT_BEFORE_WINDOW;
            }
        }
        if (fin && sender.has(SideState.SEQ_KNOWN) && SequenceNumbers.after(sequence, sender.highestSequenceEnd)) {
            // A FIN beyond a gap: Linux queues it out of order and acts on it only when the stream
            // reaches it, so it proves nothing yet. The receiver's ACK of it will, if it is real.
            sender.claimFin(end - 1);
            return ConnectionStore.Ignored.FIN_AHEAD_OF_STREAM;
        }
        if ((flags & ParsedPacket.ACK) != 0) {
            ConnectionStore.Ignored ackVerdict = judgeAck(p.acknowledgementNumber(), sender, receiver);
            if (ackVerdict != null) {
                if (ackVerdict == ConnectionStore.Ignored.ACK_BEYOND_SENT && fin) {
                    sender.claimFin(end - 1);
                } else if (ackVerdict == ConnectionStore.Ignored.ACK_BEYOND_SENT && end != sequence) {
                    sender.claim(end);
                }
                return ackVerdict;
            }
        }
        if (p.hasTimestamps() && sender.has(SideState.TS_KNOWN)) {
            int tsVal = p.timestampValue();
            if (SequenceNumbers.after(tsVal, sender.lastTimestampValue)) {
                long elapsedMicros = Math.max(0L, nowNanos - sender.timestampSeenNanos) / 1_000L;
                long allowed = Math.min(TIMESTAMP_JUMP_LIMIT - 1, elapsedMicros + TIMESTAMP_SLACK_TICKS);
                if (SequenceNumbers.distance(sender.lastTimestampValue, tsVal) > allowed) {
                    return ConnectionStore.Ignored.TIMESTAMP_JUMP;
                }
            }
        }
        return null;
    }

    /**
     * RFC 5961 §5: an ACK must not acknowledge more than the receiver sent (SND.NXT), nor lie
     * more than the largest window the sender advertised behind what it acknowledged before.
     */
    private static ConnectionStore.Ignored judgeAck(int ack, SideState sender, SideState receiver) {
        if (receiver.has(SideState.SEQ_KNOWN) && SequenceNumbers.after(ack, receiver.highestSequenceEnd)) {
            if (receiver.knows(SideState.CLAIMED_END) && !SequenceNumbers.after(ack, receiver.claimedEnd)) {
                return null; // the receiver's data that was set aside, now acknowledged: the caller moves its end
            }
            long plausible = Math.max(sender.maxWindow, 1);
            if (SequenceNumbers.distance(receiver.highestSequenceEnd, ack) <= plausible) {
                sender.holdAck(ack);
            }
            return ConnectionStore.Ignored.ACK_BEYOND_SENT;
        }
        if (sender.has(SideState.ACK_KNOWN) && sender.maxWindow > 0
                && SequenceNumbers.distance(ack, sender.highestAck) > sender.maxWindow
                && SequenceNumbers.after(sender.highestAck, ack)) {
            return ConnectionStore.Ignored.ACK_TOO_OLD;
        }
        return null;
    }
}
