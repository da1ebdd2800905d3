package org.migware.capture.file.internal;

import java.io.Closeable;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the frames of a classic pcap or a pcapng file one record at a time, with plain
 * {@code java.nio} (no libpcap, no native code, so it works anywhere a JVM does).
 *
 * <p>Classic pcap: both byte orders, microsecond ({@code 0xA1B2C3D4}) and nanosecond
 * ({@code 0xA1B23C4D}) magic, link type Ethernet only. Record layout:
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   Timestamp (seconds)                         |
 * |        Timestamp (microseconds or nanoseconds, by magic)      |
 * |                    Captured packet length                     |
 * |                    Original packet length                     |
 * /                  Packet data (captured length)                /
 * </pre>
 *
 * <p>pcapng: Section Header, Interface Description (with {@code if_tsresol} and
 * {@code if_tsoffset}), Enhanced Packet and Simple Packet blocks; every other block is skipped.
 * A new Section Header may change the byte order and forgets the interfaces. Every block is
 * framed by its total length at both ends, which is checked:
 *
 * <pre>
 * +---------------------------------------------------------------+
 * |                          Block Type                           |
 * |                      Block Total Length                       |
 * /                          Block Body                           /
 * |                      Block Total Length                       |
 * +---------------------------------------------------------------+
 * </pre>
 *
 * <p>Never throws on bad records: {@link #next()} says what it found, and a frame is read without
 * copying from {@link #frameArray()} until the next call. Not thread-safe: one reader per thread.
 */
public final class PcapFileReader implements Closeable {

    /** The two container formats. */
    public enum Format {
        /** The classic libpcap format. */
        PCAP,
        /** pcap next generation (tshark's and dumpcap's default). */
        PCAPNG
    }

    /** What {@link #next()} found. */
    public enum Outcome {
        /** A frame: {@link #frameArray()}, {@link #frameOffset()}, {@link #capturedLength()}... */
        FRAME,
        /** A record MigWare cannot use; {@link #dropReason()} says why; reading goes on. */
        DROPPED,
        /** The end of the file, right after a whole record. */
        END,
        /** The file ends inside a record (a capture cut short); nothing more can be read. */
        TRUNCATED,
        /** A record whose framing cannot be right; {@link #problem()} says why; nothing after it is read. */
        CORRUPT
    }

    static final int PCAP_MAGIC_MICROS = 0xA1B2C3D4;
    static final int PCAP_MAGIC_NANOS = 0xA1B23C4D;
    static final int PCAP_GLOBAL_HEADER_LENGTH = 24;
    static final int PCAP_RECORD_HEADER_LENGTH = 16;

    static final int PCAPNG_SECTION_HEADER = 0x0A0D0D0A;
    static final int PCAPNG_INTERFACE_DESCRIPTION = 0x00000001;
    static final int PCAPNG_SIMPLE_PACKET = 0x00000003;
    static final int PCAPNG_ENHANCED_PACKET = 0x00000006;
    static final int PCAPNG_BYTE_ORDER_MAGIC = 0x1A2B3C4D;
    static final int PCAPNG_OPTION_END = 0;
    static final int PCAPNG_OPTION_IF_TSRESOL = 9;
    static final int PCAPNG_OPTION_IF_TSOFFSET = 14;
    /** Smallest block: type, length, length. */
    static final int PCAPNG_MIN_BLOCK_LENGTH = 12;
    /** Section Header Block without options: type, length, BOM, major, minor, section length, length. */
    static final int PCAPNG_MIN_SECTION_HEADER_LENGTH = 28;

    /**
     * Larger than any frame a capture tool writes (libpcap's maximum snapshot length is 256 KiB,
     * Linux BIG TCP frames stay below 512 KiB): a record that claims more is garbage, and
     * believing it would make the reader allocate gigabytes.
     */
    static final int MAX_RECORD_LENGTH = 16 * 1024 * 1024;

    private static final int INITIAL_BUFFER_BYTES = 1 << 20;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final Path path;
    private final FileChannel channel;
    private final Format format;
    /** Read mode: the unread bytes are position..limit; starts empty. */
    private ByteBuffer buffer = ByteBuffer.allocate(INITIAL_BUFFER_BYTES).limit(0);
    private ByteOrder order;
    /** File offset of {@code buffer.position()}, for messages that say where a problem is. */
    private long positionInFile;
    private boolean finished;

    // classic pcap
    private boolean nanosecondTimestamps;
    private long snapshotLength;

    // pcapng: the interfaces described so far in the current section
    private final List<Interface> interfaces = new ArrayList<>();

    // the record that next() found
    private int frameOffset;
    private int capturedLength;
    private long originalLength;
    private long timestampNanos;
    private String dropReason;
    private String problem;

    private PcapFileReader(Path path, FileChannel channel) throws IOException, PcapFormatException {
        this.path = path;
        this.channel = channel;
        if (!fill(8)) {
            throw new PcapFormatException(path + " is not a pcap or pcapng file: it is only "
                    + buffer.remaining() + " bytes long");
        }
        int magic = buffer.order(ByteOrder.BIG_ENDIAN).getInt(buffer.position());
        if (magic == PCAPNG_SECTION_HEADER) {
            format = Format.PCAPNG;
            openPcapng();
        } else {
            format = Format.PCAP;
            openPcap(magic);
        }
    }

    /**
     * Opens a file and reads its header (for pcapng, up to the first interface description).
     *
     * @param path the file
     * @return a reader positioned at the first record
     * @throws IOException when the file cannot be read
     * @throws PcapFormatException when it is not a pcap/pcapng file of Ethernet frames
     */
    public static PcapFileReader open(Path path) throws IOException, PcapFormatException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return new PcapFileReader(path, channel);
        } catch (IOException | PcapFormatException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** @return whether the file is classic pcap or pcapng */
    public Format format() {
        return format;
    }

    /** @return the byte order of the file (for pcapng, of the current section) */
    public ByteOrder byteOrder() {
        return order;
    }

    /**
     * Reads the next record.
     *
     * @return what was found; after {@link Outcome#END}, {@link Outcome#TRUNCATED} or
     *     {@link Outcome#CORRUPT} every further call returns {@link Outcome#END}
     * @throws IOException when reading the file fails
     */
    public Outcome next() throws IOException {
        if (finished) {
            return Outcome.END;
        }
        dropReason = null;
        Outcome outcome = format == Format.PCAP ? nextPcapRecord() : nextPcapngPacket();
        if (outcome == Outcome.END || outcome == Outcome.TRUNCATED || outcome == Outcome.CORRUPT) {
            finished = true;
        }
        return outcome;
    }

    /** @return the array that holds the frame found by the last {@link #next()}; valid until the next call */
    public byte[] frameArray() {
        return buffer.array();
    }

    /** @return where the frame starts in {@link #frameArray()} */
    public int frameOffset() {
        return frameOffset;
    }

    /** @return how many bytes of the frame the file holds */
    public int capturedLength() {
        return capturedLength;
    }

    /** @return how long the frame was on the wire */
    public long originalLength() {
        return originalLength;
    }

    /** @return capture time in nanoseconds since the Unix epoch (for a pcapng Simple Packet, the previous packet's) */
    public long timestampNanos() {
        return timestampNanos;
    }

    /** @return after {@link Outcome#DROPPED}, one of {@link DropReasons} */
    public String dropReason() {
        return dropReason;
    }

    /** @return after {@link Outcome#CORRUPT} or {@link Outcome#TRUNCATED}, what is wrong and where */
    public String problem() {
        return problem;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    // ---------------------------------------------------------------- classic pcap

    private void openPcap(int bigEndianMagic) throws IOException, PcapFormatException {
        if (bigEndianMagic == PCAP_MAGIC_MICROS || bigEndianMagic == PCAP_MAGIC_NANOS) {
            order = ByteOrder.BIG_ENDIAN;
        } else if (Integer.reverseBytes(bigEndianMagic) == PCAP_MAGIC_MICROS
                || Integer.reverseBytes(bigEndianMagic) == PCAP_MAGIC_NANOS) {
            order = ByteOrder.LITTLE_ENDIAN;
        } else {
            throw new PcapFormatException(path + " is not a pcap or pcapng file (it starts with 0x"
                    + String.format("%08x", bigEndianMagic) + ")");
        }
        int magic = order == ByteOrder.BIG_ENDIAN ? bigEndianMagic : Integer.reverseBytes(bigEndianMagic);
        nanosecondTimestamps = magic == PCAP_MAGIC_NANOS;
        buffer.order(order);
        if (!fill(PCAP_GLOBAL_HEADER_LENGTH)) {
            throw new PcapFormatException(path + " ends inside the pcap file header ("
                    + buffer.remaining() + " of " + PCAP_GLOBAL_HEADER_LENGTH + " bytes)");
        }
        int start = buffer.position();
        int major = Short.toUnsignedInt(buffer.getShort(start + 4));
        if (major != 2) {
            throw new PcapFormatException(path + " is pcap version " + major + "; only version 2 exists in practice");
        }
        snapshotLength = Integer.toUnsignedLong(buffer.getInt(start + 16));
        // The top bits of the link type field carry FCS information (libpcap's LT_LINKTYPE mask).
        int linkType = buffer.getInt(start + 20) & 0x03FF_FFFF;
        if (linkType != LinkTypes.ETHERNET) {
            throw new PcapFormatException(path + " has link type " + LinkTypes.describe(linkType)
                    + "; MigWare reads Ethernet captures only");
        }
        advance(PCAP_GLOBAL_HEADER_LENGTH);
    }

    private Outcome nextPcapRecord() throws IOException {
        long recordStart = positionInFile;
        if (!fill(PCAP_RECORD_HEADER_LENGTH)) {
            if (buffer.hasRemaining()) {
                problem = "record header at byte " + recordStart + " is cut short after "
                        + buffer.remaining() + " bytes";
                return Outcome.TRUNCATED;
            }
            return Outcome.END;
        }
        int start = buffer.position();
        long seconds = Integer.toUnsignedLong(buffer.getInt(start));
        long fraction = Integer.toUnsignedLong(buffer.getInt(start + 4));
        long captured = Integer.toUnsignedLong(buffer.getInt(start + 8));
        long original = Integer.toUnsignedLong(buffer.getInt(start + 12));
        if (captured > MAX_RECORD_LENGTH) {
            problem = "record at byte " + recordStart + " claims " + captured + " captured bytes";
            return Outcome.CORRUPT;
        }
        int recordLength = PCAP_RECORD_HEADER_LENGTH + (int) captured;
        if (!fill(recordLength)) {
            problem = "record at byte " + recordStart + " holds " + buffer.remaining() + " of its "
                    + recordLength + " bytes";
            return Outcome.TRUNCATED;
        }
        start = buffer.position();
        frameOffset = buffer.arrayOffset() + start + PCAP_RECORD_HEADER_LENGTH;
        capturedLength = (int) captured;
        originalLength = original;
        timestampNanos = seconds * NANOS_PER_SECOND + (nanosecondTimestamps ? fraction : fraction * 1000L);
        advance(recordLength);
        if (captured < original) {
            dropReason = DropReasons.LONGER_THAN_SNAPLEN;
            return Outcome.DROPPED;
        }
        return Outcome.FRAME;
    }

    // ---------------------------------------------------------------- pcapng

    /** One Interface Description Block: what its packets are and how their timestamps count. */
    private record Interface(int linkType, long snapshotLength, long unitsPerSecondExponent,
                             boolean binaryResolution, long offsetSeconds) {

        long toNanos(long units) {
            long nanos;
            if (!binaryResolution) {
                // 10^-n seconds per unit; n = 6 (microseconds) unless if_tsresol says otherwise
                int n = (int) unitsPerSecondExponent;
                if (n == 9) {
                    nanos = units;
                } else if (n < 9) {
                    nanos = units * POWERS_OF_TEN[9 - n];
                } else {
                    long unitsPerSecond = n <= 18 ? POWERS_OF_TEN[n] : Long.MAX_VALUE;
                    nanos = (units / unitsPerSecond) * NANOS_PER_SECOND
                            + scale(units % unitsPerSecond, unitsPerSecond);
                }
            } else {
                // 2^-n seconds per unit
                int n = (int) unitsPerSecondExponent;
                long whole = n >= 64 ? 0 : units >>> n;
                long fraction = n >= 64 ? units : units & ((1L << n) - 1);
                long fractionNanos = BigInteger.valueOf(fraction).multiply(BigInteger.valueOf(NANOS_PER_SECOND))
                        .shiftRight(n).longValue();
                nanos = whole * NANOS_PER_SECOND + fractionNanos;
            }
            return nanos + offsetSeconds * NANOS_PER_SECOND;
        }

        private static long scale(long fraction, long unitsPerSecond) {
            return BigInteger.valueOf(fraction).multiply(BigInteger.valueOf(NANOS_PER_SECOND))
                    .divide(BigInteger.valueOf(unitsPerSecond)).longValue();
        }
    }

    private static final long[] POWERS_OF_TEN = new long[19];

    static {
        POWERS_OF_TEN[0] = 1;
        for (int i = 1; i < POWERS_OF_TEN.length; i++) {
            POWERS_OF_TEN[i] = POWERS_OF_TEN[i - 1] * 10;
        }
    }

    private void openPcapng() throws IOException, PcapFormatException {
        // Read blocks up to the first interface description, so that a capture of another link
        // type is refused when the file is opened (a clear configuration error), not while it plays.
        while (interfaces.isEmpty()) {
            Outcome outcome = nextPcapngBlock(true);
            if (outcome == Outcome.CORRUPT) {
                throw new PcapFormatException(path + ": " + problem);
            }
            if (outcome == Outcome.END || outcome == Outcome.TRUNCATED) {
                finished = outcome == Outcome.TRUNCATED;
                return; // a capture without any interface holds no packets: an empty replay
            }
        }
    }

    private Outcome nextPcapngPacket() throws IOException {
        while (true) {
            Outcome outcome = nextPcapngBlock(false);
            if (outcome != null) {
                return outcome;
            }
        }
    }

    /**
     * Reads one block.
     *
     * @param opening whether the reader is still reading the header; then a foreign link type throws
     * @return an outcome for the caller, or {@code null} when the block held no packet
     */
    private Outcome nextPcapngBlock(boolean opening) throws IOException {
        long blockStart = positionInFile;
        if (!fill(8)) {
            if (buffer.hasRemaining()) {
                problem = "block at byte " + blockStart + " is cut short after " + buffer.remaining() + " bytes";
                return Outcome.TRUNCATED;
            }
            return Outcome.END;
        }
        int start = buffer.position();
        int type = buffer.getInt(start); // the Section Header type reads the same in both orders
        if (type == PCAPNG_SECTION_HEADER || order == null) {
            if (type != PCAPNG_SECTION_HEADER) {
                problem = "the file does not start with a Section Header Block";
                return Outcome.CORRUPT;
            }
            if (!fill(12)) {
                problem = "section header at byte " + blockStart + " is cut short";
                return Outcome.TRUNCATED;
            }
            start = buffer.position();
            int byteOrderMagic = buffer.order(ByteOrder.BIG_ENDIAN).getInt(start + 8);
            if (byteOrderMagic == PCAPNG_BYTE_ORDER_MAGIC) {
                order = ByteOrder.BIG_ENDIAN;
            } else if (Integer.reverseBytes(byteOrderMagic) == PCAPNG_BYTE_ORDER_MAGIC) {
                order = ByteOrder.LITTLE_ENDIAN;
            } else {
                problem = "section header at byte " + blockStart + " has no valid byte-order magic (0x"
                        + String.format("%08x", byteOrderMagic) + ")";
                return Outcome.CORRUPT;
            }
            buffer.order(order);
        }
        long blockLength = Integer.toUnsignedLong(buffer.getInt(start + 4));
        if (blockLength < PCAPNG_MIN_BLOCK_LENGTH || blockLength % 4 != 0 || blockLength > MAX_RECORD_LENGTH) {
            problem = "block at byte " + blockStart + " has an impossible length " + blockLength;
            return Outcome.CORRUPT;
        }
        int length = (int) blockLength;
        if (!fill(length)) {
            problem = "block at byte " + blockStart + " holds " + buffer.remaining() + " of its " + length + " bytes";
            return Outcome.TRUNCATED;
        }
        start = buffer.position();
        if (Integer.toUnsignedLong(buffer.getInt(start + length - 4)) != blockLength) {
            problem = "block at byte " + blockStart + " does not end with its own length " + blockLength;
            return Outcome.CORRUPT;
        }
        try {
            return switch (type) {
                case PCAPNG_SECTION_HEADER -> sectionHeader(start, length, blockStart);
                case PCAPNG_INTERFACE_DESCRIPTION -> interfaceDescription(start, length, blockStart, opening);
                case PCAPNG_ENHANCED_PACKET -> enhancedPacket(start, length);
                case PCAPNG_SIMPLE_PACKET -> simplePacket(start, length);
                default -> null; // name resolution, statistics, comments...: nothing MigWare needs
            };
        } finally {
            advance(length);
        }
    }

    private Outcome sectionHeader(int start, int length, long blockStart) {
        if (length < PCAPNG_MIN_SECTION_HEADER_LENGTH) {
            problem = "section header at byte " + blockStart + " is " + length + " bytes long";
            return Outcome.CORRUPT;
        }
        int major = Short.toUnsignedInt(buffer.getShort(start + 12));
        if (major != 1) {
            problem = "section at byte " + blockStart + " is pcapng version " + major + "; only 1 is known";
            return Outcome.CORRUPT;
        }
        interfaces.clear(); // interface ids are numbered per section
        return null;
    }

    private Outcome interfaceDescription(int start, int length, long blockStart, boolean opening) throws IOException {
        if (length < 20) {
            problem = "interface description at byte " + blockStart + " is " + length + " bytes long";
            return Outcome.CORRUPT;
        }
        int linkType = Short.toUnsignedInt(buffer.getShort(start + 8));
        long snaplen = Integer.toUnsignedLong(buffer.getInt(start + 12));
        long exponent = 6;
        boolean binary = false;
        long offsetSeconds = 0;
        int option = start + 16;
        int end = start + length - 4;
        while (option + 4 <= end) {
            int code = Short.toUnsignedInt(buffer.getShort(option));
            int optionLength = Short.toUnsignedInt(buffer.getShort(option + 2));
            if (code == PCAPNG_OPTION_END || option + 4 + optionLength > end) {
                break; // a malformed option list costs the options, not the packets
            }
            if (code == PCAPNG_OPTION_IF_TSRESOL && optionLength >= 1) {
                int resolution = Byte.toUnsignedInt(buffer.get(option + 4));
                binary = (resolution & 0x80) != 0;
                exponent = resolution & 0x7F;
            } else if (code == PCAPNG_OPTION_IF_TSOFFSET && optionLength >= 8) {
                offsetSeconds = buffer.getLong(option + 4);
            }
            option += 4 + ((optionLength + 3) & ~3);
        }
        if (opening && linkType != LinkTypes.ETHERNET) {
            // openPcapng turns this into a PcapFormatException: a configuration error, not a drop
            problem = "its first interface has link type " + LinkTypes.describe(linkType)
                    + "; MigWare reads Ethernet captures only";
            return Outcome.CORRUPT;
        }
        interfaces.add(new Interface(linkType, snaplen, exponent, binary, offsetSeconds));
        return null;
    }

    private Outcome enhancedPacket(int start, int length) {
        // type, length, interface id, timestamp high, timestamp low, captured, original, data..., length
        if (length < 32) {
            dropReason = DropReasons.CORRUPT_RECORD;
            return Outcome.DROPPED;
        }
        long interfaceId = Integer.toUnsignedLong(buffer.getInt(start + 8));
        long units = (Integer.toUnsignedLong(buffer.getInt(start + 12)) << 32)
                | Integer.toUnsignedLong(buffer.getInt(start + 16));
        long captured = Integer.toUnsignedLong(buffer.getInt(start + 20));
        long original = Integer.toUnsignedLong(buffer.getInt(start + 24));
        if (interfaceId >= interfaces.size() || 28 + captured + 4 > length) {
            dropReason = DropReasons.CORRUPT_RECORD;
            return Outcome.DROPPED;
        }
        Interface from = interfaces.get((int) interfaceId);
        timestampNanos = from.toNanos(units);
        return packet(from, start + 28, (int) captured, original);
    }

    private Outcome simplePacket(int start, int length) {
        // type, length, original length, data..., length; the interface is always the first one
        if (interfaces.isEmpty() || length < 16) {
            dropReason = DropReasons.CORRUPT_RECORD;
            return Outcome.DROPPED;
        }
        Interface from = interfaces.get(0);
        long original = Integer.toUnsignedLong(buffer.getInt(start + 8));
        long captured = Math.min(original, length - 16L);
        if (from.snapshotLength() != 0) {
            captured = Math.min(captured, from.snapshotLength());
        }
        // No timestamp in this block: keep the previous packet's, so that pacing does not jump.
        return packet(from, start + 12, (int) captured, original);
    }

    private Outcome packet(Interface from, int dataStart, int captured, long original) {
        frameOffset = buffer.arrayOffset() + dataStart;
        capturedLength = captured;
        originalLength = original;
        if (from.linkType() != LinkTypes.ETHERNET) {
            dropReason = DropReasons.UNSUPPORTED_LINK_TYPE;
            return Outcome.DROPPED;
        }
        if (captured < original) {
            dropReason = DropReasons.LONGER_THAN_SNAPLEN;
            return Outcome.DROPPED;
        }
        return Outcome.FRAME;
    }

    // ---------------------------------------------------------------- buffer

    /**
     * Makes at least {@code needed} unread bytes available from {@code buffer.position()}, reading
     * more of the file and moving or growing the buffer as needed.
     *
     * @return false when the file ends first (the bytes that exist stay readable)
     */
    private boolean fill(int needed) throws IOException {
        if (buffer.remaining() >= needed) {
            return true;
        }
        if (needed > buffer.capacity()) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(needed, buffer.capacity() * 2));
            bigger.put(buffer);
            buffer = bigger;
        } else {
            buffer.compact();
        }
        while (buffer.position() < needed) {
            if (channel.read(buffer) < 0) {
                break;
            }
        }
        buffer.flip();
        if (order != null) {
            buffer.order(order);
        }
        return buffer.remaining() >= needed;
    }

    private void advance(int bytes) {
        buffer.position(buffer.position() + bytes);
        positionInFile += bytes;
    }
}
