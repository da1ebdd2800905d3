package org.migware.parser.internal;

import org.migware.api.packet.ParseResult;
import org.migware.api.packet.ParsedPacket;
import org.migware.api.packet.RewritablePacket;

/**
 * A reusable, zero-allocation view of one Ethernet frame down to its TCP options, and the
 * in-place rewriting the proxy needs.
 *
 * <p>{@link #parse(byte[], int, int)} walks the headers once, checks every length before it
 * reads, and remembers only offsets and the few option values it had to decode to validate
 * them. Every other field is read from the frame when asked for, so what a setter wrote is
 * what the next getter returns. No input makes it throw: a damaged frame yields a
 * {@link ParseResult} that says why, and every accessor returns a default (documented on
 * {@link #parse}) for a field that was not reached.
 *
 * <p>The headers, as the parser walks them (one row is 32 bits, offsets in bytes):
 *
 * <pre>
 * Ethernet II (IEEE 802.3), optionally with 802.1Q / 802.1ad tags (IEEE 802.1Q):
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                  Destination MAC (6 bytes)                    |
 *   +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                               |                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *   |                    Source MAC (6 bytes)                       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  TPID 0x8100/0x88a8/0x9100    | PCP |D|       VLAN id         |  0..4 tags
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           EtherType           |  IPv4 or IPv6 header ...
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * IPv4 (RFC 791):
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
 *
 * IPv6 (RFC 8200):
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
 * IPv6 extension header, generic format (hop-by-hop, routing, destination options, ...):
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Next Header  |  Hdr Ext Len  |  (Hdr Ext Len + 1) * 8 bytes  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Fragment header (44), always 8 bytes:
 *   |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
 *   |                         Identification                        |
 * Authentication header (51, RFC 4302), (Payload Len + 2) * 4 bytes:
 *   |  Next Header  |  Payload Len  |          RESERVED             |
 *
 * TCP (RFC 9293):
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Source Port          |       Destination Port        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        Sequence Number                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Acknowledgment Number                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Data |     |N|C|E|U|A|P|R|S|F|                               |
 *   | Offset| Rsv |S|W|C|R|C|S|S|Y|I|            Window             |
 *   |       |     | |R|E|G|K|H|T|N|N|                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           Checksum            |         Urgent Pointer        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Options (Data Offset &gt; 5)                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * TCP options: EOL (0) and NOP (1) are one byte; every other option is kind, length
 * (counting kind and length), value:
 *   MSS            |  2  |  4  |  MSS (16)   |                 RFC 9293
 *   Window scale   |  3  |  3  | shift |                       RFC 7323
 *   SACK-permitted |  4  |  2  |                               RFC 2018
 *   SACK           |  5  | 2+8n| n x (left edge, right edge)   RFC 2018, n = 1..4
 *   Timestamps     |  8  | 10  | TSval (32) | TSecr (32) |     RFC 7323
 *   TCP-MD5        | 19  | 18  | digest (16 bytes)             RFC 2385
 *   TCP-AO         | 29  | &gt;=4 | KeyID | RNextKeyID | MAC      RFC 5925
 *   MPTCP          | 30  | ... |                               RFC 8684
 *   Fast Open      | 34  | ... |                               RFC 7413
 * </pre>
 *
 * <p>The setters and checksum methods are not part of {@link ParsedPacket}: they are for the
 * proxy, which owns the frame it rewrites. They write only into the parsed frame's bytes, so
 * they too allocate nothing. A setter does not touch the checksums: call
 * {@link #updateIpv4HeaderChecksum()} and {@link #updateTcpChecksum()} after the last change.
 *
 * <p>Not thread-safe: keep one view per thread.
 */
public final class FlyweightParsedPacket implements RewritablePacket {

    // ---- spec limits ----

    /**
     * Stacked VLAN tags walked before giving up with {@link ParseResult#TOO_MANY_VLAN_TAGS}.
     * Real networks stack two (802.1ad QinQ); four leaves room for provider nesting while
     * bounding the walk of a frame that is nothing but TPIDs.
     */
    public static final int MAX_VLAN_TAGS = 4;

    /**
     * IPv6 extension headers walked before giving up with
     * {@link ParseResult#INVALID_IPV6_EXTENSION}. RFC 8200 §4.1 allows each of its headers once
     * (destination options twice), which makes six walkable ones before TCP; eight leaves room
     * for Mobility, HIP or Shim6 while bounding the walk of a crafted endless chain.
     */
    public static final int MAX_IPV6_EXTENSION_HEADERS = 8;

    /** RFC 7323 §2.3: a larger shift count is used as 14, so {@link #windowScale()} reports 14. */
    public static final int MAX_WINDOW_SCALE = 14;

    /** RFC 2018: a SACK option carries 1 to 4 blocks (40 option bytes leave room for 4). */
    public static final int MAX_SACK_BLOCKS = 4;

    // ---- Ethernet and 802.1Q ----

    static final int ETHERNET_DESTINATION_OFFSET = 0;
    static final int ETHERNET_SOURCE_OFFSET = 6;
    static final int ETHERNET_TYPE_OFFSET = 12;
    static final int ETHERNET_HEADER_LENGTH = 14;
    static final int ETHER_TYPE_LENGTH = 2;

    static final int ETHER_TYPE_IPV4 = 0x0800;
    static final int ETHER_TYPE_IPV6 = 0x86dd;
    static final int ETHER_TYPE_VLAN = 0x8100;
    static final int ETHER_TYPE_QINQ = 0x88a8;
    /** The pre-standard QinQ TPID some switches still send. */
    static final int ETHER_TYPE_QINQ_LEGACY = 0x9100;

    /** Offsets inside one tag, from its TPID; the tag's TPID sits where an EtherType would. */
    static final int VLAN_TCI_OFFSET = 2;
    static final int VLAN_TAG_LENGTH = 4;
    static final int VLAN_ID_MASK = 0x0fff;

