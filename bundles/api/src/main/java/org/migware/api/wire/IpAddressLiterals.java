package org.migware.api.wire;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * IPv4 and IPv6 address literals as configurations give them, parsed without ever asking DNS: a
 * host name in a configuration would be resolved once and silently go stale.
 *
 * <p>IPv4 is exactly four dotted decimal parts of one to three digits, each at most 255; a
 * leading zero is decimal ({@code 010.1.1.1} is 10.1.1.1, not octal). IPv6 is any form
 * {@link InetAddress} reads (an IPv4-mapped literal comes back as the IPv4 address, which is
 * what is on the wire). For configuration, not for the packet path.
 */
public final class IpAddressLiterals {

    private static final int IPV4_PARTS = 4;
    private static final int IPV4_PART_MAX_DIGITS = 3;
    private static final int OCTET_MAX = 255;

    private IpAddressLiterals() {
    }

    /**
     * @param literal an IPv4 or IPv6 literal, surrounding blanks ignored
     * @return the address
     * @throws IllegalArgumentException with a reason fit for a log line, which quotes the text
     */
    public static InetAddress parse(String literal) {
        return parse(literal, false);
    }

    /**
     * As {@link #parse(String)}, and an IPv6 literal may carry a zone ({@code fe80::1%eth0}),
     * for a target that a socket addresses, where a link-local address needs its interface.
     */
    public static InetAddress parseWithZone(String literal) {
        return parse(literal, true);
    }

    private static InetAddress parse(String literal, boolean zoneAllowed) {
        String text = literal == null ? "" : literal.trim();
        if (text.isEmpty()) {
            throw new IllegalArgumentException("an empty address is not an IP address");
        }
        if (text.indexOf(':') >= 0) {
            if (!isIpv6Shaped(text, zoneAllowed)) {
                throw notALiteral(text);
            }
            try {
                // holds a colon, so InetAddress reads it as a literal and never asks DNS
                return InetAddress.getByName(text);
            } catch (UnknownHostException e) {
                throw notAnAddress(text);
            }
        }
        if (!isIpv4Shaped(text)) {
            throw notALiteral(text);
        }
        byte[] address = ipv4(text);
        if (address == null) {
            throw notAnAddress(text);
        }
        try {
            return InetAddress.getByAddress(address);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("four bytes are always an address", e);
        }
    }

    private static boolean isIpv6Shaped(String text, boolean zoneAllowed) {
        int zone = text.indexOf('%');
        String address = zoneAllowed && zone > 0 ? text.substring(0, zone) : text;
        return address.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.');
    }

    private static boolean isIpv4Shaped(String text) {
        return text.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.');
    }

    /** @return the four bytes, or null unless there are four parts of 1 to 3 digits up to 255 */
    private static byte[] ipv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != IPV4_PARTS) {
            return null;
        }
        byte[] address = new byte[IPV4_PARTS];
        for (int i = 0; i < IPV4_PARTS; i++) {
            String part = parts[i];
            if (part.isEmpty() || part.length() > IPV4_PART_MAX_DIGITS) {
                return null;
            }
            int value = Integer.parseInt(part);
            if (value > OCTET_MAX) {
                return null;
            }
            address[i] = (byte) value;
        }
        return address;
    }

    private static IllegalArgumentException notALiteral(String text) {
        return new IllegalArgumentException("'" + text + "' is not an IP address literal (host names are not resolved)");
    }

    private static IllegalArgumentException notAnAddress(String text) {
        return new IllegalArgumentException("'" + text + "' is not an IP address");
    }
}
