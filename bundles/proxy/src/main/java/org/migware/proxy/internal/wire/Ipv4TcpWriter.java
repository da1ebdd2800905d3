package org.migware.proxy.internal.wire;

import java.util.Arrays;

/**
 * Writes one IPv4 + TCP packet into a caller's buffer: the forged handshakes of RECOVERY and the
 * prompts of PROXY. A reusable flyweight: {@link #begin} starts a packet, setters fill the headers,
 * options are appended in the order called, {@link #payload} copies the data and {@link #finish}
 * writes the lengths and both checksums. It allocates nothing, so one writer per thread serves any
 * number of packets; it is not thread-safe.
 *
 * <pre>
 *  IPv4 header (RFC 791), always 20 bytes here (no IP options)
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version|  IHL  |Type of Service|          Total Length         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         Identification        |Flags|      Fragment Offset    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Time to Live |    Protocol   |         Header Checksum       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                       Source Address                          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Destination Address                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *  TCP header (RFC 9293), 20 bytes + up to 40 bytes of options
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Source Port          |       Destination Port        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        Sequence Number                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Acknowledgment Number                      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Data |       |C|E|U|A|P|R|S|F|                               |
 *  | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |           Checksum            |         Urgent Pointer        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Options                    |    Padding    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * The IP header carries DF and TTL 64, as Linux's own TCP segments do, and identification 0 unless
 * set (RFC 6864: the field is meaningless on atomic, DF datagrams). Misuse (a buffer too small,
 * options past 40 bytes, an option after the payload) is a programming error and throws.
 */
public final class Ipv4TcpWriter {

    public static final int IPV4_HEADER_LENGTH = 20;
    public static final int TCP_HEADER_LENGTH = 20;
    public static final int MAX_TCP_OPTIONS_LENGTH = 40;
    public static final int PROTOCOL_TCP = 6;

    public static final int IPV4_VERSION_IHL_OFFSET = 0;
    public static final int IPV4_TOS_OFFSET = 1;
    public static final int IPV4_TOTAL_LENGTH_OFFSET = 2;
    public static final int IPV4_ID_OFFSET = 4;
    public static final int IPV4_FLAGS_FRAGMENT_OFFSET = 6;
    public static final int IPV4_TTL_OFFSET = 8;
    public static final int IPV4_PROTOCOL_OFFSET = 9;
    public static final int IPV4_CHECKSUM_OFFSET = 10;
    public static final int IPV4_SOURCE_OFFSET = 12;
    public static final int IPV4_DESTINATION_OFFSET = 16;

    /** TCP offsets, relative to the start of the TCP header. */
    public static final int TCP_SOURCE_PORT_OFFSET = 0;
    public static final int TCP_DESTINATION_PORT_OFFSET = 2;
    public static final int TCP_SEQ_OFFSET = 4;
    public static final int TCP_ACK_OFFSET = 8;
    public static final int TCP_DATA_OFFSET_OFFSET = 12;
    public static final int TCP_FLAGS_OFFSET = 13;
    public static final int TCP_WINDOW_OFFSET = 14;
    public static final int TCP_CHECKSUM_OFFSET = 16;
    public static final int TCP_URGENT_OFFSET = 18;

    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;

    public static final int OPTION_EOL = 0;
    public static final int OPTION_NOP = 1;
    public static final int OPTION_MSS = 2;
    public static final int OPTION_WINDOW_SCALE = 3;
    public static final int OPTION_SACK_PERMITTED = 4;
    public static final int OPTION_SACK = 5;
    public static final int OPTION_TIMESTAMPS = 8;

    private static final int OPTION_MSS_LENGTH = 4;
    private static final int OPTION_WINDOW_SCALE_LENGTH = 3;
    private static final int OPTION_SACK_PERMITTED_LENGTH = 2;
    private static final int OPTION_SACK_HEADER_LENGTH = 2;
    private static final int SACK_BLOCK_LENGTH = 8;
    private static final int OPTION_TIMESTAMPS_LENGTH = 10;