    // ---- IPv4 ----

    static final int IPV4_VERSION_IHL_OFFSET = 0;
    static final int IPV4_TOS_OFFSET = 1;
    static final int IPV4_TOTAL_LENGTH_OFFSET = 2;
    static final int IPV4_FLAGS_FRAGMENT_OFFSET = 6;
    static final int IPV4_PROTOCOL_OFFSET = 9;
    static final int IPV4_CHECKSUM_OFFSET = 10;
    static final int IPV4_SOURCE_OFFSET = 12;
    static final int IPV4_DESTINATION_OFFSET = 16;
    static final int IPV4_MIN_HEADER_LENGTH = 20;
    static final int IPV4_MORE_FRAGMENTS = 0x2000;
    static final int IPV4_FRAGMENT_OFFSET_MASK = 0x1fff;

    /** High word of an IPv4-mapped IPv6 address is 0; the low word carries this prefix. */
    static final long IPV4_MAPPED_PREFIX = 0x0000_ffff_0000_0000L;

    // ---- IPv6 ----

    static final int IPV6_VERSION_OFFSET = 0;
    static final int IPV6_TRAFFIC_CLASS_LOW_OFFSET = 1;
    static final int IPV6_PAYLOAD_LENGTH_OFFSET = 4;
    static final int IPV6_NEXT_HEADER_OFFSET = 6;
    static final int IPV6_SOURCE_OFFSET = 8;
    static final int IPV6_DESTINATION_OFFSET = 24;
    static final int IPV6_HEADER_LENGTH = 40;

    static final int EXTENSION_NEXT_HEADER_OFFSET = 0;
    static final int EXTENSION_LENGTH_OFFSET = 1;
    /** Every extension header is at least 8 bytes (RFC 8200 §4): the walk checks that first. */
    static final int EXTENSION_MIN_LENGTH = 8;
    static final int EXTENSION_LENGTH_UNIT = 8;
    static final int ROUTING_SEGMENTS_LEFT_OFFSET = 3;
    static final int FRAGMENT_OFFSET_FIELD_OFFSET = 2;
    static final int FRAGMENT_HEADER_LENGTH = 8;
    /** The 13-bit fragment offset sits above the two reserved bits and M. */
    static final int IPV6_FRAGMENT_OFFSET_MASK = 0xfff8;
    static final int AUTHENTICATION_LENGTH_UNIT = 4;
    /** AH length counts 32-bit words minus 2 (RFC 4302 §2.2). */
    static final int AUTHENTICATION_LENGTH_BIAS = 2;

    // IP protocol numbers / IPv6 next-header values (IANA "Assigned Internet Protocol Numbers")
    static final int PROTOCOL_HOP_BY_HOP = 0;
    static final int PROTOCOL_TCP = 6;
    static final int PROTOCOL_ROUTING = 43;
    static final int PROTOCOL_FRAGMENT = 44;
    static final int PROTOCOL_ESP = 50;
    static final int PROTOCOL_AUTHENTICATION = 51;
    static final int PROTOCOL_NO_NEXT_HEADER = 59;
    static final int PROTOCOL_DESTINATION_OPTIONS = 60;
    static final int PROTOCOL_MOBILITY = 135;
    static final int PROTOCOL_HIP = 139;
    static final int PROTOCOL_SHIM6 = 140;
    static final int PROTOCOL_EXPERIMENT_1 = 253;
    static final int PROTOCOL_EXPERIMENT_2 = 254;

    // ---- TCP ----

    static final int TCP_SOURCE_PORT_OFFSET = 0;
    static final int TCP_DESTINATION_PORT_OFFSET = 2;
    static final int TCP_SEQUENCE_OFFSET = 4;
    static final int TCP_ACKNOWLEDGEMENT_OFFSET = 8;
    /** Data offset in the high nibble, NS in the low bit. */
    static final int TCP_DATA_OFFSET_OFFSET = 12;
    static final int TCP_FLAGS_OFFSET = 13;
    static final int TCP_WINDOW_OFFSET = 14;
    static final int TCP_CHECKSUM_OFFSET = 16;
    static final int TCP_MIN_HEADER_LENGTH = 20;
    static final int TCP_NS_FLAG = 0x100;

    static final int OPTION_LENGTH_OFFSET = 1;
    static final int OPTION_VALUE_OFFSET = 2;
    static final int OPTION_MIN_LENGTH = 2;

    static final int OPTION_EOL = 0;
    static final int OPTION_NOP = 1;
    static final int OPTION_MSS = 2;
    static final int OPTION_MSS_LENGTH = 4;
    static final int OPTION_WINDOW_SCALE = 3;
    static final int OPTION_WINDOW_SCALE_LENGTH = 3;
    static final int OPTION_SACK_PERMITTED = 4;
    static final int OPTION_SACK_PERMITTED_LENGTH = 2;
    static final int OPTION_SACK = 5;
    static final int SACK_BLOCK_LENGTH = 8;
    static final int SACK_RIGHT_EDGE_OFFSET = 4;
    static final int OPTION_TIMESTAMPS = 8;
    static final int OPTION_TIMESTAMPS_LENGTH = 10;
    static final int TIMESTAMP_VALUE_OFFSET = 2;
    static final int TIMESTAMP_ECHO_REPLY_OFFSET = 6;
    static final int OPTION_MD5 = 19;
    static final int OPTION_MD5_LENGTH = 18;
    static final int OPTION_AUTHENTICATION = 29;
    static final int OPTION_AUTHENTICATION_MIN_LENGTH = 4;
    static final int OPTION_MULTIPATH = 30;
    static final int OPTION_FAST_OPEN = 34;

