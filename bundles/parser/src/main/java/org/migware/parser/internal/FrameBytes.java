package org.migware.parser.internal;

/**
 * Absolute big-endian reads and writes on a frame's bytes, shared by the header views. Every
 * caller has checked the bounds; nothing here allocates.
 */
final class FrameBytes {

    private FrameBytes() {
    }

    static int readUnsignedByte(byte[] buffer, int index) {
        return buffer[index] & 0xff;
    }

    static int readUnsignedShort(byte[] buffer, int index) {
        return (buffer[index] & 0xff) << 8 | buffer[index + 1] & 0xff;
    }

    static int readInt(byte[] buffer, int index) {
        return (buffer[index] & 0xff) << 24
                | (buffer[index + 1] & 0xff) << 16
                | (buffer[index + 2] & 0xff) << 8
                | buffer[index + 3] & 0xff;
    }

    static long readLong(byte[] buffer, int index) {
        return (readInt(buffer, index) & 0xffff_ffffL) << 32 | readInt(buffer, index + 4) & 0xffff_ffffL;
    }

    static long readMac(byte[] buffer, int index) {
        return (long) readUnsignedShort(buffer, index) << 32 | readInt(buffer, index + 2) & 0xffff_ffffL;
    }

    static void writeShort(byte[] buffer, int index, int value) {
        buffer[index] = (byte) (value >>> 8);
        buffer[index + 1] = (byte) value;
    }

    static void writeInt(byte[] buffer, int index, int value) {
        buffer[index] = (byte) (value >>> 24);
        buffer[index + 1] = (byte) (value >>> 16);
        buffer[index + 2] = (byte) (value >>> 8);
        buffer[index + 3] = (byte) value;
    }

    static void writeMac(byte[] buffer, int index, long mac) {
        writeShort(buffer, index, (int) (mac >>> 32));
        writeInt(buffer, index + 2, (int) mac);
    }
}
