package org.migware.capture.file.internal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Capture files built byte by byte, so that the reader is checked against the file format
 * specifications rather than against our own writer.
 */
final class TestFiles {

    private TestFiles() {
    }

    /** @return a frame whose bytes say which frame it is: an Ethernet header, then a pattern */
    static byte[] frame(int index, int length) {
        byte[] frame = new byte[length];
        for (int i = 0; i < length; i++) {
            frame[i] = (byte) (index * 31 + i);
        }
        if (length >= 14) {
            // destination 02:00:00:00:00:01, source 02:00:00:00:00:02, EtherType IPv4
            byte[] header = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00};
            System.arraycopy(header, 0, frame, 0, header.length);
        }
        return frame;
    }

    /** A growing buffer with a byte order, for writing headers field by field. */
    static final class Bytes {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteOrder order;

        Bytes(ByteOrder order) {
            this.order = order;
        }

        Bytes u8(int value) {
            out.write(value);
            return this;
        }

        Bytes u16(int value) {
            out.writeBytes(ByteBuffer.allocate(2).order(order).putShort((short) value).array());
            return this;
        }

        Bytes u32(long value) {
            out.writeBytes(ByteBuffer.allocate(4).order(order).putInt((int) value).array());
            return this;
        }

        Bytes u64(long value) {
            out.writeBytes(ByteBuffer.allocate(8).order(order).putLong(value).array());
            return this;
        }

        Bytes raw(byte[] bytes) {
            out.writeBytes(bytes);
            return this;
        }

        Bytes pad4() {
            while (out.size() % 4 != 0) {
                out.write(0);
            }
            return this;
        }

        int size() {
            return out.size();
        }

        byte[] toArray() {
            return out.toByteArray();
        }
    }

    // ------------------------------------------------------------------ classic pcap

    /** The 24-byte global header: magic, version 2.4, zone, sigfigs, snaplen, link type. */
    static Bytes classicHeader(ByteOrder order, int magic, int snaplen, int linkType) {
        return new Bytes(order).u32(magic).u16(2).u16(4).u32(0).u32(0).u32(snaplen).u32(linkType);
    }

    /** One record: seconds, fraction (micro or nano by magic), captured and original length, data. */
    static Bytes classicRecord(Bytes file, long seconds, long fraction, byte[] data, int originalLength) {
        return file.u32(seconds).u32(fraction).u32(data.length).u32(originalLength).raw(data);
    }

    // ------------------------------------------------------------------ pcapng

    /** A block: type, total length, body padded to 32 bits, total length. */
    static byte[] block(ByteOrder order, int type, byte[] body) {
        Bytes padded = new Bytes(order).raw(body).pad4();
        int total = 12 + padded.size();
        return new Bytes(order).u32(type).u32(total).raw(padded.toArray()).u32(total).toArray();
    }

    /** Section Header Block: byte-order magic, version 1.0, unknown section length (-1), no options. */
    static byte[] sectionHeader(ByteOrder order) {
        return block(order, 0x0A0D0D0A, new Bytes(order).u32(0x1A2B3C4D).u16(1).u16(0).u64(-1).toArray());
    }

    /**
     * Interface Description Block.
     *
     * @param tsresol the if_tsresol byte, or -1 for none (microseconds)
     * @param tsoffsetSeconds the if_tsoffset value, or 0 for none
     */
    static byte[] interfaceDescription(ByteOrder order, int linkType, int snaplen, int tsresol, long tsoffsetSeconds) {
        Bytes body = new Bytes(order).u16(linkType).u16(0).u32(snaplen);
        body.u16(2).u16(4).raw("mwc0".getBytes()); // if_name, to show that unknown options are skipped
        if (tsresol >= 0) {
            body.u16(9).u16(1).u8(tsresol).pad4();
        }
        if (tsoffsetSeconds != 0) {
            body.u16(14).u16(8).u64(tsoffsetSeconds);
        }
        body.u16(0).u16(0); // opt_endofopt
        return block(order, 1, body.toArray());
    }

    /** Enhanced Packet Block: interface id, 64-bit timestamp in the interface's units, lengths, data. */
    static byte[] enhancedPacket(ByteOrder order, int interfaceId, long timestampUnits, byte[] data, int originalLength) {
        Bytes body = new Bytes(order).u32(interfaceId).u32(timestampUnits >>> 32).u32(timestampUnits & 0xFFFFFFFFL)
                .u32(data.length).u32(originalLength).raw(data);
        return block(order, 6, body.toArray());
    }

    /** Simple Packet Block: original length, data. */
    static byte[] simplePacket(ByteOrder order, byte[] data) {
        return block(order, 3, new Bytes(order).u32(data.length).raw(data).toArray());
    }

    static byte[] concat(byte[]... parts) {
        Bytes all = new Bytes(ByteOrder.BIG_ENDIAN);
        Arrays.stream(parts).forEach(all::raw);
        return all.toArray();
    }
}
