package org.migware.capture.shared.internal;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import org.migware.api.wire.IpAddressLiterals;

/**
 * Builds the kernel (BPF) filter of the live capture from the service's addresses and ports, so that
 * the kernel hands MigWare only what it tracks:
 *
 * <pre>
 * (tcp and (host A or host B) and (port P or port Q)) or (arp and (host A or host B))
 *     or (ip proto 6 and ip[6:2] &amp; 0x1fff != 0 and (dst host A or dst host B)) [or (EXTRA)]
 * </pre>
 *
 * <p>The ARP part is there because after a failover the proxy answers ARP for the service
 * addresses (IPv4 only; IPv6 neighbour discovery is not captured yet). The third part takes the
 * non-first fragments of TCP datagrams to a service address, which the proxy puts together in
 * PROXY and which "port" never matches. The optional extra
 * expression widens the capture: frames that match it are captured too.
 *
 * <p>Plain-tagged frames only: a SPAN port that keeps 802.1Q tags needs {@code vlan and ...}, which
 * is not generated (a site can put its own complete expression in {@code extraFilter}).
 */
public final class BpfFilter {

    private BpfFilter() {
    }

    /**
     * @param addresses the service addresses as normalised literals (see {@link #normalise})
     * @param ports the service ports, 1 to 65535
     * @param extraFilter an expression whose frames are captured too, or blank
     * @return the filter expression for libpcap
     */
    public static String build(List<String> addresses, List<Integer> ports, String extraFilter) {
        if (addresses.isEmpty() || ports.isEmpty()) {
            throw new IllegalArgumentException("a filter needs at least one address and one port");
        }
        String hosts = addresses.stream().map(a -> "host " + a).collect(Collectors.joining(" or "));
        String portList = ports.stream().map(p -> "port " + p).collect(Collectors.joining(" or "));
        StringBuilder filter = new StringBuilder()
                .append("(tcp and (").append(hosts).append(") and (").append(portList).append("))");
        String ipv4Hosts = addresses.stream().filter(a -> a.indexOf(':') < 0)
                .map(a -> "host " + a).collect(Collectors.joining(" or "));
        if (!ipv4Hosts.isEmpty()) {
            filter.append(" or (arp and (").append(ipv4Hosts).append("))");
            // libpcap's "port" matches only a datagram's first fragment (the others hold no TCP
            // header): without this, a fragmented client segment reached the proxy's reassembly
            // only in part, never completed, and its connection stalled in PROXY (issue 10, point 10).
            String dstHosts = addresses.stream().filter(a -> a.indexOf(':') < 0)
                    .map(a -> "dst host " + a).collect(Collectors.joining(" or "));
            filter.append(" or (ip proto 6 and ip[6:2] & 0x1fff != 0 and (").append(dstHosts).append("))");
        }
        if (extraFilter != null && !extraFilter.isBlank()) {
            filter.append(" or (").append(extraFilter.trim()).append(')');
        }
        return filter.toString();
    }

    /**
     * Turns a configured address into the literal the filter uses, without ever asking DNS (a host
     * name in a BPF filter is resolved once, at compile time, and silently goes stale).
     *
     * @param address an IPv4 or IPv6 literal
     * @return the canonical literal ({@code 010.1.1.1} would mean octal to some parsers: it becomes
     *     {@code 10.1.1.1})
     * @throws IllegalArgumentException with a reason fit for a log line
     */
    public static String normalise(String address) {
        return IpAddressLiterals.parse(address).getHostAddress().toLowerCase(Locale.ROOT);
    }
}
