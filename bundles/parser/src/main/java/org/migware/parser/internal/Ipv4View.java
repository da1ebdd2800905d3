package org.migware.parser.internal;

import static org.migware.parser.internal.FrameBytes.readInt;
import static org.migware.parser.internal.FrameBytes.readUnsignedByte;
import static org.migware.parser.internal.FrameBytes.readUnsignedShort;
import static org.migware.parser.internal.FrameBytes.writeInt;
import static org.migware.parser.internal.FrameBytes.writeShort;

import org.migware.api.packet.ParseResult;
import org.migware.api.wire.InternetChecksum;
import org.migware.api.wire.IpProtocol;
import org.migware.api.wire.Ipv4Header;

/**
 * The flyweight view of an IPv4 header (RFC 791):
 *
 * <pre>
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version|  IHL  |  DSCP     |ECN|          Total Length         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Identification        |Flags|     Fragment Offset     |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Time to Live |    Protocol   |        Header Checksum        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       Source Address                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Destination Address                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Options (IHL &gt; 5)                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Its accessors are meaningful once {@link #parse} found the header sound, that is, for
 * every result but the IPv4 errors. The addresses, read for every packet, are static reads and
 * writes at the header's offset, which the composing packet keeps.
 */
final class Ipv4View {

    private int offset;
    private int headerLength;
    private int packetEnd;
    private boolean fragmented;


    /**
     * Reads the header at {@code ip}.
     *
     * @param frameEnd where the captured bytes end
     * @return an IPv4 error, or {@link ParseResult#TCP} when the header is sound and
     *     {@link #payload(bytes)} may follow
     */
    ParseResult parseHeader(byte[] bytes, int ip, int frameEnd) {
        offset = ip;
        fragmented = false;
        int available = frameEnd - ip;
        if (available < Ipv4Header.MIN_HEADER_LENGTH) {
            return ParseResult.TRUNCATED_IPV4;
        }
        int versionAndLength = readUnsignedByte(bytes, ip + Ipv4Header.VERSION_IHL_OFFSET);
        if (versionAndLength >>> 4 != 4) {
            return ParseResult.INVALID_IPV4_VERSION;
        }
        headerLength = (versionAndLength & Ipv4Header.IHL_MASK) * Ipv4Header.IHL_UNIT;
        if (headerLength < Ipv4Header.MIN_HEADER_LENGTH) {
            return ParseResult.INVALID_IPV4_HEADER_LENGTH;
        }
        if (headerLength > available) {
            return ParseResult.TRUNCATED_IPV4;
        }
        int totalLength = readUnsignedShort(bytes, ip + Ipv4Header.TOTAL_LENGTH_OFFSET);
        if (totalLength < headerLength) {
            return ParseResult.INVALID_IPV4_TOTAL_LENGTH;
        }
        // total length, not the frame, bounds the packet: Ethernet pads short frames to 60 bytes
        packetEnd = ip + totalLength;
        return ParseResult.TCP;
    }

    /**
     * Says what a sound header carries.
     *
     * @return {@link ParseResult#FRAGMENT} or {@link ParseResult#NOT_TCP} when there is nothing
     *     the parser reads behind it; {@link ParseResult#TCP} when a TCP header should follow at
     *     {@link #payloadOffset()}
     */
    ParseResult payload(byte[] bytes) {
        int fragment = readUnsignedShort(bytes, offset + Ipv4Header.FLAGS_FRAGMENT_OFFSET);
        if ((fragment & Ipv4Header.FRAGMENT_OFFSET_MASK) != 0) {
            fragmented = true;
            return ParseResult.FRAGMENT;
        }
        fragmented = (fragment & Ipv4Header.MORE_FRAGMENTS) != 0;
        if (readUnsignedByte(bytes, offset + Ipv4Header.PROTOCOL_OFFSET) != IpProtocol.TCP) {
            return ParseResult.NOT_TCP;
        }
        return ParseResult.TCP;
    }

    /** @return where the packet ends by its total length; may lie beyond the capture (snaplen) */
    int packetEnd() {
        return packetEnd;
    }

    int payloadOffset() {
        return offset + headerLength;
    }

    boolean isFragmented() {
        return fragmented;
    }

    static int source(byte[] bytes, int offset) {
        return readInt(bytes, offset + Ipv4Header.SOURCE_OFFSET);
    }

    static int destination(byte[] bytes, int offset) {
        return readInt(bytes, offset + Ipv4Header.DESTINATION_OFFSET);
    }

    /** @return the address as the low word of an IPv4-mapped IPv6 address */
    static long mapped(int address) {
        return Ipv4Header.MAPPED_PREFIX | address & 0xffff_ffffL;
    }

    boolean hasOptions(byte[] bytes) {
        return currentHeaderLength(bytes) > Ipv4Header.MIN_HEADER_LENGTH;
    }

    int ecn(byte[] bytes) {
        return readUnsignedByte(bytes, offset + Ipv4Header.TOS_OFFSET) & Ipv4Header.ECN_MASK;
    }

    static void setSource(byte[] bytes, int offset, int address) {
        writeInt(bytes, offset + Ipv4Header.SOURCE_OFFSET, address);
    }

    static void setDestination(byte[] bytes, int offset, int address) {
        writeInt(bytes, offset + Ipv4Header.DESTINATION_OFFSET, address);
    }

    /** Recomputes the header checksum over the header and its options. */
    void updateHeaderChecksum(byte[] bytes) {
        writeShort(bytes, offset + Ipv4Header.CHECKSUM_OFFSET, 0);
        writeShort(bytes, offset + Ipv4Header.CHECKSUM_OFFSET, InternetChecksum.checksum(bytes, offset, currentHeaderLength(bytes), 0));
    }

    boolean isHeaderChecksumValid(byte[] bytes) {
        return InternetChecksum.sum(bytes, offset, currentHeaderLength(bytes), 0) == InternetChecksum.VALID_SUM;
    }

    /** @return the TCP pseudo-header's sum for a segment that runs to the end of the packet */
    int tcpPseudoHeaderSum(byte[] bytes, int tcpOffset) {
        return InternetChecksum.tcpIpv4PseudoHeaderSum(bytes, offset, packetEnd - tcpOffset);
    }

    /** The header length as the frame says now, read again: the proxy owns and may rewrite it. */
    private int currentHeaderLength(byte[] bytes) {
        return (readUnsignedByte(bytes, offset + Ipv4Header.VERSION_IHL_OFFSET) & Ipv4Header.IHL_MASK) * Ipv4Header.IHL_UNIT;
    }
}
