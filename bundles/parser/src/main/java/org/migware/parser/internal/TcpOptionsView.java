package org.migware.parser.internal;

import static org.migware.parser.internal.FrameBytes.readInt;
import static org.migware.parser.internal.FrameBytes.readUnsignedByte;
import static org.migware.parser.internal.FrameBytes.readUnsignedShort;
import static org.migware.parser.internal.FrameBytes.writeInt;

import org.migware.api.packet.ParseResult;
import org.migware.api.wire.TcpOption;

/**
 * The flyweight view of a TCP header's options. EOL (0) and NOP (1) are one byte; every other
 * option is kind, length (counting kind and length), value:
 *
 * <pre>
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
 * <p>{@link #parse} validates every option and decodes at once only the values the tracker
 * needs; the timestamps and SACK blocks are read from the frame when asked for. The composing
 * packet answers for its accessors only when the whole TCP header was sound.
 */
final class TcpOptionsView {

    private static final int HAS_AUTHENTICATION = 1;
    private static final int HAS_MULTIPATH = 1 << 1;
    private static final int HAS_FAST_OPEN = 1 << 2;
    private static final int HAS_UNKNOWN = 1 << 3;

    private int start;
    private int end;
    private int mss;
    private int windowScale;
    private boolean sackPermitted;
    private int timestampOptionOffset;
    private int sackOptionOffset;
    private int sackBlockCount;
    private int optionFlags;


    void reset() {
        mss = -1;
        windowScale = -1;
        sackPermitted = false;
        timestampOptionOffset = -1;
        sackOptionOffset = -1;
        sackBlockCount = 0;
        optionFlags = 0;
    }