    // bits of optionFlags
    private static final int HAS_AUTHENTICATION = 1;
    private static final int HAS_MULTIPATH = 1 << 1;
    private static final int HAS_FAST_OPEN = 1 << 2;
    private static final int HAS_UNKNOWN = 1 << 3;

    /** Bound to an unbound view and to a null frame, so that {@link #buffer()} is never null. */
    private static final byte[] NO_BYTES = new byte[0];

    // ---- the frame ----

    private byte[] buffer = NO_BYTES;
    private int frameOffset;
    private int frameLength;
    /** frameOffset + frameLength: no read may reach it. */
    private int frameEnd;
    private ParseResult result = ParseResult.TRUNCATED_ETHERNET;

    // ---- what the walk found; reset by every parse ----

    private int vlanTagCount;
    private int outerVlanId;
    private int etherType;
    private int ipVersion;
    private int ipOffset;
    /** Where the IP packet ends by its own length field; may lie beyond frameEnd (snaplen). */
    private int ipEnd;
    private boolean fragmented;
    /** A routing header with segments left: the TCP pseudo-header's destination is elsewhere. */
    private boolean routedOnward;
    private boolean tcpValid;
    private int tcpOffset;
    private int tcpHeaderLength;
    private int mss;
    private int windowScale;
    private boolean sackPermitted;
    private int timestampOptionOffset;
    private int sackOptionOffset;
    private int sackBlockCount;
    private int optionFlags;

