package org.migware.monitor.traffic.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Converts between addresses and the two 64-bit words of the parser's IPv4-mapped form. */
final class AddressWords {

    private static final long IPV4_MAPPED_PREFIX = 0x0000_ffff_0000_0000L;

    private AddressWords() {
    }

    static long high(byte[] address) {
        if (address.length == 4) {
            return 0L;
        }
        long value = 0;
        for (int i = 0; i < 8; i++) {
            value = value << 8 | (address[i] & 0xff);
        }
        return value;
    }

    static long low(byte[] address) {
        if (address.length == 4) {
            return IPV4_MAPPED_PREFIX | ((address[0] & 0xffL) << 24 | (address[1] & 0xffL) << 16
                    | (address[2] & 0xffL) << 8 | (address[3] & 0xffL));
        }
        long value = 0;
        for (int i = 8; i < 16; i++) {
            value = value << 8 | (address[i] & 0xff);
        }
        return value;
    }

    static InetAddress toInetAddress(long high, long low) {
        try {
            if (high == 0 && (low & 0xffff_ffff_0000_0000L) == IPV4_MAPPED_PREFIX) {
                int v4 = (int) low;
                return InetAddress.getByAddress(new byte[] {(byte) (v4 >>> 24), (byte) (v4 >>> 16), (byte) (v4 >>> 8), (byte) v4});
            }
            byte[] bytes = new byte[16];
            for (int i = 0; i < 8; i++) {
                bytes[i] = (byte) (high >>> (56 - 8 * i));
                bytes[8 + i] = (byte) (low >>> (56 - 8 * i));
            }
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("a 4- or 16-byte address is always valid", e);
        }
    }
}
