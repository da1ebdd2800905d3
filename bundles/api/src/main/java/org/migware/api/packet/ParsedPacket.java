package org.migware.api.packet;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A reusable, zero-allocation view of one Ethernet frame down to its TCP options.
 *
 * <p>{@link #parse(byte[], int, int)} points the view at a frame and reads its headers; the
 * accessors then read fields of that frame until the next call. Nothing is copied and nothing
 * is allocated, so one view per thread serves every packet. A view is not thread-safe.
 *
 * <p>Addresses are 128-bit: an IPv4 address {@code a.b.c.d} is given as the IPv4-mapped IPv6
 * address {@code ::ffff:a.b.c.d}, i.e. high word {@code 0} and low word
 * {@code 0x0000_ffff_0000_0000L | (ipv4 & 0xffff_ffffL)}, so one key type covers both families.
 *
 * <p>Sequence and acknowledgement numbers and timestamps are unsigned 32-bit values returned
 * in an {@code int}; compare them with modular arithmetic only.
 */
@ProviderType
public interface ParsedPacket {

    /** TCP flag bits as in the header's low byte (and NS in bit 8). */
    int FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20, ECE = 0x40, CWR = 0x80;

    /**
     * Points the view at a frame and parses it.
     *
     * @return {@link ParseResult#TCP} when every TCP accessor is valid, otherwise why not
     */
    ParseResult parse(byte[] frame, int offset, int length);

    /** @return the result of the last {@link #parse} */
    ParseResult result();

    /** @return the frame array of the last parse (valid while its owner keeps it) */
    byte[] buffer();

    /** @return the offset of the Ethernet header in {@link #buffer()} */
    int frameOffset();

    /** @return the captured length of the frame */
    int frameLength();

    // ---- Ethernet ----

    /** @return destination MAC address in the low 48 bits */
    long destinationMac();

    /** @return source MAC address in the low 48 bits */
    long sourceMac();

    /** @return the number of 802.1Q / 802.1ad tags walked (0 when untagged) */
    int vlanTagCount();

    /** @return the VLAN id of the outermost tag, or -1 when untagged */
    int outerVlanId();

    /** @return the EtherType after the VLAN tags */
    int etherType();

    // ---- IP ----

    /** @return 4 or 6 when an IP header was read, else 0 */
    int ipVersion();

    /** @return offset of the IP header in {@link #buffer()} */
    int ipOffset();

    /** @return high 64 bits of the source address (0 for IPv4) */
    long sourceAddressHigh();

    /** @return low 64 bits of the source address (IPv4-mapped for IPv4) */
    long sourceAddressLow();

    /** @return high 64 bits of the destination address (0 for IPv4) */
    long destinationAddressHigh();

    /** @return low 64 bits of the destination address (IPv4-mapped for IPv4) */
    long destinationAddressLow();

    /** @return the IPv4 source address as an int, valid when {@link #ipVersion()} is 4 */
    int sourceIpv4();

    /** @return the IPv4 destination address as an int, valid when {@link #ipVersion()} is 4 */
    int destinationIpv4();

    /** @return whether the IPv4 packet is a first fragment (MF set, offset 0) or carried an IPv6 fragment header */
    boolean isFragmented();

    /** @return whether the IPv4 header carried options */
    boolean hasIpv4Options();

    /** @return the two ECN bits of the IP header */
    int ipEcn();

    // ---- TCP ----

    /** @return offset of the TCP header in {@link #buffer()} */
    int tcpOffset();

    /** @return TCP header length in bytes, options included */
    int tcpHeaderLength();

    int sourcePort();

    int destinationPort();

    /** @return the sequence number, unsigned 32-bit */
    int sequenceNumber();

    /** @return the acknowledgement number, unsigned 32-bit */
    int acknowledgementNumber();

    /** @return the flag bits, see {@link #SYN} and friends */
    int flags();

    /** @return whether every bit of {@code mask} is set in {@link #flags()} */
    boolean hasFlags(int mask);

    /** @return the window field as sent, not scaled */
    int window();

    /** @return offset of the TCP payload in {@link #buffer()} */
    int payloadOffset();

    /**
     * @return payload length as the IP header announces it (it may exceed the captured bytes
     *     when the snapshot length cut the frame)
     */
    int payloadLength();

    /** @return payload bytes actually present in the captured frame */
    int capturedPayloadLength();

    // ---- TCP options ----

    /** @return the MSS option's value, or -1 when absent */
    int mss();

    /** @return the window-scale option's shift count, or -1 when absent */
    int windowScale();

    /** @return whether the SACK-permitted option is present */
    boolean sackPermitted();

    /** @return whether the timestamps option is present */
    boolean hasTimestamps();

    /** @return TSval, unsigned 32-bit; valid when {@link #hasTimestamps()} */
    int timestampValue();

    /** @return TSecr, unsigned 32-bit; valid when {@link #hasTimestamps()} */
    int timestampEchoReply();

    /** @return offset in {@link #buffer()} of the timestamps option's kind byte, or -1 */
    int timestampOptionOffset();

    /** @return the number of SACK blocks (0 to 4) */
    int sackBlockCount();

    /** @return left edge of SACK block {@code index}, unsigned 32-bit */
    int sackBlockLeft(int index);

    /** @return right edge of SACK block {@code index}, unsigned 32-bit */
    int sackBlockRight(int index);

    /** @return offset in {@link #buffer()} of the SACK option's kind byte, or -1 */
    int sackOptionOffset();

    /** @return whether a TCP-MD5 (kind 19) or TCP-AO (kind 29) option is present: such segments cannot be translated */
    boolean hasAuthenticationOption();

    /** @return whether an MPTCP (kind 30) option is present */
    boolean hasMultipathOption();

    /** @return whether a TCP Fast Open (kind 34) option is present */
    boolean hasFastOpenOption();

    /** @return whether any option other than EOL, NOP, MSS, WS, SACK-permitted, SACK and timestamps is present */
    boolean hasUnknownOptions();
}