    private static final int IPV4_VERSION_IHL = 0x45; // version 4, 5 words of header
    private static final int IPV4_DONT_FRAGMENT = 0x4000;
    private static final int DEFAULT_TTL = 64;
    private static final int MAX_IPV4_TOTAL_LENGTH = 0xffff;
    private static final int WORD = 4;
    private static final int NO_SACK_OPTION = -1;

    private byte[] buffer;
    private int start;
    private int tcpStart;
    private int optionsEnd;
    private int payloadLength;
    private boolean optionsClosed;
    private int sackOptionStart = NO_SACK_OPTION;

    /**
     * Starts a packet at {@code offset}: IPv4 with DF and TTL 64, protocol TCP, every other field 0.
     *
     * @throws IllegalArgumentException if the buffer cannot hold even the two bare headers
     */
    public Ipv4TcpWriter begin(byte[] buffer, int offset) {
        if (offset < 0 || buffer.length - offset < IPV4_HEADER_LENGTH + TCP_HEADER_LENGTH) {
            throw new IllegalArgumentException("no room for IPv4 + TCP headers at offset " + offset + " of " + buffer.length);
        }
        this.buffer = buffer;
        this.start = offset;
        this.tcpStart = offset + IPV4_HEADER_LENGTH;
        this.optionsEnd = tcpStart + TCP_HEADER_LENGTH;
        this.payloadLength = 0;
        this.optionsClosed = false;
        this.sackOptionStart = NO_SACK_OPTION;
        Arrays.fill(buffer, offset, optionsEnd, (byte) 0);
        buffer[offset + IPV4_VERSION_IHL_OFFSET] = IPV4_VERSION_IHL;
        putShort(offset + IPV4_FLAGS_FRAGMENT_OFFSET, IPV4_DONT_FRAGMENT);
        buffer[offset + IPV4_TTL_OFFSET] = DEFAULT_TTL;
        buffer[offset + IPV4_PROTOCOL_OFFSET] = PROTOCOL_TCP;
        return this;
    }

    /** Source address (big-endian int, see {@link Ipv4Address}) and port. */
    public Ipv4TcpWriter source(int address, int port) {
        putInt(start + IPV4_SOURCE_OFFSET, address);
        putShort(tcpStart + TCP_SOURCE_PORT_OFFSET, port);
        return this;
    }

    /** Destination address (big-endian int) and port. */
    public Ipv4TcpWriter destination(int address, int port) {
        putInt(start + IPV4_DESTINATION_OFFSET, address);
        putShort(tcpStart + TCP_DESTINATION_PORT_OFFSET, port);
        return this;
    }

    public Ipv4TcpWriter sequence(int seq) {
        putInt(tcpStart + TCP_SEQ_OFFSET, seq);
        return this;
    }

    public Ipv4TcpWriter acknowledgement(int ack) {
        putInt(tcpStart + TCP_ACK_OFFSET, ack);
        return this;
    }

    /** @param flags an OR of {@link #SYN}, {@link #ACK}, ... (low 8 bits) */
    public Ipv4TcpWriter flags(int flags) {
        buffer[tcpStart + TCP_FLAGS_OFFSET] = (byte) flags;
        return this;
    }

    /** @param window the 16-bit window field, already scaled down by the sender's shift */
    public Ipv4TcpWriter window(int window) {
        putShort(tcpStart + TCP_WINDOW_OFFSET, window);
        return this;
    }

    public Ipv4TcpWriter ipIdentification(int id) {
        putShort(start + IPV4_ID_OFFSET, id);
        return this;
    }

    public Ipv4TcpWriter ttl(int ttl) {
        buffer[start + IPV4_TTL_OFFSET] = (byte) ttl;
        return this;
    }

    /** @param tos the whole TOS byte: DSCP and the two ECN bits */
    public Ipv4TcpWriter typeOfService(int tos) {
        buffer[start + IPV4_TOS_OFFSET] = (byte) tos;
        return this;
    }

