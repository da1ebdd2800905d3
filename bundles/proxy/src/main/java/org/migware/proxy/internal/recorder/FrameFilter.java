package org.migware.proxy.internal.recorder;

import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.List;

import org.migware.api.failover.MappingSnapshot;
import org.migware.api.wire.EthernetHeader;
import org.migware.api.wire.IpProtocol;
import org.migware.proxy.internal.wire.Ipv4Address;

/**
 * Which recorded frames belong to one client: those to or from {@code ip[:port]} on the wire, and
 * on the TUN those of the shadow endpoints MigWare gave that client's connections. Reads the
 * headers itself with bounds checks: a recorded frame is as untrusted as the wire it came from.
 */
public final class FrameFilter {

    private static final int IPV4_VERSION = 4;

    /** An address and a port, -1 for any port. */
    private record Match(int address, int port) {
        boolean matches(int otherAddress, int otherPort) {
            return address == otherAddress && (port < 0 || port == otherPort);
        }
    }

    private final List<Match> matches = new ArrayList<>();
    private final String text;

    /**
     * @param filter {@code a.b.c.d} or {@code a.b.c.d:port}
     * @param mappings the proxy's mappings: their shadow endpoints join the filter
     * @throws IllegalArgumentException when the filter is not an IPv4 address with an optional port
     */
    public FrameFilter(String filter, List<MappingSnapshot> mappings) {
        String trimmed = filter.trim();
        int colon = trimmed.lastIndexOf(':');
        int address = Ipv4Address.parse(colon < 0 ? trimmed : trimmed.substring(0, colon));
        int port = -1;
        if (colon >= 0) {
            try {
                port = Integer.parseInt(trimmed.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a port: '" + trimmed.substring(colon + 1) + "'");
            }
            if (port < 0 || port > 0xffff) {
                throw new IllegalArgumentException("not a port: " + port);
            }
        }
        Match client = new Match(address, port);
        matches.add(client);
        int shadows = 0;
        for (MappingSnapshot mapping : mappings) {
            if (mapping.client().address() instanceof Inet4Address clientAddress
                    && client.matches(Ipv4Address.parse(clientAddress.getHostAddress()), mapping.client().port())
                    && mapping.shadow().address() instanceof Inet4Address shadow) {
                matches.add(new Match(Ipv4Address.parse(shadow.getHostAddress()), mapping.shadow().port()));
                shadows++;
            }
        }
        this.text = trimmed + (shadows == 0 ? "" : " and " + shadows + " shadow endpoint" + (shadows == 1 ? "" : "s"));
    }

    /** @return whether the frame (an Ethernet frame, or an IP packet when {@code ethernet} is false) matches */
    public boolean matches(byte[] bytes, int offset, int length, boolean ethernet) {
        int ip = offset;
        int end = offset + length;
        if (ethernet) {
            if (length < EthernetHeader.HEADER_LENGTH) {
                return false;
            }
            int typeAt = offset + EthernetHeader.TYPE_OFFSET;
            int type = u16(bytes, typeAt);
            while (EthernetHeader.isVlanTag(type) && typeAt + EthernetHeader.VLAN_TAG_LENGTH + 2 <= end) {
                typeAt += EthernetHeader.VLAN_TAG_LENGTH;
                type = u16(bytes, typeAt);
            }
            if (type != EthernetHeader.TYPE_IPV4) {
                return false;
            }
            ip = typeAt + 2;
        }
        if (ip + 20 > end || (bytes[ip] & 0xff) >> 4 != IPV4_VERSION) {
            return false;
        }
        int headerLength = (bytes[ip] & 0x0f) * 4;
        int protocol = bytes[ip + 9] & 0xff;
        int source = u32(bytes, ip + 12);
        int destination = u32(bytes, ip + 16);
        int sourcePort = -2;
        int destinationPort = -2;
        if (protocol == IpProtocol.TCP && ip + headerLength + 4 <= end) {
            sourcePort = u16(bytes, ip + headerLength);
            destinationPort = u16(bytes, ip + headerLength + 2);
        }
        for (Match match : matches) {
            if (match.matches(source, sourcePort) || match.matches(destination, destinationPort)) {
                return true;
            }
        }
        return false;
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xff) << 8 | b[at + 1] & 0xff;
    }

    private static int u32(byte[] b, int at) {
        return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | b[at + 3] & 0xff;
    }

    @Override
    public String toString() {
        return text;
    }
}
