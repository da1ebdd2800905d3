package org.migware.api.wire;

/**
 * TCP (RFC 9293): offsets from the header's first byte.
 *
 * <pre>
 *   |          Source Port          |       Destination Port        |
 *   |                        Sequence Number                        |
 *   |                    Acknowledgment Number                      |
 *   |  Data |     |N|C|E|U|A|P|R|S|F|                               |
 *   | Offset| Rsv |S|W|C|R|C|S|S|Y|I|            Window             |
 *   |           Checksum            |         Urgent Pointer        |
 *   |                    Options (Data Offset &gt; 5)                  |
 * </pre>
 */
public final class TcpHeader {

    public static final int SOURCE_PORT_OFFSET = 0;
    public static final int DESTINATION_PORT_OFFSET = 2;
    public static final int SEQUENCE_OFFSET = 4;
    public static final int ACKNOWLEDGEMENT_OFFSET = 8;
    /** Data offset in the high nibble, NS in the low bit. */
    public static final int DATA_OFFSET_OFFSET = 12;
    public static final int FLAGS_OFFSET = 13;
    public static final int WINDOW_OFFSET = 14;
    public static final int CHECKSUM_OFFSET = 16;
    public static final int URGENT_POINTER_OFFSET = 18;
    /** The header without options (data offset 5). */
    public static final int MIN_HEADER_LENGTH = 20;
    /** Data offset 15. */
    public static final int MAX_HEADER_LENGTH = 60;
    public static final int MAX_OPTIONS_LENGTH = MAX_HEADER_LENGTH - MIN_HEADER_LENGTH;
    /** The data offset counts 32-bit words. */
    public static final int DATA_OFFSET_UNIT = 4;

    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;
    /** The nonce bit, the low bit of the data-offset byte, as the ninth flag. */
    public static final int NS = 0x100;

    private TcpHeader() {
    }
}