    /** Appends a NOP option (alignment, as Linux puts one before window scale). */
    public Ipv4TcpWriter nop() {
        reserveOption(1);
        sackOptionStart = NO_SACK_OPTION; // any other option ends a SACK option in progress
        buffer[optionsEnd++] = OPTION_NOP;
        return this;
    }

    /** Appends the maximum segment size option (SYN only). */
    public Ipv4TcpWriter mss(int mss) {
        reserveOption(OPTION_MSS_LENGTH);
        sackOptionStart = NO_SACK_OPTION; // any other option ends a SACK option in progress
        buffer[optionsEnd] = OPTION_MSS;
        buffer[optionsEnd + 1] = OPTION_MSS_LENGTH;
        putShort(optionsEnd + 2, mss);
        optionsEnd += OPTION_MSS_LENGTH;
        return this;
    }

    /** Appends the SACK-permitted option (SYN only). */
    public Ipv4TcpWriter sackPermitted() {
        reserveOption(OPTION_SACK_PERMITTED_LENGTH);
        sackOptionStart = NO_SACK_OPTION; // any other option ends a SACK option in progress
        buffer[optionsEnd] = OPTION_SACK_PERMITTED;
        buffer[optionsEnd + 1] = OPTION_SACK_PERMITTED_LENGTH;
        optionsEnd += OPTION_SACK_PERMITTED_LENGTH;
        return this;
    }

    /** Appends the timestamps option (RFC 7323). */
    public Ipv4TcpWriter timestamps(int tsval, int tsecr) {
        reserveOption(OPTION_TIMESTAMPS_LENGTH);
        sackOptionStart = NO_SACK_OPTION; // any other option ends a SACK option in progress
        buffer[optionsEnd] = OPTION_TIMESTAMPS;
        buffer[optionsEnd + 1] = OPTION_TIMESTAMPS_LENGTH;
        putInt(optionsEnd + 2, tsval);
        putInt(optionsEnd + 6, tsecr);
        optionsEnd += OPTION_TIMESTAMPS_LENGTH;
        return this;
    }

    /** Appends the window scale option (SYN only); {@code shift} 0..14. */
    public Ipv4TcpWriter windowScale(int shift) {
        reserveOption(OPTION_WINDOW_SCALE_LENGTH);
        sackOptionStart = NO_SACK_OPTION; // any other option ends a SACK option in progress
        buffer[optionsEnd] = OPTION_WINDOW_SCALE;
        buffer[optionsEnd + 1] = OPTION_WINDOW_SCALE_LENGTH;
        buffer[optionsEnd + 2] = (byte) shift;
        optionsEnd += OPTION_WINDOW_SCALE_LENGTH;
        return this;
    }

    /**
     * Appends one SACK block {@code [left, right)}. Consecutive calls grow one SACK option, so no
     * array of blocks is needed; any other option in between starts a new one.
     */
    public Ipv4TcpWriter sackBlock(int left, int right) {
        if (sackOptionStart == NO_SACK_OPTION) {
            reserveOption(OPTION_SACK_HEADER_LENGTH + SACK_BLOCK_LENGTH);
            sackOptionStart = optionsEnd;
            buffer[optionsEnd] = OPTION_SACK;
            buffer[optionsEnd + 1] = OPTION_SACK_HEADER_LENGTH;
            optionsEnd += OPTION_SACK_HEADER_LENGTH;
        } else {
            reserveOption(SACK_BLOCK_LENGTH);
        }
        putInt(optionsEnd, left);
        putInt(optionsEnd + 4, right);
        optionsEnd += SACK_BLOCK_LENGTH;
        buffer[sackOptionStart + 1] += SACK_BLOCK_LENGTH; // the option stays open for a next block
        return this;
    }

