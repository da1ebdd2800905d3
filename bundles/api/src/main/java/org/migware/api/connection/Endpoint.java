package org.migware.api.connection;

import java.net.InetAddress;
import java.util.Objects;

/**
 * One end of a connection.
 *
 * @param address the IP address
 * @param port the TCP port
 * @param mac the MAC address last seen as this end's source, as {@code 02:00:00:00:00:01}, or
 *     {@code null} when this end has not sent a frame yet
 */
public record Endpoint(InetAddress address, int port, String mac) {

    /** Validates the fields. */
    public Endpoint {
        Objects.requireNonNull(address, "address");
        if (port < 0 || port > 0xffff) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /** @return {@code address:port}, IPv6 in brackets */
    public String hostAndPort() {
        String host = address.getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
