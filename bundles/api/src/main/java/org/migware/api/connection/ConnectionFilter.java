package org.migware.api.connection;

import java.net.InetAddress;

import org.migware.api.wire.IpAddressLiterals;

/**
 * Which connections an operator asks for: those with an end (the client or the server) at an
 * address, a port, or both. Written {@code 10.0.0.7}, {@code 10.0.0.7:40000}, {@code :8080},
 * {@code 2001:db8::7}, {@code [2001:db8::7]:40000}; empty for every connection. Addresses are
 * literals only: a filter never asks DNS.
 *
 * @param address the address an end must have, {@code null} for any
 * @param port the port an end must have, {@code -1} for any; when both are given, one end must
 *     have both
 * @since 1.5
 */
public record ConnectionFilter(InetAddress address, int port) {

    /** Every connection. */
    public static final ConnectionFilter ANY = new ConnectionFilter(null, -1);

    /** Validates the port. */
    public ConnectionFilter {
        if (port < -1 || port > 0xffff) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /**
     * @param text {@code ip}, {@code ip:port}, {@code [ipv6]:port} or {@code :port}; {@code null}
     *     or blank for every connection
     * @return the filter
     * @throws IllegalArgumentException naming what is wrong, with the text quoted
     */
    public static ConnectionFilter parse(String text) {
        String value = text == null ? "" : text.trim();
        if (value.isEmpty()) {
            return ANY;
        }
        String host = value;
        String port = null;
        if (value.startsWith("[")) {
            int close = value.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("filter '" + value + "': no ']' after an IPv6 address");
            }
            host = value.substring(1, close);
            String rest = value.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException("filter '" + value + "': expected ':port' after ']'");
                }
                port = rest.substring(1);
            }
        } else if (value.startsWith(":")) {
            host = "";
            port = value.substring(1);
        } else if (value.indexOf(':') == value.lastIndexOf(':') && value.indexOf(':') > 0) {
            // one colon: IPv4 with a port (a bare IPv6 address has at least two)
            host = value.substring(0, value.indexOf(':'));
            port = value.substring(value.indexOf(':') + 1);
        }
        InetAddress address = null;
        if (!host.isEmpty()) {
            try {
                address = IpAddressLiterals.parse(host);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("filter '" + value + "': " + e.getMessage(), e);
            }
        }
        return new ConnectionFilter(address, port == null ? -1 : port(value, port));
    }

    private static int port(String filter, String digits) {
        if (digits.isEmpty() || digits.length() > 5 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("filter '" + filter + "': the port '" + digits + "' is not a number from 0 to 65535");
        }
        int port = Integer.parseInt(digits);
        if (port > 0xffff) {
            throw new IllegalArgumentException("filter '" + filter + "': the port " + port + " is above 65535");
        }
        return port;
    }

    /** @return whether this filter lets every connection through */
    public boolean isAny() {
        return address == null && port < 0;
    }

    /** @return whether {@code end} is at the filter's address and port */
    public boolean matches(Endpoint end) {
        return (address == null || address.equals(end.address())) && (port < 0 || port == end.port());
    }

    /** @return whether either end of the connection is at the filter's address and port */
    public boolean matches(Endpoint client, Endpoint server) {
        return matches(client) || matches(server);
    }

    /** @return the filter as {@link #parse} reads it; empty for every connection */
    @Override
    public String toString() {
        if (isAny()) {
            return "";
        }
        String host = address == null ? "" : address.getHostAddress();
        if (port < 0) {
            return host;
        }
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
