package org.migware.api.packet;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A {@link ParsedPacket} whose fields can be rewritten in place, for the proxy's translation of
 * every segment between a client and the replica. Every setter writes into the frame the view
 * was last parsed over and returns {@code false}, writing nothing, when that field is not there
 * (the last parse was not {@link ParseResult#TCP}, the option is absent, or the packet is IPv6
 * where an IPv4 field is asked for). Checksums are not touched by the setters: call
 * {@link #adjustIpv4HeaderChecksum()} and {@link #adjustTcpChecksum()} once, after the last one,
 * to carry what the setters changed into the checksums, or {@link #updateIpv4HeaderChecksum()}
 * and {@link #updateTcpChecksum()} to recompute them.
 *
 * @since 1.1
 */
@ProviderType
public interface RewritablePacket extends ParsedPacket {

    boolean setSequenceNumber(int sequenceNumber);

    boolean setAcknowledgementNumber(int acknowledgementNumber);

    /** @param window the raw 16-bit window field, as it goes on the wire */
    boolean setWindow(int window);

    /** Rewrites TSval and TSecr of the timestamps option. */
    boolean setTimestamps(int timestampValue, int timestampEchoReply);

    /** Rewrites SACK block {@code index} (0 to {@link #sackBlockCount()} - 1). */
    boolean setSackBlock(int index, int leftEdge, int rightEdge);

    boolean setSourcePort(int port);

    boolean setDestinationPort(int port);

    boolean setSourceIpv4(int address);

    boolean setDestinationIpv4(int address);

    /** @param mac the address in the low 48 bits */
    boolean setSourceMac(long mac);

    /** @param mac the address in the low 48 bits */
    boolean setDestinationMac(long mac);

    /**
     * Overwrites every option that cannot be carried across a translation (TCP-MD5, TCP-AO,
     * MPTCP, Fast Open and unknown kinds) with NOPs.
     *
     * @return how many options were overwritten
     */
    int replaceUnknownOptionsWithNops();

    /** Recomputes the IPv4 header checksum; {@code false} for IPv6, which has none. */
    boolean updateIpv4HeaderChecksum();

    /** Recomputes the TCP checksum over the pseudo-header and the segment. */
    boolean updateTcpChecksum();

    /**
     * Updates the IPv4 header checksum by what the setters changed since the parse (RFC 1624),
     * reading nothing else; {@code false} for IPv6, which has none.
     *
     * @since 1.2
     */
    boolean adjustIpv4HeaderChecksum();

    /**
     * Updates the TCP checksum by what the setters changed since the parse (RFC 1624), without
     * reading the payload. Unlike {@link #updateTcpChecksum()}, a checksum that was wrong stays
     * exactly as wrong: a segment damaged before it was captured, which its receiver would have
     * dropped, is dropped by the next receiver too, as Linux's NAT does it.
     *
     * @since 1.2
     */
    boolean adjustTcpChecksum();

    /**
     * Whether the TCP checksum field holds exactly the pseudo-header's sum: the partial checksum
     * of a sender with checksum offload (seen on a veth or a bridge) or of a segment that GRO
     * merged on the capturing interface, which a NIC or the receiving stack completes. Such a
     * checksum is to be completed ({@link #updateTcpChecksum()}), not carried. Ask before an
     * address is changed: the pseudo-header holds them.
     *
     * @since 1.2
     */
    boolean isTcpChecksumPartial();
}
