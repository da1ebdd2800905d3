package org.migware.tracker.internal;

import org.migware.api.packet.ParsedPacket;
import org.migware.api.wire.InternetChecksum;
import org.migware.api.wire.TcpHeader;

/**
 * Whether the primary's stack would take a parsed TCP segment in at all: the IP packet must fit
 * in the frame, and the IPv4 header and TCP checksums must be right. Linux drops a segment that
 * fails any of these before TCP sees it, so the tracker must not believe it either.
 *
 * <p>A frame sent through a veth (the lab, containers) may still carry a <em>partial</em>
 * checksum: with checksum offload the sender's stack writes only the pseudo-header's sum into the
 * TCP checksum field and leaves the rest to a device that never runs, and the receiving stack
 * trusts the frame ({@code CHECKSUM_PARTIAL}). GRO on the capturing interface leaves the same
 * on every segment it merged ({@code tcp4_gro_complete}), so a physical mirror port shows it too.
 * Such a frame is taken when {@code acceptOffloaded} says so, and counted apart.
 *
 * <p>Reads the frame in place and allocates nothing.
 *
 * @param verify whether checksums are checked at all (the length check always is)
 * @param acceptOffloaded whether a TCP checksum field holding exactly the pseudo-header's sum is taken
 */
record FrameIntegrity(boolean verify, boolean acceptOffloaded) {

    static final FrameIntegrity STRICT_WITH_OFFLOAD = new FrameIntegrity(true, true);

    /** The segment is whole and its checksums are right. */
    static final int INTACT = 0;
    /** The segment is whole and carries the partial checksum of an offloading sender. */
    static final int OFFLOADED = 1;
    /** The IP header announces more bytes than the frame holds. */
    static final int BEYOND_FRAME = 2;
    /** The IPv4 header checksum is wrong. */
    static final int BAD_IP_CHECKSUM = 3;
    /** The TCP checksum is wrong. */
    static final int BAD_TCP_CHECKSUM = 4;

    private static final int IPV4_HEADER_CHECKSUM_SPAN_MASK = 0x0f;

    /** @return one of {@link #INTACT}, {@link #OFFLOADED}, {@link #BEYOND_FRAME}, {@link #BAD_IP_CHECKSUM}, {@link #BAD_TCP_CHECKSUM} */
    int check(ParsedPacket p) {
        byte[] bytes = p.buffer();
        int segmentEnd = p.payloadOffset() + p.payloadLength();
        if (segmentEnd > p.frameOffset() + p.frameLength()) {
            return BEYOND_FRAME;
        }
        if (!verify) {
            return INTACT;
        }
        int ipOffset = p.ipOffset();
        int tcpOffset = p.tcpOffset();
        int tcpLength = segmentEnd - tcpOffset;
        int pseudoHeaderSum;
        if (p.ipVersion() == 4) {
            int headerLength = (bytes[ipOffset] & IPV4_HEADER_CHECKSUM_SPAN_MASK) * 4;
            if (InternetChecksum.sum(bytes, ipOffset, headerLength, 0) != InternetChecksum.VALID_SUM) {
                return BAD_IP_CHECKSUM;
            }
            pseudoHeaderSum = InternetChecksum.tcpIpv4PseudoHeaderSum(bytes, ipOffset, tcpLength);
        } else {
            pseudoHeaderSum = InternetChecksum.tcpIpv6PseudoHeaderSum(bytes, ipOffset, tcpLength);
        }
        if (InternetChecksum.sum(bytes, tcpOffset, tcpLength, pseudoHeaderSum) == InternetChecksum.VALID_SUM) {
            return INTACT;
        }
        int field = (bytes[tcpOffset + TcpHeader.CHECKSUM_OFFSET] & 0xff) << 8 | bytes[tcpOffset + TcpHeader.CHECKSUM_OFFSET + 1] & 0xff;
        // Linux writes ~csum_fold(pseudo-header sum), i.e. the folded sum itself (tcp_v4_send_check, tcp_v6_send_check).
        return acceptOffloaded && field == pseudoHeaderSum ? OFFLOADED : BAD_TCP_CHECKSUM;
    }
}
