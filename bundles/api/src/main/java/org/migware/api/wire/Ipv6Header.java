package org.migware.api.wire;

/**
 * IPv6 (RFC 8200) and its extension headers: offsets from the header's first byte.
 *
 * <pre>
 *   |Version| Traffic Class |              Flow Label               |
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   |                Source Address (16 bytes)                      |
 *   |              Destination Address (16 bytes)                   |
 *
 * Extension header, generic: | Next Header | Hdr Ext Len | (Hdr Ext Len + 1) * 8 bytes |
 * Fragment header (44):      | Next Header | Reserved | Fragment Offset |Res|M| Identification |
 * Authentication (51):       | Next Header | Payload Len ((len + 2) * 4 bytes) | Reserved | ...
 * </pre>
 */
public final class Ipv6Header {

    public static final int VERSION_OFFSET = 0;
    /** The byte whose high nibble holds the traffic class's low four bits (ECN among them). */
    public static final int TRAFFIC_CLASS_LOW_OFFSET = 1;
    public static final int PAYLOAD_LENGTH_OFFSET = 4;
    public static final int NEXT_HEADER_OFFSET = 6;
    public static final int HOP_LIMIT_OFFSET = 7;
    public static final int SOURCE_OFFSET = 8;
    public static final int DESTINATION_OFFSET = 24;
    public static final int ADDRESS_LENGTH = 16;
    public static final int HEADER_LENGTH = 40;

    public static final int EXTENSION_NEXT_HEADER_OFFSET = 0;
    public static final int EXTENSION_LENGTH_OFFSET = 1;
    /** Every extension header is at least 8 bytes (RFC 8200 §4). */
    public static final int EXTENSION_MIN_LENGTH = 8;
    public static final int EXTENSION_LENGTH_UNIT = 8;
    public static final int ROUTING_SEGMENTS_LEFT_OFFSET = 3;
    public static final int FRAGMENT_OFFSET_FIELD_OFFSET = 2;
    public static final int FRAGMENT_HEADER_LENGTH = 8;
    /** The 13-bit fragment offset sits above the two reserved bits and M. */
    public static final int FRAGMENT_OFFSET_MASK = 0xfff8;
    public static final int AUTHENTICATION_LENGTH_UNIT = 4;
    /** AH length counts 32-bit words minus 2 (RFC 4302 §2.2). */
    public static final int AUTHENTICATION_LENGTH_BIAS = 2;

    private Ipv6Header() {
    }
}