    /**
     * Validates the options in [{@code from}, {@code to}).
     *
     * @return {@link ParseResult#INVALID_TCP_OPTION}, or {@link ParseResult#TCP} when all are sound
     */
    ParseResult parse(byte[] bytes, int from, int to) {
        start = from;
        end = to;
        // one loop with the switch inside, as the JIT compiles it best: this is the per-packet path
        int position = from;
        while (position < to) {
            int kind = readUnsignedByte(bytes, position);
            if (kind == TcpOption.EOL) {
                // the rest is padding and need not be zero (RFC 9293 §3.1)
                break;
            }
            if (kind == TcpOption.NOP) {
                position++;
                continue;
            }
            if (to - position < TcpOption.MIN_LENGTH) {
                return ParseResult.INVALID_TCP_OPTION;
            }
            int length = readUnsignedByte(bytes, position + TcpOption.LENGTH_OFFSET);
            if (length < TcpOption.MIN_LENGTH || length > to - position) {
                return ParseResult.INVALID_TCP_OPTION;
            }
            switch (kind) {
                case TcpOption.MSS:
                    if (length != TcpOption.MSS_LENGTH) {
                        return ParseResult.INVALID_TCP_OPTION;
                    }
                    mss = readUnsignedShort(bytes, position + TcpOption.VALUE_OFFSET);
                    break;
                case TcpOption.WINDOW_SCALE:
                    if (length != TcpOption.WINDOW_SCALE_LENGTH) {
                        return ParseResult.INVALID_TCP_OPTION;
                    }
                    windowScale = Math.min(readUnsignedByte(bytes, position + TcpOption.VALUE_OFFSET), TcpOption.MAX_WINDOW_SCALE);
                    break;
                case TcpOption.SACK_PERMITTED:
                    if (length != TcpOption.SACK_PERMITTED_LENGTH) {
                        return ParseResult.INVALID_TCP_OPTION;
                    }
                    sackPermitted = true;
                    break;
                case TcpOption.SACK: {
                    int blockBytes = length - TcpOption.VALUE_OFFSET;
                    int blocks = blockBytes / TcpOption.SACK_BLOCK_LENGTH;
                    if (blockBytes % TcpOption.SACK_BLOCK_LENGTH != 0 || blocks < 1 || blocks > TcpOption.MAX_SACK_BLOCKS) {
                        return ParseResult.INVALID_TCP_OPTION;
                    }
                    sackOptionOffset = position;
                    sackBlockCount = blocks;
                    break;
                }
                case TcpOption.TIMESTAMPS:
                    if (length != TcpOption.TIMESTAMPS_LENGTH) {
                        return ParseResult.INVALID_TCP_OPTION;
                    }
                    timestampOptionOffset = position;
                    break;
                case TcpOption.MD5:
                    if (length != TcpOption.MD5_LENGTH) {
                        return ParseResult.INVALID_TCP_OPTION;
                    }
                    optionFlags |= HAS_AUTHENTICATION | HAS_UNKNOWN;
                    break;
                case TcpOption.AUTHENTICATION:
                    if (length < TcpOption.AUTHENTICATION_MIN_LENGTH) {
                        return ParseResult.INVALID_TCP_OPTION;
                    }
                    optionFlags |= HAS_AUTHENTICATION | HAS_UNKNOWN;
                    break;
                // the API counts every option beyond the basic seven as unknown: the proxy
                // must not replay any of them, whatever their name
                case TcpOption.MULTIPATH:
                    optionFlags |= HAS_MULTIPATH | HAS_UNKNOWN;
                    break;
                case TcpOption.FAST_OPEN:
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

    /**
     * @return the offset of the first option at or after {@code position} that has a length,
     *     past any NOPs; {@code end} at EOL, behind which the rest is padding and need not be
     *     zero (RFC 9293 §3.1)
     */
    private int nextOption(byte[] bytes, int position) {
        int at = position;
        while (at < end) {
            int kind = readUnsignedByte(bytes, at);
            if (kind == TcpOption.EOL) {
                return end;
            }
            if (kind != TcpOption.NOP) {
                return at;
            }
            at++;
        }
        return at;
    }

    int mss() {
        return mss;
    }

    int windowScale() {
        return windowScale;
    }

    boolean sackPermitted() {
        return sackPermitted;
    }

    boolean hasTimestamps() {
        return timestampOptionOffset >= 0;
    }

    int timestampOptionOffset() {
        return timestampOptionOffset;
    }

    int timestampValue(byte[] bytes) {
        return readInt(bytes, timestampOptionOffset + TcpOption.TIMESTAMP_VALUE_OFFSET);
    }

    int timestampEchoReply(byte[] bytes) {
        return readInt(bytes, timestampOptionOffset + TcpOption.TIMESTAMP_ECHO_REPLY_OFFSET);
    }

    int sackOptionOffset() {
        return sackOptionOffset;
    }

    int sackBlockCount() {
        return sackBlockCount;
    }

    boolean hasSackBlock(int index) {
        return index >= 0 && index < sackBlockCount;
    }

    int sackBlockLeft(byte[] bytes, int index) {
        return readInt(bytes, sackBlockOffset(index));
    }

    int sackBlockRight(byte[] bytes, int index) {
        return readInt(bytes, sackBlockOffset(index) + TcpOption.SACK_RIGHT_EDGE_OFFSET);
    }

    private int sackBlockOffset(int index) {
        return sackOptionOffset + TcpOption.VALUE_OFFSET + index * TcpOption.SACK_BLOCK_LENGTH;
    }

    boolean hasAuthenticationOption() {
        return (optionFlags & HAS_AUTHENTICATION) != 0;
    }

    boolean hasMultipathOption() {
        return (optionFlags & HAS_MULTIPATH) != 0;
    }

    boolean hasFastOpenOption() {
        return (optionFlags & HAS_FAST_OPEN) != 0;
    }

    boolean hasUnknownOptions() {
        return (optionFlags & HAS_UNKNOWN) != 0;
    }

    void setTimestamps(byte[] bytes, int timestampValue, int timestampEchoReply) {
        writeInt(bytes, timestampOptionOffset + TcpOption.TIMESTAMP_VALUE_OFFSET, timestampValue);
        writeInt(bytes, timestampOptionOffset + TcpOption.TIMESTAMP_ECHO_REPLY_OFFSET, timestampEchoReply);
    }

    void setSackBlock(byte[] bytes, int index, int leftEdge, int rightEdge) {
        int block = sackBlockOffset(index);
        writeInt(bytes, block, leftEdge);
        writeInt(bytes, block + TcpOption.SACK_RIGHT_EDGE_OFFSET, rightEdge);
    }

    /**
     * Overwrites every option other than the basic ones with NOPs, keeping every other option's
     * offset.
     *
     * @return how many options were overwritten
     */
    int replaceUnknownOptionsWithNops(byte[] bytes) {
        if (!hasUnknownOptions()) {
            return 0;
        }
        int replaced = 0;
        // parse validated this walk: every length is at least 2 and stays inside the header
        for (int position = nextOption(bytes, start); position < end; ) {
            int kind = readUnsignedByte(bytes, position);
            int length = readUnsignedByte(bytes, position + TcpOption.LENGTH_OFFSET);
            if (!isBasicOption(kind)) {
                for (int i = 0; i < length; i++) {
                    bytes[position + i] = (byte) TcpOption.NOP;
                }
                replaced++;
            }
            position = nextOption(bytes, position + length);
        }
        optionFlags = 0;
        return replaced;
    }

    private static boolean isBasicOption(int kind) {
        return kind == TcpOption.MSS || kind == TcpOption.WINDOW_SCALE || kind == TcpOption.SACK_PERMITTED
                || kind == TcpOption.SACK || kind == TcpOption.TIMESTAMPS;
    }
}
