package org.migware.api.wire;

/**
 * IPv4 (RFC 791): offsets from the header's first byte.
 *
 * <pre>
 *   |Version|  IHL  |  DSCP     |ECN|          Total Length         |
 *   |         Identification        |Flags|     Fragment Offset     |
 *   |  Time to Live |    Protocol   |        Header Checksum        |
 *   |                       Source Address                          |
 *   |                    Destination Address                        |
 *   |                    Options (IHL &gt; 5)                          |
 * </pre>
 */
public final class Ipv4Header {

    public static final int VERSION_IHL_OFFSET = 0;
    public static final int TOS_OFFSET = 1;
    public static final int TOTAL_LENGTH_OFFSET = 2;
    public static final int IDENTIFICATION_OFFSET = 4;
    public static final int FLAGS_FRAGMENT_OFFSET = 6;
    public static final int TTL_OFFSET = 8;
    public static final int PROTOCOL_OFFSET = 9;
    public static final int CHECKSUM_OFFSET = 10;
    public static final int SOURCE_OFFSET = 12;
    public static final int DESTINATION_OFFSET = 16;
    public static final int ADDRESS_LENGTH = 4;
    /** The header without options (IHL 5). */
    public static final int MIN_HEADER_LENGTH = 20;
    /** IHL 15. */
    public static final int MAX_HEADER_LENGTH = 60;
    /** Version 4, IHL 5: the first byte of a header without options. */
    public static final int VERSION_IHL_NO_OPTIONS = 0x45;
    /** IHL counts 32-bit words. */
    public static final int IHL_UNIT = 4;
    public static final int IHL_MASK = 0x0f;
    public static final int ECN_MASK = 0x03;

    public static final int DONT_FRAGMENT = 0x4000;
    public static final int MORE_FRAGMENTS = 0x2000;
    public static final int FRAGMENT_OFFSET_MASK = 0x1fff;

    /** High word of an IPv4-mapped IPv6 address is 0; the low word carries this prefix. */
    public static final long MAPPED_PREFIX = 0x0000_ffff_0000_0000L;

    private Ipv4Header() {
    }
}
