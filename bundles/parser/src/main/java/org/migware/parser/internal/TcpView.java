package org.migware.parser.internal;

import static org.migware.parser.internal.FrameBytes.readInt;
import static org.migware.parser.internal.FrameBytes.readUnsignedByte;
import static org.migware.parser.internal.FrameBytes.readUnsignedShort;
import static org.migware.parser.internal.FrameBytes.writeInt;
import static org.migware.parser.internal.FrameBytes.writeShort;

import org.migware.api.packet.ParseResult;
import org.migware.api.wire.InternetChecksum;
import org.migware.api.wire.TcpHeader;

/**
 * The flyweight view of a TCP header (RFC 9293); its options are read by {@link TcpOptionsView}:
 *
 * <pre>
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
 * </pre>
 *
 * <p>Its accessors are meaningful only after {@link #parse} returned {@link ParseResult#TCP}. The
 * fields every packet is asked for are static reads and writes at the header's offset, which the
 * composing packet keeps: on the per-packet path a field costs one read of the array, as it did
 * before the parser was split into views (JMH, README).
 */
final class TcpView {

    private final TcpOptionsView options;
    private int offset;
    private int headerLength;
    private int segmentEnd;

    TcpView(TcpOptionsView options) {
        this.options = options;
    }

    /**
     * Reads the header at {@code tcp} and validates its options.
     *
     * @param packetEnd where the IP packet ends by its own length field
     * @param frameEnd where the captured bytes end
     * @return a TCP error, or {@link ParseResult#TCP} when header and options are sound
     */
    ParseResult parse(byte[] bytes, int tcp, int packetEnd, int frameEnd) {
        int capturedEnd = Math.min(packetEnd, frameEnd);
        if (capturedEnd - tcp < TcpHeader.MIN_HEADER_LENGTH) {
            return ParseResult.TRUNCATED_TCP;
        }
        int length = (readUnsignedByte(bytes, tcp + TcpHeader.DATA_OFFSET_OFFSET) >>> 4) * TcpHeader.DATA_OFFSET_UNIT;
        if (length < TcpHeader.MIN_HEADER_LENGTH || length > packetEnd - tcp) {
            return ParseResult.INVALID_TCP_DATA_OFFSET;
        }
        if (length > capturedEnd - tcp) {
            return ParseResult.TRUNCATED_TCP;
        }
        ParseResult optionsResult = options.parse(bytes, tcp + TcpHeader.MIN_HEADER_LENGTH, tcp + length);
        if (optionsResult != ParseResult.TCP) {
            return optionsResult;
        }
        offset = tcp;
        headerLength = length;
        segmentEnd = packetEnd;
        return ParseResult.TCP;
    }

    int offset() {
        return offset;
    }

    int headerLength() {
        return headerLength;
    }

    /** @return where the segment ends by the IP length field; may lie beyond the capture */
    int segmentEnd() {
        return segmentEnd;
    }

    static int sourcePort(byte[] bytes, int offset) {
        return readUnsignedShort(bytes, offset + TcpHeader.SOURCE_PORT_OFFSET);
    }

    static int destinationPort(byte[] bytes, int offset) {
        return readUnsignedShort(bytes, offset + TcpHeader.DESTINATION_PORT_OFFSET);
    }

    static int sequenceNumber(byte[] bytes, int offset) {
        return readInt(bytes, offset + TcpHeader.SEQUENCE_OFFSET);
    }

    static int acknowledgementNumber(byte[] bytes, int offset) {
        return readInt(bytes, offset + TcpHeader.ACKNOWLEDGEMENT_OFFSET);
    }

    /** @return the nine flags, NS as {@link TcpHeader#NS} */
    static int flags(byte[] bytes, int offset) {
        return (readUnsignedByte(bytes, offset + TcpHeader.DATA_OFFSET_OFFSET) & 0x01) << 8
                | readUnsignedByte(bytes, offset + TcpHeader.FLAGS_OFFSET);
    }

    static int window(byte[] bytes, int offset) {
        return readUnsignedShort(bytes, offset + TcpHeader.WINDOW_OFFSET);
    }

    static void setSequenceNumber(byte[] bytes, int offset, int sequenceNumber) {
        writeInt(bytes, offset + TcpHeader.SEQUENCE_OFFSET, sequenceNumber);
    }

    static void setAcknowledgementNumber(byte[] bytes, int offset, int acknowledgementNumber) {
        writeInt(bytes, offset + TcpHeader.ACKNOWLEDGEMENT_OFFSET, acknowledgementNumber);
    }

    static void setWindow(byte[] bytes, int offset, int window) {
        writeShort(bytes, offset + TcpHeader.WINDOW_OFFSET, window);
    }

    static void setSourcePort(byte[] bytes, int offset, int port) {
        writeShort(bytes, offset + TcpHeader.SOURCE_PORT_OFFSET, port);
    }

    static void setDestinationPort(byte[] bytes, int offset, int port) {
        writeShort(bytes, offset + TcpHeader.DESTINATION_PORT_OFFSET, port);
    }

    /** Recomputes the checksum over the header and payload, continuing the pseudo-header's sum. */
    void updateChecksum(byte[] bytes, int pseudoHeaderSum) {
        writeShort(bytes, offset + TcpHeader.CHECKSUM_OFFSET, 0);
        // TCP, unlike UDP, sends a computed 0 as 0
        writeShort(bytes, offset + TcpHeader.CHECKSUM_OFFSET,
                InternetChecksum.checksum(bytes, offset, segmentEnd - offset, pseudoHeaderSum));
    }

    boolean isChecksumValid(byte[] bytes, int pseudoHeaderSum) {
        return InternetChecksum.sum(bytes, offset, segmentEnd - offset, pseudoHeaderSum) == InternetChecksum.VALID_SUM;
    }
}
