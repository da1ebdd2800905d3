package org.migware.proxy.internal.wire;

import java.util.Arrays;

import org.migware.api.wire.InternetChecksum;
import org.migware.api.wire.IpProtocol;
import org.migware.api.wire.Ipv4Header;
import org.migware.api.wire.TcpHeader;
import org.migware.api.wire.TcpOption;

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
 * set (RFC 6864: the field is meaningless on atomic, DF datagrams). Offsets, flags, option kinds
 * and checksums are the wire package's ({@code org.migware.api.wire}). Misuse (a buffer too small,
 * options past 40 bytes, an option after the payload) is a programming error and throws.
 */
public final class Ipv4TcpWriter {

    /** The IPv4 header this writer writes: no options. */
    private static final int IPV4_HEADER_LENGTH = Ipv4Header.MIN_HEADER_LENGTH;
    /** The kind and length bytes that open a SACK option before its blocks. */
    private static final int OPTION_SACK_HEADER_LENGTH = TcpOption.MIN_LENGTH;
    private static final int DEFAULT_TTL = 64;
    private static final int MAX_IPV4_TOTAL_LENGTH = 0xffff;
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
        if (offset < 0 || buffer.length - offset < IPV4_HEADER_LENGTH + TcpHeader.MIN_HEADER_LENGTH) {
            throw new IllegalArgumentException("no room for IPv4 + TCP headers at offset " + offset + " of " + buffer.length);
        }
        this.buffer = buffer;
        this.start = offset;
        this.tcpStart = offset + IPV4_HEADER_LENGTH;
        this.optionsEnd = tcpStart + TcpHeader.MIN_HEADER_LENGTH;
        this.payloadLength = 0;
        this.optionsClosed = false;
        this.sackOptionStart = NO_SACK_OPTION;
        Arrays.fill(buffer, offset, optionsEnd, (byte) 0);
        buffer[offset + Ipv4Header.VERSION_IHL_OFFSET] = Ipv4Header.VERSION_IHL_NO_OPTIONS;
        putShort(offset + Ipv4Header.FLAGS_FRAGMENT_OFFSET, Ipv4Header.DONT_FRAGMENT);
        buffer[offset + Ipv4Header.TTL_OFFSET] = DEFAULT_TTL;
        buffer[offset + Ipv4Header.PROTOCOL_OFFSET] = IpProtocol.TCP;
        return this;
    }

    /** Source address (big-endian int, see {@link Ipv4Address}) and port. */
    public Ipv4TcpWriter source(int address, int port) {
        putInt(start + Ipv4Header.SOURCE_OFFSET, address);
        putShort(tcpStart + TcpHeader.SOURCE_PORT_OFFSET, port);
        return this;
    }

    /** Destination address (big-endian int) and port. */
    public Ipv4TcpWriter destination(int address, int port) {
        putInt(start + Ipv4Header.DESTINATION_OFFSET, address);
        putShort(tcpStart + TcpHeader.DESTINATION_PORT_OFFSET, port);
        return this;
    }

    public Ipv4TcpWriter sequence(int seq) {
        putInt(tcpStart + TcpHeader.SEQUENCE_OFFSET, seq);
        return this;
    }

    public Ipv4TcpWriter acknowledgement(int ack) {
        putInt(tcpStart + TcpHeader.ACKNOWLEDGEMENT_OFFSET, ack);
        return this;
    }

    /** @param flags an OR of {@link TcpHeader#SYN}, {@link TcpHeader#ACK}, ... (low 8 bits) */
    public Ipv4TcpWriter flags(int flags) {
        buffer[tcpStart + TcpHeader.FLAGS_OFFSET] = (byte) flags;
        return this;
    }

    /** @param window the 16-bit window field, already scaled down by the sender's shift */
    public Ipv4TcpWriter window(int window) {
        putShort(tcpStart + TcpHeader.WINDOW_OFFSET, window);
        return this;
    }

    public Ipv4TcpWriter ipIdentification(int id) {
        putShort(start + Ipv4Header.IDENTIFICATION_OFFSET, id);
        return this;
    }

    public Ipv4TcpWriter ttl(int ttl) {
        buffer[start + Ipv4Header.TTL_OFFSET] = (byte) ttl;
        return this;
    }

    /** @param tos the whole TOS byte: DSCP and the two ECN bits */
    public Ipv4TcpWriter typeOfService(int tos) {
        buffer[start + Ipv4Header.TOS_OFFSET] = (byte) tos;
        return this;
    }

    /** Appends a NOP option (alignment, as Linux puts one before window scale). */
    public Ipv4TcpWriter nop() {
        reserveOption(1);
        sackOptionStart = NO_SACK_OPTION; // any other option ends a SACK option in progress
        buffer[optionsEnd++] = TcpOption.NOP;
        return this;
    }

    /** Appends the maximum segment size option (SYN only). */
    public Ipv4TcpWriter mss(int mss) {
        reserveOption(TcpOption.MSS_LENGTH);
        sackOptionStart = NO_SACK_OPTION; // any other option ends a SACK option in progress
        buffer[optionsEnd] = TcpOption.MSS;
        buffer[optionsEnd + 1] = TcpOption.MSS_LENGTH;
        putShort(optionsEnd + 2, mss);
        optionsEnd += TcpOption.MSS_LENGTH;
        return this;
    }

    /** Appends the SACK-permitted option (SYN only). */
    public Ipv4TcpWriter sackPermitted() {
        reserveOption(TcpOption.SACK_PERMITTED_LENGTH);
        sackOptionStart = NO_SACK_OPTION; // any other option ends a SACK option in progress
        buffer[optionsEnd] = TcpOption.SACK_PERMITTED;
        buffer[optionsEnd + 1] = TcpOption.SACK_PERMITTED_LENGTH;
        optionsEnd += TcpOption.SACK_PERMITTED_LENGTH;
        return this;
    }

    /** Appends the timestamps option (RFC 7323). */
    public Ipv4TcpWriter timestamps(int tsval, int tsecr) {
        reserveOption(TcpOption.TIMESTAMPS_LENGTH);
        sackOptionStart = NO_SACK_OPTION; // any other option ends a SACK option in progress
        buffer[optionsEnd] = TcpOption.TIMESTAMPS;
        buffer[optionsEnd + 1] = TcpOption.TIMESTAMPS_LENGTH;
        putInt(optionsEnd + 2, tsval);
        putInt(optionsEnd + 6, tsecr);
        optionsEnd += TcpOption.TIMESTAMPS_LENGTH;
        return this;
    }

    /** Appends the window scale option (SYN only); {@code shift} 0..14. */
    public Ipv4TcpWriter windowScale(int shift) {
        reserveOption(TcpOption.WINDOW_SCALE_LENGTH);
        sackOptionStart = NO_SACK_OPTION; // any other option ends a SACK option in progress
        buffer[optionsEnd] = TcpOption.WINDOW_SCALE;
        buffer[optionsEnd + 1] = TcpOption.WINDOW_SCALE_LENGTH;
        buffer[optionsEnd + 2] = (byte) shift;
        optionsEnd += TcpOption.WINDOW_SCALE_LENGTH;
        return this;
    }

    /**
     * Appends one SACK block {@code [left, right)}. Consecutive calls grow one SACK option, so no
     * array of blocks is needed; any other option in between starts a new one.
     */
    public Ipv4TcpWriter sackBlock(int left, int right) {
        if (sackOptionStart == NO_SACK_OPTION) {
            reserveOption(OPTION_SACK_HEADER_LENGTH + TcpOption.SACK_BLOCK_LENGTH);
            sackOptionStart = optionsEnd;
            buffer[optionsEnd] = TcpOption.SACK;
            buffer[optionsEnd + 1] = OPTION_SACK_HEADER_LENGTH;
            optionsEnd += OPTION_SACK_HEADER_LENGTH;
        } else {
            reserveOption(TcpOption.SACK_BLOCK_LENGTH);
        }
        putInt(optionsEnd, left);
        putInt(optionsEnd + 4, right);
        optionsEnd += TcpOption.SACK_BLOCK_LENGTH;
        buffer[sackOptionStart + 1] += TcpOption.SACK_BLOCK_LENGTH; // the option stays open for a next block
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
        putShort(start + Ipv4Header.TOTAL_LENGTH_OFFSET, totalLength);
        putShort(start + Ipv4Header.CHECKSUM_OFFSET, InternetChecksum.checksum(buffer, start, IPV4_HEADER_LENGTH, 0));
        int tcpLength = totalLength - IPV4_HEADER_LENGTH;
        int pseudo = InternetChecksum.tcpIpv4PseudoHeaderSum(buffer, start, tcpLength);
        putShort(tcpStart + TcpHeader.CHECKSUM_OFFSET, InternetChecksum.checksum(buffer, tcpStart, tcpLength, pseudo));
        return totalLength;
    }

    private void reserveOption(int length) {
        if (optionsClosed) {
            throw new IllegalStateException("TCP options must come before the payload");
        }
        if (optionsEnd + length - (tcpStart + TcpHeader.MIN_HEADER_LENGTH) > TcpHeader.MAX_OPTIONS_LENGTH) {
            throw new IllegalStateException("TCP options exceed " + TcpHeader.MAX_OPTIONS_LENGTH + " bytes");
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
        while ((optionsEnd - tcpStart) % TcpHeader.DATA_OFFSET_UNIT != 0) {
            if (optionsEnd >= buffer.length) {
                throw new IllegalArgumentException("no room for TCP option padding in the buffer");
            }
            buffer[optionsEnd++] = TcpOption.EOL;
        }
        buffer[tcpStart + TcpHeader.DATA_OFFSET_OFFSET] = (byte) ((optionsEnd - tcpStart) / TcpHeader.DATA_OFFSET_UNIT << 4);
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

    /** Writes an Ethernet II header for IPv4 at the start of {@code frame}: to {@code toMac}, from {@code fromMac}. */
    public static void ethernetHeader(byte[] frame, long toMac, long fromMac) {
        for (int i = 0; i < 6; i++) {
            frame[i] = (byte) (toMac >>> (40 - 8 * i));
            frame[6 + i] = (byte) (fromMac >>> (40 - 8 * i));
        }
        frame[12] = 0x08;
        frame[13] = 0x00;
    }
}