    /** Makes an unbound view: its result is {@link ParseResult#TRUNCATED_ETHERNET} over no bytes. */
    public FlyweightParsedPacket() {
        reset(NO_BYTES, 0, 0);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Never throws. A {@code null} frame is taken as empty, and an offset or length that
     * does not fit the array is clamped to the bytes that exist (an offset outside the array
     * binds an empty range), so that {@link #frameLength()} says what was really parsed.
     *
     * <p>For a field the walk did not reach, the accessors return: {@code -1} for offsets,
     * ports, the window, {@link #etherType()}, {@link #outerVlanId()}, {@link #mss()},
     * {@link #windowScale()} and the MAC addresses; {@code 0} for counts, lengths, flags,
     * {@link #ipVersion()}, addresses, sequence numbers, timestamps and SACK edges;
     * {@code false} for the booleans. IP accessors are valid once the IP header was read (also
     * for {@link ParseResult#NOT_TCP}, {@link ParseResult#FRAGMENT} and TCP-level errors); TCP
     * accessors only for {@link ParseResult#TCP}.
     */
    @Override
    public ParseResult parse(byte[] frame, int offset, int length) {
        byte[] bytes = frame == null ? NO_BYTES : frame;
        int start = offset < 0 || offset > bytes.length ? 0 : offset;
        int boundedLength = offset < 0 || offset > bytes.length || length < 0 ? 0 : Math.min(length, bytes.length - start);
        reset(bytes, start, boundedLength);
        return result = parseEthernet();
    }

    private void reset(byte[] bytes, int start, int length) {
        buffer = bytes;
        frameOffset = start;
        frameLength = length;
        frameEnd = start + length;
        result = ParseResult.TRUNCATED_ETHERNET;
        vlanTagCount = 0;
        outerVlanId = -1;
        etherType = -1;
        ipVersion = 0;
        ipOffset = -1;
        ipEnd = -1;
        fragmented = false;
        routedOnward = false;
        tcpValid = false;
        tcpOffset = -1;
        tcpHeaderLength = 0;
        mss = -1;
        windowScale = -1;
        sackPermitted = false;
        timestampOptionOffset = -1;
        sackOptionOffset = -1;
        sackBlockCount = 0;
        optionFlags = 0;
    }

    private ParseResult parseEthernet() {
        if (frameLength < ETHERNET_HEADER_LENGTH) {
            return ParseResult.TRUNCATED_ETHERNET;
        }
        int typeOffset = frameOffset + ETHERNET_TYPE_OFFSET;
        int type = readUnsignedShort(typeOffset);
        int tags = 0;
        while (type == ETHER_TYPE_VLAN || type == ETHER_TYPE_QINQ || type == ETHER_TYPE_QINQ_LEGACY) {
            if (tags == MAX_VLAN_TAGS) {
                vlanTagCount = tags;
                return ParseResult.TOO_MANY_VLAN_TAGS;
            }
            // the tag's TCI and the EtherType (or next TPID) behind it
            if (frameEnd - typeOffset < VLAN_TAG_LENGTH + ETHER_TYPE_LENGTH) {
                vlanTagCount = tags;
                return ParseResult.TRUNCATED_VLAN;
            }
            if (tags == 0) {
                outerVlanId = readUnsignedShort(typeOffset + VLAN_TCI_OFFSET) & VLAN_ID_MASK;
            }
            tags++;
            typeOffset += VLAN_TAG_LENGTH;
            type = readUnsignedShort(typeOffset);
        }
        vlanTagCount = tags;
        etherType = type;
        int networkOffset = typeOffset + ETHER_TYPE_LENGTH;
        if (type == ETHER_TYPE_IPV4) {
            return parseIpv4(networkOffset);
        }
        if (type == ETHER_TYPE_IPV6) {
            return parseIpv6(networkOffset);
        }
        return ParseResult.NOT_IP;
    }

    private ParseResult parseIpv4(int ip) {
        int available = frameEnd - ip;
        if (available < IPV4_MIN_HEADER_LENGTH) {
            return ParseResult.TRUNCATED_IPV4;
        }
        int versionAndLength = readUnsignedByte(ip + IPV4_VERSION_IHL_OFFSET);
        if (versionAndLength >>> 4 != 4) {
            return ParseResult.INVALID_IPV4_VERSION;
        }
        int headerLength = (versionAndLength & 0x0f) * 4;
        if (headerLength < IPV4_MIN_HEADER_LENGTH) {
            return ParseResult.INVALID_IPV4_HEADER_LENGTH;
        }
        if (headerLength > available) {
            return ParseResult.TRUNCATED_IPV4;
        }
        int totalLength = readUnsignedShort(ip + IPV4_TOTAL_LENGTH_OFFSET);
        if (totalLength < headerLength) {
            return ParseResult.INVALID_IPV4_TOTAL_LENGTH;
        }
        // From here the header is sound: addresses are valid whatever comes next.
        ipVersion = 4;
        ipOffset = ip;
        // total length, not the frame, bounds the packet: Ethernet pads short frames to 60 bytes
        ipEnd = ip + totalLength;
        int fragment = readUnsignedShort(ip + IPV4_FLAGS_FRAGMENT_OFFSET);
        if ((fragment & IPV4_FRAGMENT_OFFSET_MASK) != 0) {
            fragmented = true;
            return ParseResult.FRAGMENT;
        }
        fragmented = (fragment & IPV4_MORE_FRAGMENTS) != 0;
        if (readUnsignedByte(ip + IPV4_PROTOCOL_OFFSET) != PROTOCOL_TCP) {
            return ParseResult.NOT_TCP;
        }
        return parseTcp(ip + headerLength);
    }

    private ParseResult parseIpv6(int ip) {
        if (frameEnd - ip < IPV6_HEADER_LENGTH) {
            return ParseResult.TRUNCATED_IPV6;
        }
        if (readUnsignedByte(ip + IPV6_VERSION_OFFSET) >>> 4 != 6) {
            return ParseResult.INVALID_IPV6_VERSION;
        }
        ipVersion = 6;
        ipOffset = ip;
        ipEnd = ip + IPV6_HEADER_LENGTH + readUnsignedShort(ip + IPV6_PAYLOAD_LENGTH_OFFSET);
        // extension headers must lie in both the packet and the captured bytes
        int walkEnd = Math.min(ipEnd, frameEnd);
        int nextHeader = readUnsignedByte(ip + IPV6_NEXT_HEADER_OFFSET);
        int header = ip + IPV6_HEADER_LENGTH;
        for (int walked = 0; ; walked++) {
            switch (nextHeader) {
                case PROTOCOL_TCP:
                    return parseTcp(header);
                case PROTOCOL_NO_NEXT_HEADER:
                    return ParseResult.NOT_TCP;
                case PROTOCOL_ESP:
                    // encrypted from here on: the chain cannot be walked further
                    return ParseResult.INVALID_IPV6_EXTENSION;
                case PROTOCOL_HOP_BY_HOP:
                    // RFC 8200 §4.1: only directly after the IPv6 header
                    if (walked != 0) {
                        return ParseResult.INVALID_IPV6_EXTENSION;
                    }
                    // fall through: generic format
                case PROTOCOL_ROUTING:
                case PROTOCOL_FRAGMENT:
                case PROTOCOL_AUTHENTICATION:
                case PROTOCOL_DESTINATION_OPTIONS:
                case PROTOCOL_MOBILITY:
                case PROTOCOL_HIP:
                case PROTOCOL_SHIM6:
                case PROTOCOL_EXPERIMENT_1:
                case PROTOCOL_EXPERIMENT_2: {
                    if (walked == MAX_IPV6_EXTENSION_HEADERS || walkEnd - header < EXTENSION_MIN_LENGTH) {
                        return ParseResult.INVALID_IPV6_EXTENSION;
                    }
                    int length;
                    if (nextHeader == PROTOCOL_FRAGMENT) {
                        fragmented = true;
                        if ((readUnsignedShort(header + FRAGMENT_OFFSET_FIELD_OFFSET) & IPV6_FRAGMENT_OFFSET_MASK) != 0) {
                            return ParseResult.FRAGMENT;
                        }
                        length = FRAGMENT_HEADER_LENGTH;
                    } else if (nextHeader == PROTOCOL_AUTHENTICATION) {
                        length = (readUnsignedByte(header + EXTENSION_LENGTH_OFFSET) + AUTHENTICATION_LENGTH_BIAS)
                                * AUTHENTICATION_LENGTH_UNIT;
                    } else {
                        length = (readUnsignedByte(header + EXTENSION_LENGTH_OFFSET) + 1) * EXTENSION_LENGTH_UNIT;
                        if (nextHeader == PROTOCOL_ROUTING && readUnsignedByte(header + ROUTING_SEGMENTS_LEFT_OFFSET) != 0) {
                            routedOnward = true;
                        }
                    }
                    if (length > walkEnd - header) {
                        return ParseResult.INVALID_IPV6_EXTENSION;
                    }
                    nextHeader = readUnsignedByte(header + EXTENSION_NEXT_HEADER_OFFSET);
                    header += length;
                    break;
                }
                default:
                    return ParseResult.NOT_TCP;
            }
        }
    }

    private ParseResult parseTcp(int tcp) {
        int capturedEnd = Math.min(ipEnd, frameEnd);
        if (capturedEnd - tcp < TCP_MIN_HEADER_LENGTH) {
            return ParseResult.TRUNCATED_TCP;
        }
        int headerLength = (readUnsignedByte(tcp + TCP_DATA_OFFSET_OFFSET) >>> 4) * 4;
        if (headerLength < TCP_MIN_HEADER_LENGTH || headerLength > ipEnd - tcp) {
            return ParseResult.INVALID_TCP_DATA_OFFSET;
        }
        if (headerLength > capturedEnd - tcp) {
            return ParseResult.TRUNCATED_TCP;
        }
        ParseResult options = parseTcpOptions(tcp + TCP_MIN_HEADER_LENGTH, tcp + headerLength);
        if (options != ParseResult.TCP) {
            return options;
        }
        tcpOffset = tcp;
        tcpHeaderLength = headerLength;
        tcpValid = true;
        return ParseResult.TCP;
    }

    /** Validates every option and decodes the ones whose value the tracker needs at once. */
    private ParseResult parseTcpOptions(int position, int end) {
        while (position < end) {
            int kind = readUnsignedByte(position);
            if (kind == OPTION_EOL) {
                // the rest is padding and need not be zero (RFC 9293 §3.1)
                break;
            }
            if (kind == OPTION_NOP) {
                position++;
                continue;
            }
            if (end - position < OPTION_MIN_LENGTH) {
                return ParseResult.INVALID_TCP_OPTION;
            }
            int length = readUnsignedByte(position + OPTION_LENGTH_OFFSET);
            if (length < OPTION_MIN_LENGTH || length > end - position) {
                return ParseResult.INVALID_TCP_OPTION;
            }
            switch (kind) {
                case OPTION_MSS:
                    if (length != OPTION_MSS_LENGTH) {
                        return ParseResult.INVALID_TCP_OPTION;
                    }
                    mss = readUnsignedShort(position + OPTION_VALUE_OFFSET);
                    break;
                case OPTION_WINDOW_SCALE:
                    if (length != OPTION_WINDOW_SCALE_LENGTH) {
                        return ParseResult.INVALID_TCP_OPTION;
                    }
                    windowScale = Math.min(readUnsignedByte(position + OPTION_VALUE_OFFSET), MAX_WINDOW_SCALE);
                    break;
                case OPTION_SACK_PERMITTED:
                    if (length != OPTION_SACK_PERMITTED_LENGTH) {
                        return ParseResult.INVALID_TCP_OPTION;
                    }
                    sackPermitted = true;
                    break;
                case OPTION_SACK: {
                    int blockBytes = length - OPTION_VALUE_OFFSET;
                    int blocks = blockBytes / SACK_BLOCK_LENGTH;
                    if (blockBytes % SACK_BLOCK_LENGTH != 0 || blocks < 1 || blocks > MAX_SACK_BLOCKS) {
                        return ParseResult.INVALID_TCP_OPTION;
                    }
                    sackOptionOffset = position;
                    sackBlockCount = blocks;
                    break;
                }
                case OPTION_TIMESTAMPS:
                    if (length != OPTION_TIMESTAMPS_LENGTH) {
                        return ParseResult.INVALID_TCP_OPTION;
                    }
                    timestampOptionOffset = position;
                    break;
                case OPTION_MD5:
                    if (length != OPTION_MD5_LENGTH) {
                        return ParseResult.INVALID_TCP_OPTION;
                    }
                    optionFlags |= HAS_AUTHENTICATION | HAS_UNKNOWN;
                    break;
                case OPTION_AUTHENTICATION:
                    if (length < OPTION_AUTHENTICATION_MIN_LENGTH) {
                        return ParseResult.INVALID_TCP_OPTION;
                    }
                    optionFlags |= HAS_AUTHENTICATION | HAS_UNKNOWN;
                    break;
                // the API counts every option beyond the basic seven as unknown: the proxy
                // must not replay any of them, whatever their name
                case OPTION_MULTIPATH:
                    optionFlags |= HAS_MULTIPATH | HAS_UNKNOWN;
                    break;
                case OPTION_FAST_OPEN:
                    optionFlags |= HAS_FAST_OPEN | HAS_UNKNOWN;
                    break;
                default:
                    optionFlags |= HAS_UNKNOWN;
                    break;
            }
            position += length;
        }
        return ParseResult.TCP;
    }

    // ---- absolute reads and writes; every caller has checked the bounds ----

    private int readUnsignedByte(int index) {
        return buffer[index] & 0xff;
    }

    private int readUnsignedShort(int index) {
        return (buffer[index] & 0xff) << 8 | buffer[index + 1] & 0xff;
    }

    private int readInt(int index) {
        return (buffer[index] & 0xff) << 24
                | (buffer[index + 1] & 0xff) << 16
                | (buffer[index + 2] & 0xff) << 8
                | buffer[index + 3] & 0xff;
    }

    private long readLong(int index) {
        return (readInt(index) & 0xffff_ffffL) << 32 | readInt(index + 4) & 0xffff_ffffL;
    }

    private long readMac(int index) {
        return (long) readUnsignedShort(index) << 32 | readInt(index + 2) & 0xffff_ffffL;
    }

    private void writeShort(int index, int value) {
        buffer[index] = (byte) (value >>> 8);
        buffer[index + 1] = (byte) value;
    }

    private void writeInt(int index, int value) {
        buffer[index] = (byte) (value >>> 24);
        buffer[index + 1] = (byte) (value >>> 16);
        buffer[index + 2] = (byte) (value >>> 8);
        buffer[index + 3] = (byte) value;
    }

    private void writeMac(int index, long mac) {
        writeShort(index, (int) (mac >>> 32));
        writeInt(index + 2, (int) mac);
    }

    // ---- frame ----

    @Override
    public ParseResult result() {
        return result;
    }

    /** @return the frame array of the last parse; an empty array before the first parse or after a {@code null} frame */
    @Override
    public byte[] buffer() {
        return buffer;
    }

    @Override
    public int frameOffset() {
        return frameOffset;
    }

    @Override
    public int frameLength() {
        return frameLength;
    }

    // ---- Ethernet ----

    @Override
    public long destinationMac() {
        return frameLength < ETHERNET_HEADER_LENGTH ? -1L : readMac(frameOffset + ETHERNET_DESTINATION_OFFSET);
    }

    @Override
    public long sourceMac() {
        return frameLength < ETHERNET_HEADER_LENGTH ? -1L : readMac(frameOffset + ETHERNET_SOURCE_OFFSET);
    }

    @Override
    public int vlanTagCount() {
        return vlanTagCount;
    }

    @Override
    public int outerVlanId() {
        return outerVlanId;
    }

    @Override
    public int etherType() {
        return etherType;
    }

    // ---- IP ----

    @Override
    public int ipVersion() {
        return ipVersion;
    }

    /** @return offset of the IP header in {@link #buffer()}, or -1 when no IP header was read */
    @Override
    public int ipOffset() {
        return ipOffset;
    }

    @Override
    public long sourceAddressHigh() {
        return ipVersion == 6 ? readLong(ipOffset + IPV6_SOURCE_OFFSET) : 0L;
    }

    @Override
    public long sourceAddressLow() {
        if (ipVersion == 4) {
            return IPV4_MAPPED_PREFIX | readInt(ipOffset + IPV4_SOURCE_OFFSET) & 0xffff_ffffL;
        }
        return ipVersion == 6 ? readLong(ipOffset + IPV6_SOURCE_OFFSET + 8) : 0L;
    }

    @Override
    public long destinationAddressHigh() {
        return ipVersion == 6 ? readLong(ipOffset + IPV6_DESTINATION_OFFSET) : 0L;
    }

    @Override
    public long destinationAddressLow() {
        if (ipVersion == 4) {
            return IPV4_MAPPED_PREFIX | readInt(ipOffset + IPV4_DESTINATION_OFFSET) & 0xffff_ffffL;
        }
        return ipVersion == 6 ? readLong(ipOffset + IPV6_DESTINATION_OFFSET + 8) : 0L;
    }

    @Override
    public int sourceIpv4() {
        return ipVersion == 4 ? readInt(ipOffset + IPV4_SOURCE_OFFSET) : 0;
    }

    @Override
    public int destinationIpv4() {
        return ipVersion == 4 ? readInt(ipOffset + IPV4_DESTINATION_OFFSET) : 0;
    }

    /** @return whether the packet is any IPv4 fragment (first or not) or carried an IPv6 fragment header */
    @Override
    public boolean isFragmented() {
        return fragmented;
    }

    @Override
    public boolean hasIpv4Options() {
        return ipVersion == 4 && (readUnsignedByte(ipOffset + IPV4_VERSION_IHL_OFFSET) & 0x0f) * 4 > IPV4_MIN_HEADER_LENGTH;
    }

    @Override
    public int ipEcn() {
        if (ipVersion == 4) {
            return readUnsignedByte(ipOffset + IPV4_TOS_OFFSET) & 0x03;
        }
        // the traffic class straddles bytes 0 and 1; ECN is its low two bits
        return ipVersion == 6 ? readUnsignedByte(ipOffset + IPV6_TRAFFIC_CLASS_LOW_OFFSET) >>> 4 & 0x03 : 0;
    }

    // ---- TCP ----

    /** @return offset of the TCP header in {@link #buffer()}, or -1 unless the result is TCP */
    @Override
    public int tcpOffset() {
        return tcpOffset;
    }

    @Override
    public int tcpHeaderLength() {
        return tcpHeaderLength;
    }

    @Override
    public int sourcePort() {
        return tcpValid ? readUnsignedShort(tcpOffset + TCP_SOURCE_PORT_OFFSET) : -1;
    }

    @Override
    public int destinationPort() {
        return tcpValid ? readUnsignedShort(tcpOffset + TCP_DESTINATION_PORT_OFFSET) : -1;
    }

    @Override
    public int sequenceNumber() {
        return tcpValid ? readInt(tcpOffset + TCP_SEQUENCE_OFFSET) : 0;
    }

    @Override
    public int acknowledgementNumber() {
        return tcpValid ? readInt(tcpOffset + TCP_ACKNOWLEDGEMENT_OFFSET) : 0;
    }

    @Override
    public int flags() {
        if (!tcpValid) {
            return 0;
        }
        return (readUnsignedByte(tcpOffset + TCP_DATA_OFFSET_OFFSET) & 0x01) << 8
                | readUnsignedByte(tcpOffset + TCP_FLAGS_OFFSET);
    }

    @Override
    public boolean hasFlags(int mask) {
        return (flags() & mask) == mask;
    }

    @Override
    public int window() {
        return tcpValid ? readUnsignedShort(tcpOffset + TCP_WINDOW_OFFSET) : -1;
    }

    /** @return offset of the TCP payload in {@link #buffer()}, or -1 unless the result is TCP */
    @Override
    public int payloadOffset() {
        return tcpValid ? tcpOffset + tcpHeaderLength : -1;
    }

    @Override
    public int payloadLength() {
        return tcpValid ? ipEnd - tcpOffset - tcpHeaderLength : 0;
    }

    @Override
    public int capturedPayloadLength() {
        return tcpValid ? Math.min(ipEnd, frameEnd) - tcpOffset - tcpHeaderLength : 0;
    }

    // ---- TCP options ----

    @Override
    public int mss() {
        return tcpValid ? mss : -1;
    }

    /** @return the window-scale shift count, at most {@link #MAX_WINDOW_SCALE} (RFC 7323 §2.3), or -1 when absent */
    @Override
    public int windowScale() {
        return tcpValid ? windowScale : -1;
    }

    @Override
    public boolean sackPermitted() {
        return tcpValid && sackPermitted;
    }

    @Override
    public boolean hasTimestamps() {
        return tcpValid && timestampOptionOffset >= 0;
    }

    @Override
    public int timestampValue() {
        return hasTimestamps() ? readInt(timestampOptionOffset + TIMESTAMP_VALUE_OFFSET) : 0;
    }

    @Override
    public int timestampEchoReply() {
        return hasTimestamps() ? readInt(timestampOptionOffset + TIMESTAMP_ECHO_REPLY_OFFSET) : 0;
    }

    @Override
    public int timestampOptionOffset() {
        return tcpValid ? timestampOptionOffset : -1;
    }

    @Override
    public int sackBlockCount() {
        return tcpValid ? sackBlockCount : 0;
    }

    /** @return left edge of SACK block {@code index}, or 0 when there is no such block */
    @Override
    public int sackBlockLeft(int index) {
        return hasSackBlock(index) ? readInt(sackBlockOffset(index)) : 0;
    }

    /** @return right edge of SACK block {@code index}, or 0 when there is no such block */
    @Override
    public int sackBlockRight(int index) {
        return hasSackBlock(index) ? readInt(sackBlockOffset(index) + SACK_RIGHT_EDGE_OFFSET) : 0;
    }

    private boolean hasSackBlock(int index) {
        return tcpValid && index >= 0 && index < sackBlockCount;
    }

    private int sackBlockOffset(int index) {
        return sackOptionOffset + OPTION_VALUE_OFFSET + index * SACK_BLOCK_LENGTH;
    }

    @Override
    public int sackOptionOffset() {
        return tcpValid ? sackOptionOffset : -1;
    }

    @Override
    public boolean hasAuthenticationOption() {
        return tcpValid && (optionFlags & HAS_AUTHENTICATION) != 0;
    }

    @Override
    public boolean hasMultipathOption() {
        return tcpValid && (optionFlags & HAS_MULTIPATH) != 0;
    }

    @Override
    public boolean hasFastOpenOption() {
        return tcpValid && (optionFlags & HAS_FAST_OPEN) != 0;
    }

    /**
     * {@inheritDoc}
     *
     * <p>As the API defines it, this includes TCP-MD5, TCP-AO, MPTCP and Fast Open: everything
     * that {@link #replaceUnknownOptionsWithNops()} would overwrite.
     */
    @Override
    public boolean hasUnknownOptions() {
        return tcpValid && (optionFlags & HAS_UNKNOWN) != 0;
    }

    // ---- in-place rewriting, for the proxy ----

    /**
     * Writes the sequence number.
     *
     * @return false, writing nothing, unless the last parse gave {@link ParseResult#TCP}
     */
    public boolean setSequenceNumber(int sequenceNumber) {
        if (!tcpValid) {
            return false;
        }
        writeInt(tcpOffset + TCP_SEQUENCE_OFFSET, sequenceNumber);
        return true;
    }

    /**
     * Writes the acknowledgement number.
     *
     * @return false, writing nothing, unless the last parse gave {@link ParseResult#TCP}
     */
    public boolean setAcknowledgementNumber(int acknowledgementNumber) {
        if (!tcpValid) {
            return false;
        }
        writeInt(tcpOffset + TCP_ACKNOWLEDGEMENT_OFFSET, acknowledgementNumber);
        return true;
    }

    /**
     * Writes the window field, unscaled as it goes on the wire.
     *
     * @param window 0 to 65535; the caller clamps a rescaled window
     * @return false, writing nothing, when the window is out of range or the result is not TCP
     */
    public boolean setWindow(int window) {
        if (!tcpValid || window < 0 || window > 0xffff) {
            return false;
        }
        writeShort(tcpOffset + TCP_WINDOW_OFFSET, window);
        return true;
    }

    /**
     * Writes both values of the timestamps option.
     *
     * @return false, writing nothing, when the segment has no timestamps option
     */
    public boolean setTimestamps(int timestampValue, int timestampEchoReply) {
        if (!hasTimestamps()) {
            return false;
        }
        writeInt(timestampOptionOffset + TIMESTAMP_VALUE_OFFSET, timestampValue);
        writeInt(timestampOptionOffset + TIMESTAMP_ECHO_REPLY_OFFSET, timestampEchoReply);
        return true;
    }

    /**
     * Writes both edges of one SACK block.
     *
     * @param index 0 to {@link #sackBlockCount()} - 1
     * @return false, writing nothing, when there is no such block
     */
    public boolean setSackBlock(int index, int leftEdge, int rightEdge) {
        if (!hasSackBlock(index)) {
            return false;
        }
        int block = sackBlockOffset(index);
        writeInt(block, leftEdge);
        writeInt(block + SACK_RIGHT_EDGE_OFFSET, rightEdge);
        return true;
    }

    /**
     * Writes the TCP source port.
     *
     * @param port 0 to 65535
     * @return false, writing nothing, when the port is out of range or the result is not TCP
     */
    public boolean setSourcePort(int port) {
        if (!tcpValid || port < 0 || port > 0xffff) {
            return false;
        }
        writeShort(tcpOffset + TCP_SOURCE_PORT_OFFSET, port);
        return true;
    }

    /**
     * Writes the TCP destination port.
     *
     * @param port 0 to 65535
     * @return false, writing nothing, when the port is out of range or the result is not TCP
     */
    public boolean setDestinationPort(int port) {
        if (!tcpValid || port < 0 || port > 0xffff) {
            return false;
        }
        writeShort(tcpOffset + TCP_DESTINATION_PORT_OFFSET, port);
        return true;
    }

    /**
     * Writes the IPv4 source address.
     *
     * @return false, writing nothing, unless an IPv4 header was read
     */
    public boolean setSourceIpv4(int address) {
        if (ipVersion != 4) {
            return false;
        }
        writeInt(ipOffset + IPV4_SOURCE_OFFSET, address);
        return true;
    }

    /**
     * Writes the IPv4 destination address.
     *
     * @return false, writing nothing, unless an IPv4 header was read
     */
    public boolean setDestinationIpv4(int address) {
        if (ipVersion != 4) {
            return false;
        }
        writeInt(ipOffset + IPV4_DESTINATION_OFFSET, address);
        return true;
    }

    /**
     * Writes the Ethernet source MAC address.
     *
     * @param mac the address in the low 48 bits
     * @return false, writing nothing, when the frame is shorter than an Ethernet header
     */
    public boolean setSourceMac(long mac) {
        if (frameLength < ETHERNET_HEADER_LENGTH) {
            return false;
        }
        writeMac(frameOffset + ETHERNET_SOURCE_OFFSET, mac);
        return true;
    }

    /**
     * Writes the Ethernet destination MAC address.
     *
     * @param mac the address in the low 48 bits
     * @return false, writing nothing, when the frame is shorter than an Ethernet header
     */
    public boolean setDestinationMac(long mac) {
        if (frameLength < ETHERNET_HEADER_LENGTH) {
            return false;
        }
        writeMac(frameOffset + ETHERNET_DESTINATION_OFFSET, mac);
        return true;
    }

    /**
     * Overwrites every option other than EOL, NOP, MSS, window scale, SACK-permitted, SACK and
     * timestamps with NOPs, keeping the header's length and every other option's offset. Why:
     * a translated segment must not replay options whose meaning is bound to the original
     * connection (Fast Open cookies, MPTCP keys, MD5/AO digests).
     *
     * @return how many options were overwritten; 0 unless the result is TCP
     */
    public int replaceUnknownOptionsWithNops() {
        if (!tcpValid || (optionFlags & HAS_UNKNOWN) == 0) {
            return 0;
        }
        int replaced = 0;
        int position = tcpOffset + TCP_MIN_HEADER_LENGTH;
        int end = tcpOffset + tcpHeaderLength;
        // parse validated this walk: every length is at least 2 and stays inside the header
        while (position < end) {
            int kind = readUnsignedByte(position);
            if (kind == OPTION_EOL) {
                break;
            }
            if (kind == OPTION_NOP) {
                position++;
                continue;
            }
            int length = readUnsignedByte(position + OPTION_LENGTH_OFFSET);
            if (!isBasicOption(kind)) {
                for (int i = 0; i < length; i++) {
                    buffer[position + i] = (byte) OPTION_NOP;
                }
                replaced++;
            }
            position += length;
        }
        optionFlags = 0;
        return replaced;
    }

    private static boolean isBasicOption(int kind) {
        return kind == OPTION_MSS || kind == OPTION_WINDOW_SCALE || kind == OPTION_SACK_PERMITTED
                || kind == OPTION_SACK || kind == OPTION_TIMESTAMPS;
    }

    // ---- checksums (RFC 1071 one's-complement sums) ----

    /**
     * Recomputes the IPv4 header checksum over the header and its options.
     *
     * @return false, writing nothing, unless an IPv4 header was read
     */
    public boolean updateIpv4HeaderChecksum() {
        if (ipVersion != 4) {
            return false;
        }
        writeShort(ipOffset + IPV4_CHECKSUM_OFFSET, 0);
        int sum = fold(sum(ipOffset, ipOffset + ipv4HeaderLength(), 0L));
        writeShort(ipOffset + IPV4_CHECKSUM_OFFSET, ~sum & 0xffff);
        return true;
    }

    /** @return whether an IPv4 header was read and its checksum is right */
    public boolean isIpv4HeaderChecksumValid() {
        return ipVersion == 4 && fold(sum(ipOffset, ipOffset + ipv4HeaderLength(), 0L)) == 0xffff;
    }

    private int ipv4HeaderLength() {
        return (readUnsignedByte(ipOffset + IPV4_VERSION_IHL_OFFSET) & 0x0f) * 4;
    }

    /**
     * Recomputes the TCP checksum over the IPv4 or IPv6 pseudo-header, the header and the
     * payload.
     *
     * @return false, writing nothing, when it cannot be computed: the result is not TCP, the
     *     capture cut the segment short, or an IPv6 routing header sends the packet on to a
     *     final destination that the pseudo-header would have to name
     */
    public boolean updateTcpChecksum() {
        if (!canChecksumTcp()) {
            return false;
        }
        writeShort(tcpOffset + TCP_CHECKSUM_OFFSET, 0);
        int sum = fold(sum(tcpOffset, ipEnd, pseudoHeaderSum()));
        // TCP, unlike UDP, sends a computed 0 as 0
        writeShort(tcpOffset + TCP_CHECKSUM_OFFSET, ~sum & 0xffff);
        return true;
    }

    /** @return whether the whole segment was captured and its TCP checksum is right */
    public boolean isTcpChecksumValid() {
        return canChecksumTcp() && fold(sum(tcpOffset, ipEnd, pseudoHeaderSum())) == 0xffff;
    }

    private boolean canChecksumTcp() {
        return tcpValid && ipEnd <= frameEnd && !routedOnward;
    }

    private long pseudoHeaderSum() {
        long segmentLength = ipEnd - tcpOffset;
        long sum = PROTOCOL_TCP + segmentLength;
        if (ipVersion == 4) {
            return sum(ipOffset + IPV4_SOURCE_OFFSET, ipOffset + IPV4_DESTINATION_OFFSET + 4, sum);
        }
        return sum(ipOffset + IPV6_SOURCE_OFFSET, ipOffset + IPV6_DESTINATION_OFFSET + 16, sum);
    }

    /**
     * Adds the big-endian 16-bit words of [from, to) to {@code sum}, an odd last byte padded
     * with zero. Summing 32-bit words and folding later gives the same one's-complement sum
     * (2^16 is 1 modulo 2^16 - 1) with half the loop.
     */
    private long sum(int from, int to, long sum) {
        int i = from;
        for (; to - i >= 4; i += 4) {
            sum += readInt(i) & 0xffff_ffffL;
        }
        if (to - i >= 2) {
            sum += readUnsignedShort(i);
            i += 2;
        }
        if (i < to) {
            sum += readUnsignedByte(i) << 8;
        }
        return sum;
    }

    private static int fold(long sum) {
        while (sum >>> 16 != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }

    /** @return the result and, for TCP, the ports; for logs and test failures, not the hot path */
    @Override
    public String toString() {
        return tcpValid
                ? "FlyweightParsedPacket[TCP " + sourcePort() + " -> " + destinationPort() + ", seq " + Integer.toUnsignedString(sequenceNumber()) + "]"
                : "FlyweightParsedPacket[" + result + "]";
    }
}
