package org.migware.api.packet;

/**
 * The outcome of parsing one frame with a {@link ParsedPacket}. Only {@link #TCP} means the
 * TCP accessors are valid; every other value says why not, without an exception.
 */
public enum ParseResult {
    /** An Ethernet frame carrying a complete IPv4 or IPv6 TCP header: every accessor is valid. */
    TCP(true, "TCP segment"),
    /** A well-formed frame whose EtherType is neither IPv4, IPv6 nor VLAN (ARP, LLDP, ...). */
    NOT_IP(false, "not an IP packet"),
    /** A well-formed IP packet that does not carry TCP (ICMP, UDP, ...). */
    NOT_TCP(false, "IP packet that is not TCP"),
    /** A non-first IPv4 or IPv6 fragment: no TCP header to read. */
    FRAGMENT(false, "IP fragment without a TCP header"),
    /** Shorter than the 14-byte Ethernet header. */
    TRUNCATED_ETHERNET(false, "truncated: shorter than an Ethernet header"),
    /** An 802.1Q/802.1ad tag cut short. */
    TRUNCATED_VLAN(false, "truncated: inside an 802.1Q tag"),
    /** More stacked VLAN tags than the parser walks. */
    TOO_MANY_VLAN_TAGS(false, "invalid: too many stacked VLAN tags"),
    /** Shorter than the IPv4 header it announces. */
    TRUNCATED_IPV4(false, "truncated: inside the IPv4 header"),
    /** IPv4 version field is not 4. */
    INVALID_IPV4_VERSION(false, "invalid: IPv4 version field is not 4"),
    /** IPv4 IHL below 5. */
    INVALID_IPV4_HEADER_LENGTH(false, "invalid: IPv4 header length below 20 bytes"),
    /** IPv4 total length below the header length. */
    INVALID_IPV4_TOTAL_LENGTH(false, "invalid: IPv4 total length shorter than its header"),
    /** Shorter than the 40-byte IPv6 header. */
    TRUNCATED_IPV6(false, "truncated: inside the IPv6 header"),
    /** IPv6 version field is not 6. */
    INVALID_IPV6_VERSION(false, "invalid: IPv6 version field is not 6"),
    /** An IPv6 extension header cut short, too many of them, or an unwalkable one (ESP). */
    INVALID_IPV6_EXTENSION(false, "invalid: IPv6 extension header chain cannot be walked"),
    /** Shorter than the TCP header it announces. */
    TRUNCATED_TCP(false, "truncated: inside the TCP header"),
    /** TCP data offset below 5 or beyond the IP payload. */
    INVALID_TCP_DATA_OFFSET(false, "invalid: TCP data offset out of range"),
    /** A TCP option whose length is impossible (below 2, beyond the header, or wrong for its kind). */
    INVALID_TCP_OPTION(false, "invalid: malformed TCP option");

    private final boolean tcp;
    private final String reason;

    ParseResult(boolean tcp, String reason) {
        this.tcp = tcp;
        this.reason = reason;
    }

    /** @return whether the TCP accessors of the view are valid */
    public boolean isTcp() {
        return tcp;
    }

    /** @return whether the frame was damaged (truncated or invalid), as opposed to just not TCP */
    public boolean isMalformed() {
        return ordinal() >= TRUNCATED_ETHERNET.ordinal();
    }

    /** @return a short human-readable reason */
    public String reason() {
        return reason;
    }
}
