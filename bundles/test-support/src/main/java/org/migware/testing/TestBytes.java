package org.migware.testing;

import java.io.ByteArrayOutputStream;

/** Helpers that let test vectors be written as unsigned byte values, one field per line. */
public final class TestBytes {

    private TestBytes() {
    }

    /** @return the values as bytes; each must be 0 to 255 */
    public static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            if (values[i] < 0 || values[i] > 0xff) {
                throw new IllegalArgumentException("not a byte: " + values[i] + " at " + i);
            }
            out[i] = (byte) values[i];
        }
        return out;
    }

    /** @return the parts one after the other */
    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** @return a copy with byte {@code index} replaced */
    public static byte[] with(byte[] frame, int index, int value) {
        byte[] copy = frame.clone();
        copy[index] = (byte) value;
        return copy;
    }

    /** @return {@code count} copies of {@code value} */
    public static byte[] repeat(int value, int count) {
        byte[] out = new byte[count];
        java.util.Arrays.fill(out, (byte) value);
        return out;
    }

    /**
     * The Internet checksum (RFC 1071) the slow, obvious way: 16-bit words, one at a time. It
     * is the test-side reference the parser's faster 32-bit summing is compared with.
     */
    public static int internetChecksum(byte[] data, int from, int to, long initialSum) {
        long sum = initialSum;
        for (int i = from; i < to; i += 2) {
            int high = data[i] & 0xff;
            int low = i + 1 < to ? data[i + 1] & 0xff : 0;
            sum += high << 8 | low;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }

    public static int readShort(byte[] data, int index) {
        return (data[index] & 0xff) << 8 | data[index + 1] & 0xff;
    }

    public static int readInt(byte[] data, int index) {
        return readShort(data, index) << 16 | readShort(data, index + 2);
    }
}
