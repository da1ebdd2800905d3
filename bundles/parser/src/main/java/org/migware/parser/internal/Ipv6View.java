package org.migware.parser.internal;

import static org.migware.parser.internal.FrameBytes.readLong;
import static org.migware.parser.internal.FrameBytes.readUnsignedByte;
import static org.migware.parser.internal.FrameBytes.readUnsignedShort;

import org.migware.api.packet.ParseResult;
import org.migware.api.wire.InternetChecksum;
import org.migware.api.wire.IpProtocol;
import org.migware.api.wire.Ipv6Header;

/**
 * The flyweight view of an IPv6 header (RFC 8200) and the walk of its extension headers:
 *
 * <pre>
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version| Traffic Class |              Flow Label               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                Source Address (16 bytes)                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |              Destination Address (16 bytes)                   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Extension header, generic format (hop-by-hop, routing, destination options, ...):
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Next Header  |  Hdr Ext Len  |  (Hdr Ext Len + 1) * 8 bytes  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Fragment header (44), always 8 bytes:
 *   |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
 *   |                         Identification                        |
 * Authentication header (51, RFC 4302), (Payload Len + 2) * 4 bytes:
 *   |  Next Header  |  Payload Len  |          RESERVED             |
 * </pre>
 *
 * <p>Its accessors are meaningful once {@link #parse} got past the version check.
 */
final class Ipv6View {

    /**
     * Extension headers walked before giving up with {@link ParseResult#INVALID_IPV6_EXTENSION}.
     * RFC 8200 §4.1 allows each of its headers once (destination options twice), which makes six
     * walkable ones before TCP; eight leaves room for Mobility, HIP or Shim6 while bounding the
     * walk of a crafted endless chain.
     */
    static final int MAX_EXTENSION_HEADERS = 8;

    private int offset;
    private int packetEnd;
    private int upperLayerOffset;
    private boolean fragmented;
    private boolean routedOnward;


    /**
     * Reads the fixed header at {@code ip}.
     *
     * @return an IPv6 header error, or {@link ParseResult#TCP} when the header is sound and the
     *     extension walk may follow
     */
    ParseResult parseHeader(byte[] bytes, int ip, int frameEnd) {
        offset = ip;
        fragmented = false;
        routedOnward = false;
        if (frameEnd - ip < Ipv6Header.HEADER_LENGTH) {
            return ParseResult.TRUNCATED_IPV6;
        }
        if (readUnsignedByte(bytes, ip + Ipv6Header.VERSION_OFFSET) >>> 4 != 6) {
            return ParseResult.INVALID_IPV6_VERSION;
        }
        packetEnd = ip + Ipv6Header.HEADER_LENGTH + readUnsignedShort(bytes, ip + Ipv6Header.PAYLOAD_LENGTH_OFFSET);
        return ParseResult.TCP;
    }

