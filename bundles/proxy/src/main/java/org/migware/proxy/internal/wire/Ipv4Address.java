package org.migware.proxy.internal.wire;

/**
 * IPv4 addresses as big-endian {@code int}s (the order they have on the wire), which is how the
 * proxy stores and compares them without objects. Text is only for configuration and logs.
 */
public final class Ipv4Address {

    private static final int OCTETS = 4;
    private static final int OCTET_MAX = 255;

    private Ipv4Address() {
    }

    /**
     * @param dotted a dotted quad such as {@code 198.18.0.1}; no host names, no shortened forms
     * @return the address as a big-endian int
     * @throws IllegalArgumentException if the text is not a dotted quad
     */
    public static int parse(String dotted) {
        String[] parts = dotted.trim().split("\\.", -1);
        if (parts.length != OCTETS) {
            throw new IllegalArgumentException("not an IPv4 address: " + dotted);
        }
        int address = 0;
        for (String part : parts) {
            // digits only: Integer.parseInt would also take "+1"
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("not an IPv4 address: " + dotted);
            }
            int octet = Integer.parseInt(part);
            if (octet > OCTET_MAX) {
                throw new IllegalArgumentException("not an IPv4 address: " + dotted);
            }
            address = address << 8 | octet;
        }
        return address;
    }

    /** @return the address as a dotted quad */
    public static String text(int address) {
        return (address >>> 24) + "." + (address >>> 16 & OCTET_MAX) + '.' + (address >>> 8 & OCTET_MAX) + '.'
                + (address & OCTET_MAX);
    }

    /** @return the address's four bytes in network order, as {@link java.net.InetAddress} wants them */
    public static byte[] bytes(int address) {
        return new byte[] {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address};
    }
}
