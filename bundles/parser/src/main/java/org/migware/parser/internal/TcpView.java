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
 * <p>Its accessors are meaningful only after {@link #parse} returned {@link ParseResult#TCP}.
 */
final class TcpView {

    private final TcpOptionsView options;
    private final FrameBuffer frame;
    private int offset;
    private int headerLength;
    private int segmentEnd;

    TcpView(FrameBuffer frame, TcpOptionsView options) {
        this.frame = frame;
        this.options = options;
    }

    /**
     * Reads the header at {@code tcp} and validates its options.
     *
     * @param packetEnd where the IP packet ends by its own length field
     * @param frameEnd where the captured bytes end
     * @return a TCP error, or {@link ParseResult#TCP} when header and options are sound
     */
    ParseResult parse(int tcp, int packetEnd, int frameEnd) {
        int capturedEnd = Math.min(packetEnd, frameEnd);
        if (capturedEnd - tcp < TcpHeader.MIN_HEADER_LENGTH) {
            return ParseResult.TRUNCATED_TCP;
        }
        int length = (readUnsignedByte(frame.bytes, tcp + TcpHeader.DATA_OFFSET_OFFSET) >>> 4) * TcpHeader.DATA_OFFSET_UNIT;
        if (length < TcpHeader.MIN_HEADER_LENGTH || length > packetEnd - tcp) {
            return ParseResult.INVALID_TCP_DATA_OFFSET;
        }
        if (length > capturedEnd - tcp) {
            return ParseResult.TRUNCATED_TCP;
        }
        ParseResult optionsResult = options.parse(tcp + TcpHeader.MIN_HEADER_LENGTH, tcp + length);
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

    int sourcePort() {
        return readUnsignedShort(frame.bytes, offset + TcpHeader.SOURCE_PORT_OFFSET);
    }

    int destinationPort() {
        return readUnsignedShort(frame.bytes, offset + TcpHeader.DESTINATION_PORT_OFFSET);
    }

    int sequenceNumber() {
        return readInt(frame.bytes, offset + TcpHeader.SEQUENCE_OFFSET);
    }

    int acknowledgementNumber() {
        return readInt(frame.bytes, offset + TcpHeader.ACKNOWLEDGEMENT_OFFSET);
    }

    /** @return the nine flags, NS as {@link TcpHeader#NS} */
    int flags() {
        return (readUnsignedByte(frame.bytes, offset + TcpHeader.DATA_OFFSET_OFFSET) & 0x01) << 8
                | readUnsignedByte(frame.bytes, offset + TcpHeader.FLAGS_OFFSET);
    }

    int window() {
        return readUnsignedShort(frame.bytes, offset + TcpHeader.WINDOW_OFFSET);
    }

    void setSequenceNumber(int sequenceNumber) {
        writeInt(frame.bytes, offset + TcpHeader.SEQUENCE_OFFSET, sequenceNumber);
    }

    void setAcknowledgementNumber(int acknowledgementNumber) {
        writeInt(frame.bytes, offset + TcpHeader.ACKNOWLEDGEMENT_OFFSET, acknowledgementNumber);
    }

    void setWindow(int window) {
        writeShort(frame.bytes, offset + TcpHeader.WINDOW_OFFSET, window);
    }

    void setSourcePort(int port) {
        writeShort(frame.bytes, offset + TcpHeader.SOURCE_PORT_OFFSET, port);
    }

    void setDestinationPort(int port) {
        writeShort(frame.bytes, offset + TcpHeader.DESTINATION_PORT_OFFSET, port);
    }

    /** Recomputes the checksum over the header and payload, continuing the pseudo-header's sum. */
    void updateChecksum(int pseudoHeaderSum) {
        writeShort(frame.bytes, offset + TcpHeader.CHECKSUM_OFFSET, 0);
        // TCP, unlike UDP, sends a computed 0 as 0
        writeShort(frame.bytes, offset + TcpHeader.CHECKSUM_OFFSET,
                InternetChecksum.checksum(frame.bytes, offset, segmentEnd - offset, pseudoHeaderSum));
    }

    boolean isChecksumValid(int pseudoHeaderSum) {
        return InternetChecksum.sum(frame.bytes, offset, segmentEnd - offset, pseudoHeaderSum) == InternetChecksum.VALID_SUM;
    }
}
