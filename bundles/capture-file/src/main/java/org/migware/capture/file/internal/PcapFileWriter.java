package org.migware.capture.file.internal;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.Flushable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Writes Ethernet frames to a classic pcap file with nanosecond timestamps (magic
 * {@code 0xA1B23C4D}), which tcpdump, tshark and {@link PcapFileReader} read.
 *
 * <p>Needs nothing but the JDK, so tests and the lab use it from plain Java as well as from
 * inside the bundle. Methods are synchronized: a capture thread and a test thread may share one.
 */
public final class PcapFileWriter implements Closeable, Flushable {

    /** libpcap's maximum snapshot length, what tcpdump writes by default. */
    public static final int DEFAULT_SNAPSHOT_LENGTH = 262_144;

    private static final int LINK_TYPE_ETHERNET = 1;
    private static final long MAX_SECONDS = 0xFFFF_FFFFL; // the field is 32 bits unsigned: until 2106
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final OutputStream out;
    private final ByteBuffer recordHeader;
    private final int snapshotLength;
    private long recordsWritten;
    private boolean closed;

    /**
     * Creates (or replaces) a file in the machine's byte order with the default snapshot length.
     *
     * @param path the file
     * @throws IOException when the file cannot be written
     */
    public PcapFileWriter(Path path) throws IOException {
        this(path, ByteOrder.nativeOrder(), DEFAULT_SNAPSHOT_LENGTH);
    }

    /**
     * Creates (or replaces) a file.
     *
     * @param path the file
     * @param order the byte order of every header field (readers accept both)
     * @param snapshotLength frames longer than this are cut to it (and their original length kept)
     * @throws IOException when the file cannot be written
     */
    public PcapFileWriter(Path path, ByteOrder order, int snapshotLength) throws IOException {
        this(Files.newOutputStream(path), order, snapshotLength);
    }

    /**
     * Writes to a stream, which this writer closes.
     *
     * @param out where the file's bytes go
     * @param order the byte order of every header field
     * @param snapshotLength frames longer than this are cut to it
     * @throws IOException when the file header cannot be written
     */
    public PcapFileWriter(OutputStream out, ByteOrder order, int snapshotLength) throws IOException {
        Objects.requireNonNull(order, "order");
        if (snapshotLength <= 0) {
            out.close();
            throw new IllegalArgumentException("snapshotLength must be positive: " + snapshotLength);
        }
        this.out = new BufferedOutputStream(out, 1 << 16);
        this.snapshotLength = snapshotLength;
        this.recordHeader = ByteBuffer.allocate(PcapFileReader.PCAP_RECORD_HEADER_LENGTH).order(order);
        ByteBuffer header = ByteBuffer.allocate(PcapFileReader.PCAP_GLOBAL_HEADER_LENGTH).order(order);
        header.putInt(PcapFileReader.PCAP_MAGIC_NANOS)
                .putShort((short) 2) // version 2.4, the only one in use
                .putShort((short) 4)
                .putInt(0) // thiszone: timestamps are UTC
                .putInt(0) // sigfigs: always 0
                .putInt(snapshotLength)
                .putInt(LINK_TYPE_ETHERNET);
        this.out.write(header.array());
    }

    /**
     * Appends one frame as it was on the wire.
     *
     * @param frame the bytes
     * @param offset where the Ethernet header starts
     * @param length the frame's length (cut to the snapshot length in the file)
     * @param timestampNanos capture time in nanoseconds since the Unix epoch, 0 to 2106
     * @throws IOException when writing fails or the writer is closed
     */
    public synchronized void write(byte[] frame, int offset, int length, long timestampNanos) throws IOException {
        write(frame, offset, Math.min(length, snapshotLength), length, timestampNanos);
    }

    /**
     * Appends one frame whose capture was already cut short, as a capture tool would have.
     *
     * @param frame the bytes
     * @param offset where the Ethernet header starts
     * @param capturedLength how many bytes to store
     * @param originalLength how long the frame was on the wire ({@code >= capturedLength})
     * @param timestampNanos capture time in nanoseconds since the Unix epoch, 0 to 2106
     * @throws IOException when writing fails or the writer is closed
     */
    public synchronized void write(byte[] frame, int offset, int capturedLength, int originalLength,
                                   long timestampNanos) throws IOException {
        Objects.checkFromIndexSize(offset, capturedLength, frame.length);
        if (originalLength < capturedLength) {
            throw new IllegalArgumentException("originalLength " + originalLength + " < capturedLength " + capturedLength);
        }
        long seconds = Math.floorDiv(timestampNanos, NANOS_PER_SECOND);
        if (seconds < 0 || seconds > MAX_SECONDS) {
            throw new IllegalArgumentException("a pcap timestamp holds 1970 to 2106, not " + timestampNanos + " ns");
        }
        if (closed) {
            throw new IOException("the pcap writer is closed");
        }
        recordHeader.clear();
        recordHeader.putInt((int) seconds)
                .putInt((int) Math.floorMod(timestampNanos, NANOS_PER_SECOND))
                .putInt(capturedLength)
                .putInt(originalLength);
        out.write(recordHeader.array());
        out.write(frame, offset, capturedLength);
        recordsWritten++;
    }

    /** @return how many frames were written */
    public synchronized long recordsWritten() {
        return recordsWritten;
    }

    /** Pushes buffered records to the file, so that a reader sees them. */
    @Override
    public synchronized void flush() throws IOException {
        if (!closed) {
            out.flush();
        }
    }

    /** Flushes and closes the file; closing twice is harmless. */
    @Override
    public synchronized void close() throws IOException {
        if (!closed) {
            closed = true;
            out.close();
        }
    }
}
