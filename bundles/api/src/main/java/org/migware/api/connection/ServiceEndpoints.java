package org.migware.api.connection;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.migware.api.packet.AddressWords;
import org.migware.api.wire.IpAddressLiterals;

/**
 * The configured service addresses and ports (PID {@code org.migware.service}), held as flat
 * arrays so the per-packet test allocates nothing. The owner of that configuration parses it
 * with {@link #parse} and publishes the result as {@link ProtectedService}, so every bundle that
 * must tell the service's traffic from the rest agrees on it.
 *
 * @since 1.1
 */
public final class ServiceEndpoints {

    /** Returned by {@link #indexOf} when an address:port is not the service. */
    public static final int NOT_SERVICE = -1;

    private final long[] addressHigh;
    private final long[] addressLow;
    private final int[] ports;

    private ServiceEndpoints(long[] addressHigh, long[] addressLow, int[] ports) {
        this.addressHigh = addressHigh;
        this.addressLow = addressLow;
        this.ports = ports;
    }

    /**
     * @param addresses the {@code addresses} key: IPv4 or IPv6 literals (no host names)
     * @param ports the {@code ports} key: TCP ports
     * @return the parsed endpoints
     * @throws IllegalArgumentException naming the configuration key when a value is unusable
     */
    public static ServiceEndpoints parse(String[] addresses, int[] ports) {
        if (addresses == null || addresses.length == 0) {
            throw new IllegalArgumentException("'addresses' is not set: name the primary's service IP address(es)");
        }
        if (ports == null || ports.length == 0) {
            throw new IllegalArgumentException("'ports' is not set: name the service's TCP port(s)");
        }
        long[] high = new long[addresses.length];
        long[] low = new long[addresses.length];
        for (int i = 0; i < addresses.length; i++) {
            byte[] bytes;
            try {
                bytes = IpAddressLiterals.parse(addresses[i]).getAddress();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'addresses' value " + e.getMessage(), e);
            }
            high[i] = AddressWords.high(bytes);
            low[i] = AddressWords.low(bytes);
        }
        for (int port : ports) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("'ports' value " + port + " is not a TCP port (1-65535)");
            }
        }
        return new ServiceEndpoints(high, low, Arrays.copyOf(ports, ports.length));
    }

    /**
     * @return whether {@code address} is one of the service's addresses, whatever the port (its
     *     ICMP and ARP say where the primary is too)
     * @since 1.4
     */
    public boolean isServiceAddress(long high, long low) {
        for (int i = 0; i < addressLow.length; i++) {
            if (addressLow[i] == low && addressHigh[i] == high) {
                return true;
            }
        }
        return false;
    }

    /** @return the index of the configured address when {@code address:port} is the service, else {@link #NOT_SERVICE} */
    public int indexOf(long high, long low, int port) {
        boolean portMatches = false;
        for (int p : ports) {
            if (p == port) {
                portMatches = true;
                break;
            }
        }
        if (!portMatches) {
            return NOT_SERVICE;
        }
        for (int i = 0; i < addressLow.length; i++) {
            if (addressLow[i] == low && addressHigh[i] == high) {
                return i;
            }
        }
        return NOT_SERVICE;
    }

    /**
     * @return the addresses in their configured order; allocates, not for the per-packet path
     * @since 1.3
     */
    public List<InetAddress> addresses() {
        List<InetAddress> addresses = new ArrayList<>(addressLow.length);
        for (int i = 0; i < addressLow.length; i++) {
            addresses.add(AddressWords.toInetAddress(addressHigh[i], addressLow[i]));
        }
        return List.copyOf(addresses);
    }

    /**
     * Whether one of the service's IPv4 addresses is configured on this host (in its network
     * namespace) now: keepalived adds it when this host becomes the VRRP master and removes it when
     * it stops being one. Walks the host's interfaces: for a periodic check, not the packet path.
     *
     * @return whether this host owns a service address
     * @since 1.8
     */
    public boolean anyAddressLocal() {
        List<InetAddress> service = addresses();
        try {
            java.util.Enumeration<java.net.NetworkInterface> interfaces = java.net.NetworkInterface.getNetworkInterfaces();
            while (interfaces != null && interfaces.hasMoreElements()) {
                java.util.Enumeration<InetAddress> local = interfaces.nextElement().getInetAddresses();
                while (local.hasMoreElements()) {
                    InetAddress address = local.nextElement();
                    if (address instanceof java.net.Inet4Address && service.contains(address)) {
                        return true;
                    }
                }
            }
        } catch (java.net.SocketException e) {
            return false; // the caller asks again at its next round
        }
        return false;
    }

    /**
     * @return a copy of the ports in their configured order
     * @since 1.3
     */
    public int[] ports() {
        return Arrays.copyOf(ports, ports.length);
    }

    /**
     * @param high high 64 bits of the address (see {@link AddressWords})
     * @param low low 64 bits of the address
     * @param port the TCP port
     * @return whether {@code address:port} is a configured service end
     */
    public boolean isService(long high, long low, int port) {
        return indexOf(high, low, port) != NOT_SERVICE;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ServiceEndpoints that && Arrays.equals(addressHigh, that.addressHigh)
                && Arrays.equals(addressLow, that.addressLow) && Arrays.equals(ports, that.ports);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(addressLow) * 31 + Arrays.hashCode(ports);
    }

    /** @return for example {@code 10.0.0.2:7000} or {@code 10.0.0.2,10.0.0.3 ports [7000, 7001]} */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < addressLow.length; i++) {
            String host = AddressWords.toInetAddress(addressHigh[i], addressLow[i]).getHostAddress();
            text.append(i == 0 ? "" : ",").append(host.indexOf(':') >= 0 ? "[" + host + "]" : host);
        }
        if (addressLow.length == 1 && ports.length == 1) {
            return text.append(':').append(ports[0]).toString();
        }
        return text.append(" ports ").append(Arrays.toString(ports)).toString();
    }
}
