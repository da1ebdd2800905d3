package org.migware.api.packet;

import java.net.InetAddress;
import java.net.UnknownHostException;

import org.migware.api.wire.Ipv4Header;

/**
 * Converts between addresses and the two 64-bit words in which {@link ParsedPacket} gives them
 * (IPv4 as the IPv4-mapped IPv6 address), and formats MAC addresses.
 *
 * @since 1.1
 */
public final class AddressWords {

    private AddressWords() {
    }

    /** @return the high 64 bits of a 4- or 16-byte address (0 for IPv4) */
    public static long high(byte[] address) {
        if (address.length == 4) {
            return 0L;
        }
        long value = 0;
        for (int i = 0; i < 8; i++) {
            value = value << 8 | (address[i] & 0xff);
        }
        return value;
    }

    /** @return the low 64 bits of a 4- or 16-byte address (IPv4-mapped for IPv4) */
    public static long low(byte[] address) {
        if (address.length == 4) {
            return Ipv4Header.MAPPED_PREFIX | ((address[0] & 0xffL) << 24 | (address[1] & 0xffL) << 16
                    | (address[2] & 0xffL) << 8 | (address[3] & 0xffL));
        }
        long value = 0;
        for (int i = 8; i < 16; i++) {
            value = value << 8 | (address[i] & 0xff);
        }
        return value;
    }

    /** @return the address the two words stand for; IPv4 for an IPv4-mapped one */
    public static InetAddress toInetAddress(long high, long low) {
        try {
            if (high == 0 && (low & 0xffff_ffff_0000_0000L) == Ipv4Header.MAPPED_PREFIX) {
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

    /** @return a MAC address held in the low 48 bits as {@code 02:00:00:00:00:01} */
    public static String mac(long mac) {
        StringBuilder text = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8) {
            int octet = (int) (mac >>> shift) & 0xff;
            text.append(Character.forDigit(octet >>> 4, 16)).append(Character.forDigit(octet & 0xf, 16));
            if (shift > 0) {
                text.append(':');
            }
        }
        return text.toString();
    }
}
