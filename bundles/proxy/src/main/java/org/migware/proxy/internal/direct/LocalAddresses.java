package org.migware.proxy.internal.direct;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Enumeration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Whether one of the service's IPv4 addresses is configured on this host (in its network
 * namespace): keepalived adds it when this host becomes the VRRP master, and removes it when it
 * stops being one.
 */
public final class LocalAddresses implements BooleanSupplier {

    private final Supplier<List<InetAddress>> serviceAddresses;

    /** @param serviceAddresses the service's addresses, asked each time (the configuration may change) */
    public LocalAddresses(Supplier<List<InetAddress>> serviceAddresses) {
        this.serviceAddresses = serviceAddresses;
    }

    @Override
    public boolean getAsBoolean() {
        List<InetAddress> service = serviceAddresses.get();
        try {
            Enumeration<NetworkInterface> interfaces = NetworkInterface.getNetworkInterfaces();
            while (interfaces != null && interfaces.hasMoreElements()) {
                Enumeration<InetAddress> addresses = interfaces.nextElement().getInetAddresses();
                while (addresses.hasMoreElements()) {
                    InetAddress address = addresses.nextElement();
                    if (address instanceof Inet4Address && service.contains(address)) {
                        return true;
                    }
                }
            }
        } catch (SocketException e) {
            return false; // asked again at the next round
        }
        return false;
    }
}