    /**
     * Closes the options and copies the payload after them.
     *
     * @throws IllegalArgumentException if the packet would not fit the buffer or an IPv4 datagram
     */
    public Ipv4TcpWriter payload(byte[] source, int offset, int length) {
        closeOptions();
        if (length < 0 || buffer.length - optionsEnd < length || optionsEnd - start + length > MAX_IPV4_TOTAL_LENGTH) {
            throw new IllegalArgumentException("no room for " + length + " payload bytes");
        }
        System.arraycopy(source, offset, buffer, optionsEnd, length);
        payloadLength = length;
        return this;
    }

    /**
     * Pads the options, writes the header lengths and both checksums.
     *
     * @return the length of the whole packet, from the offset given to {@link #begin}
     */
    public int finish() {
        closeOptions();
        int totalLength = optionsEnd + payloadLength - start;
        putShort(start + IPV4_TOTAL_LENGTH_OFFSET, totalLength);
        int ipChecksum = ~checksum(buffer, start, IPV4_HEADER_LENGTH, 0) & 0xffff;
        putShort(start + IPV4_CHECKSUM_OFFSET, ipChecksum);

        int tcpLength = totalLength - IPV4_HEADER_LENGTH;
        // pseudo-header: source, destination, zero + protocol, TCP length
        int pseudo = checksum(buffer, start + IPV4_SOURCE_OFFSET, 2 * WORD, PROTOCOL_TCP + tcpLength);
        int tcpChecksum = ~checksum(buffer, tcpStart, tcpLength, pseudo) & 0xffff;
        putShort(tcpStart + TCP_CHECKSUM_OFFSET, tcpChecksum);
        return totalLength;
    }

    /**
     * The Internet checksum's one's-complement sum (RFC 1071) of {@code length} bytes, added to
     * {@code initial}; an odd last byte counts as its high half.
     *
     * @return the sum folded to 16 bits, not yet complemented, so sums can be chained
     */
    public static int checksum(byte[] bytes, int offset, int length, int initial) {
        long sum = initial & 0xffff_ffffL;
        int end = offset + length - 1;
        int i = offset;
        for (; i < end; i += 2) {
            sum += (bytes[i] & 0xff) << 8 | bytes[i + 1] & 0xff;
        }
        if (i == end) {
            sum += (bytes[i] & 0xff) << 8;
        }
        while (sum >>> 16 != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }

    private void reserveOption(int length) {
        if (optionsClosed) {
            throw new IllegalStateException("TCP options must come before the payload");
        }
        if (optionsEnd + length - (tcpStart + TCP_HEADER_LENGTH) > MAX_TCP_OPTIONS_LENGTH) {
            throw new IllegalStateException("TCP options exceed " + MAX_TCP_OPTIONS_LENGTH + " bytes");
        }
        if (optionsEnd + length > buffer.length) {
            throw new IllegalArgumentException("no room for TCP options in the buffer");
        }
    }

    /** Pads the options to whole words with end-of-list bytes and writes the data offset. */
    private void closeOptions() {
        if (optionsClosed) {
            return;
        }
        while ((optionsEnd - tcpStart) % WORD != 0) {
            if (optionsEnd >= buffer.length) {
                throw new IllegalArgumentException("no room for TCP option padding in the buffer");
            }
            buffer[optionsEnd++] = OPTION_EOL;
        }
        buffer[tcpStart + TCP_DATA_OFFSET_OFFSET] = (byte) ((optionsEnd - tcpStart) / WORD << 4);
        optionsClosed = true;
        sackOptionStart = NO_SACK_OPTION;
    }

    private void putShort(int at, int value) {
        buffer[at] = (byte) (value >>> 8);
        buffer[at + 1] = (byte) value;
    }

    private void putInt(int at, int value) {
        buffer[at] = (byte) (value >>> 24);
        buffer[at + 1] = (byte) (value >>> 16);
        buffer[at + 2] = (byte) (value >>> 8);
        buffer[at + 3] = (byte) value;
    }
}