    /**
     * Walks the extension headers after a sound {@link #parseHeader}.
     *
     * @return an extension error; {@link ParseResult#FRAGMENT} or {@link ParseResult#NOT_TCP}
     *     when nothing follows that the parser reads; {@link ParseResult#TCP} when a TCP header
     *     should follow at {@link #upperLayerOffset()}
     */
    ParseResult walkExtensions(byte[] bytes, int frameEnd) {
        // extension headers must lie in both the packet and the captured bytes
        int walkEnd = Math.min(packetEnd, frameEnd);
        int nextHeader = readUnsignedByte(bytes, offset + Ipv6Header.NEXT_HEADER_OFFSET);
        int header = offset + Ipv6Header.HEADER_LENGTH;
        for (int walked = 0; ; walked++) {
            switch (nextHeader) {
                case IpProtocol.TCP:
                    upperLayerOffset = header;
                    return ParseResult.TCP;
                case IpProtocol.NO_NEXT_HEADER:
                    return ParseResult.NOT_TCP;
                case IpProtocol.ESP:
                    // encrypted from here on: the chain cannot be walked further
                    return ParseResult.INVALID_IPV6_EXTENSION;
                case IpProtocol.HOP_BY_HOP:
                    // RFC 8200 §4.1: only directly after the IPv6 header
                    if (walked != 0) {
                        return ParseResult.INVALID_IPV6_EXTENSION;
                    }
                    // fall through: generic format
                case IpProtocol.ROUTING:
                case IpProtocol.FRAGMENT:
                case IpProtocol.AUTHENTICATION:
                case IpProtocol.DESTINATION_OPTIONS:
                case IpProtocol.MOBILITY:
                case IpProtocol.HIP:
                case IpProtocol.SHIM6:
                case IpProtocol.EXPERIMENT_1:
                case IpProtocol.EXPERIMENT_2: {
                    if (walked == MAX_EXTENSION_HEADERS || walkEnd - header < Ipv6Header.EXTENSION_MIN_LENGTH) {
                        return ParseResult.INVALID_IPV6_EXTENSION;
                    }
                    int length;
                    if (nextHeader == IpProtocol.FRAGMENT) {
                        fragmented = true;
                        if ((readUnsignedShort(bytes, header + Ipv6Header.FRAGMENT_OFFSET_FIELD_OFFSET)
                                & Ipv6Header.FRAGMENT_OFFSET_MASK) != 0) {
                            return ParseResult.FRAGMENT;
                        }
                        length = Ipv6Header.FRAGMENT_HEADER_LENGTH;
                    } else if (nextHeader == IpProtocol.AUTHENTICATION) {
                        length = (readUnsignedByte(bytes, header + Ipv6Header.EXTENSION_LENGTH_OFFSET)
                                + Ipv6Header.AUTHENTICATION_LENGTH_BIAS) * Ipv6Header.AUTHENTICATION_LENGTH_UNIT;
                    } else {
                        length = (readUnsignedByte(bytes, header + Ipv6Header.EXTENSION_LENGTH_OFFSET) + 1)
                                * Ipv6Header.EXTENSION_LENGTH_UNIT;
                        if (nextHeader == IpProtocol.ROUTING
                                && readUnsignedByte(bytes, header + Ipv6Header.ROUTING_SEGMENTS_LEFT_OFFSET) != 0) {
                            routedOnward = true;
                        }
                    }
                    if (length > walkEnd - header) {
                        return ParseResult.INVALID_IPV6_EXTENSION;
                    }
                    nextHeader = readUnsignedByte(bytes, header + Ipv6Header.EXTENSION_NEXT_HEADER_OFFSET);
                    header += length;
                    break;
                }
                default:
                    return ParseResult.NOT_TCP;
            }
        }
    }

    /** @return where the packet ends by its payload length; may lie beyond the capture (snaplen) */
    int packetEnd() {
        return packetEnd;
    }

    int upperLayerOffset() {
        return upperLayerOffset;
    }

    boolean isFragmented() {
        return fragmented;
    }

    /** @return whether a routing header with segments left sends the packet on to another destination */
    boolean isRoutedOnward() {
        return routedOnward;
    }

    long sourceHigh(byte[] bytes) {
        return readLong(bytes, offset + Ipv6Header.SOURCE_OFFSET);
    }

    long sourceLow(byte[] bytes) {
        return readLong(bytes, offset + Ipv6Header.SOURCE_OFFSET + 8);
    }

    long destinationHigh(byte[] bytes) {
        return readLong(bytes, offset + Ipv6Header.DESTINATION_OFFSET);
    }

    long destinationLow(byte[] bytes) {
        return readLong(bytes, offset + Ipv6Header.DESTINATION_OFFSET + 8);
    }

    /** @return ECN, the traffic class's low two bits; the class straddles bytes 0 and 1 */
    int ecn(byte[] bytes) {
        return readUnsignedByte(bytes, offset + Ipv6Header.TRAFFIC_CLASS_LOW_OFFSET) >>> 4 & 0x03;
    }

    /** @return the TCP pseudo-header's sum for a segment that runs to the end of the packet */
    int tcpPseudoHeaderSum(byte[] bytes, int tcpOffset) {
        return InternetChecksum.tcpIpv6PseudoHeaderSum(bytes, offset, packetEnd - tcpOffset);
    }
}
