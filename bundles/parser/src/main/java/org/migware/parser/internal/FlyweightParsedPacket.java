package org.migware.parser.internal;

import org.migware.api.packet.ParseResult;
import org.migware.api.packet.ParsedPacket;
import org.migware.api.packet.RewritablePacket;
import org.migware.api.wire.EthernetHeader;
import org.migware.api.wire.InternetChecksum;
import org.migware.api.wire.Ipv4Header;
import org.migware.api.wire.TcpHeader;
import org.migware.api.wire.TcpOption;

/**
 * A reusable, zero-allocation view of one Ethernet frame down to its TCP options, and the
 * in-place rewriting the proxy needs.
 *
 * <p>It composes one flyweight view per header, the Aeron way: {@link EthernetView} (with the
 * 802.1Q tags), {@link Ipv4View} or {@link Ipv6View}, {@link TcpView} and
 * {@link TcpOptionsView}; each holds its header's diagram, reads and writes, and the offsets it
 * found, while the frame's bytes stay here and are handed to each call. This class walks them in
 * order, remembers what the walk reached, and answers {@link ParsedPacket} and
 * {@link RewritablePacket} with the defaults documented on {@link #parse} for what it did not.
 *
 * <p>{@link #parse(byte[], int, int)} walks the headers once, checks every length before it
 * reads, and remembers only offsets and the few option values it had to decode to validate
 * them. Every other field is read from the frame when asked for, so what a setter wrote is
 * what the next getter returns. No input makes it throw: a damaged frame yields a
 * {@link ParseResult} that says why.
 *
 * <p>The setters and checksum methods are for the proxy, which owns the frame it rewrites. They
 * write only into the parsed frame's bytes, so they too allocate nothing. A setter does not
 * touch the checksums, but it remembers what it changed: after the last change, call
 * {@link #adjustIpv4HeaderChecksum()} and {@link #adjustTcpChecksum()} to carry the change into
 * the checksums (RFC 1624), which keeps a checksum that was wrong exactly as wrong, or
 * {@link #updateIpv4HeaderChecksum()} and {@link #updateTcpChecksum()} to recompute them.
 *
 * <p>Not thread-safe: keep one view per thread.
 */
public final class FlyweightParsedPacket implements RewritablePacket {

    /** See {@link EthernetView#MAX_VLAN_TAGS}. */
    public static final int MAX_VLAN_TAGS = EthernetView.MAX_VLAN_TAGS;

    /** See {@link Ipv6View#MAX_EXTENSION_HEADERS}. */
    public static final int MAX_IPV6_EXTENSION_HEADERS = Ipv6View.MAX_EXTENSION_HEADERS;

    /** RFC 7323 §2.3: a larger shift count is used as 14, so {@link #windowScale()} reports 14. */
    public static final int MAX_WINDOW_SCALE = TcpOption.MAX_WINDOW_SCALE;

    /** RFC 2018: a SACK option carries 1 to 4 blocks (40 option bytes leave room for 4). */
    public static final int MAX_SACK_BLOCKS = TcpOption.MAX_SACK_BLOCKS;

    /** Bound to an unbound view and to a null frame, so that {@link #buffer()} is never null. */
    private static final byte[] NO_BYTES = new byte[0];

    private final EthernetView ethernet = new EthernetView();
    private final Ipv4View ipv4 = new Ipv4View();
    private final Ipv6View ipv6 = new Ipv6View();
    private final TcpOptionsView options = new TcpOptionsView();
    private final TcpView tcp = new TcpView(options);

    // ---- the frame ----

    /**
     * The frame's bytes, held here only and handed to each view's call: binding a frame is one
     * reference store per packet, and each read is one load away from the bytes. Views that
     * held the array themselves (one store each, with its GC barrier) or shared a holder (one
     * more dependent load per read) made the parser + tracker 16 % slower (JMH, README).
     */
    private byte[] buffer = NO_BYTES;
    private int frameOffset;
    private int frameLength;
    /** frameOffset + frameLength: no read may reach it. */
    private int frameEnd;
    private ParseResult result = ParseResult.TRUNCATED_ETHERNET;

    // ---- how far the walk got; reset by every parse ----

    /** 4 or 6 once that IP header was found sound, else 0: the IP accessors answer from then on. */
    private int ipVersion;
    private int ipOffset;
    /** Where the IP packet ends by its own length field; may lie beyond frameEnd (snaplen). */
    private int ipEnd;
    /** Header and options sound: the TCP accessors answer. */
    private boolean tcpValid;
    /** The TCP header's offset once {@code tcpValid}: the hot field reads go straight to the bytes. */
    private int tcpOffset;

    // ---- what the setters changed since the parse, in one's-complement sums of (new - old) ----

    /** Over the IPv4 header: its addresses. */
    private int ipv4HeaderChange;
    /** Over what the TCP checksum covers: the pseudo-header's addresses, the TCP header and its options. */
    private int tcpChange;

    /** Makes an unbound view: its result is {@link ParseResult#TRUNCATED_ETHERNET} over no bytes. */
    public FlyweightParsedPacket() {
        reset(NO_BYTES, 0, 0);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Never throws. A {@code null} frame is taken as empty, and an offset or length that
     * does not fit the array is clamped to the bytes that exist (an offset outside the array
     * binds an empty range), so that {@link #frameLength()} says what was really parsed.
     *
     * <p>For a field the walk did not reach, the accessors return: {@code -1} for offsets,
     * ports, the window, {@link #etherType()}, {@link #outerVlanId()}, {@link #mss()},
     * {@link #windowScale()} and the MAC addresses; {@code 0} for counts, lengths, flags,
     * {@link #ipVersion()}, addresses, sequence numbers, timestamps and SACK edges;
     * {@code false} for the booleans. IP accessors are valid once the IP header was read (also
     * for {@link ParseResult#NOT_TCP}, {@link ParseResult#FRAGMENT} and TCP-level errors); TCP
     * accessors only for {@link ParseResult#TCP}.
     */
    @Override
    public ParseResult parse(byte[] frame, int offset, int length) {
        byte[] bytes = frame == null ? NO_BYTES : frame;
        int start = offset < 0 || offset > bytes.length ? 0 : offset;
        int boundedLength = offset < 0 || offset > bytes.length || length < 0 ? 0 : Math.min(length, bytes.length - start);
        reset(bytes, start, boundedLength);
        return result = walk();
    }

    private void reset(byte[] bytes, int start, int length) {
        buffer = bytes;
        frameOffset = start;
        frameLength = length;
        frameEnd = start + length;
        result = ParseResult.TRUNCATED_ETHERNET;
        ipVersion = 0;
        ipOffset = -1;
        ipEnd = -1;
        tcpValid = false;
        tcpOffset = -1;
        ipv4HeaderChange = 0;
        tcpChange = 0;
        ethernet.reset(start, length);
        options.reset();
    }

    private ParseResult walk() {
        ParseResult link = ethernet.parse(buffer);
        if (link != ParseResult.NOT_IP) {
            return link;
        }
        int network = ethernet.networkOffset();
        if (ethernet.etherType() == EthernetHeader.TYPE_IPV4) {
            return walkIpv4(network);
        }
        if (ethernet.etherType() == EthernetHeader.TYPE_IPV6) {
            return walkIpv6(network);
        }
        return ParseResult.NOT_IP;
    }

    private ParseResult walkIpv4(int network) {
        ParseResult header = ipv4.parseHeader(buffer, network, frameEnd);
        if (header != ParseResult.TCP) {
            return header;
        }
        // from here the header is sound: addresses are valid whatever comes next
        ipVersion = 4;
        ipOffset = network;
        ipEnd = ipv4.packetEnd();
        ParseResult payload = ipv4.payload(buffer);
        return payload == ParseResult.TCP ? walkTcp(ipv4.payloadOffset()) : payload;
    }

    private ParseResult walkIpv6(int network) {
        ParseResult header = ipv6.parseHeader(buffer, network, frameEnd);
        if (header != ParseResult.TCP) {
            return header;
        }
        ipVersion = 6;
        ipOffset = network;
        ipEnd = ipv6.packetEnd();
        ParseResult extensions = ipv6.walkExtensions(buffer, frameEnd);
        return extensions == ParseResult.TCP ? walkTcp(ipv6.upperLayerOffset()) : extensions;
    }

    private ParseResult walkTcp(int tcpOffset) {
        ParseResult segment = tcp.parse(buffer, tcpOffset, ipEnd, frameEnd);
        tcpValid = segment == ParseResult.TCP;
        if (tcpValid) {
            this.tcpOffset = tcpOffset;
        }
        return segment;
    }

    // ---- frame ----

    @Override
    public ParseResult result() {
        return result;
    }

    /** @return the frame array of the last parse; an empty array before the first parse or after a {@code null} frame */
    @Override
    public byte[] buffer() {
        return buffer;
    }

    @Override
    public int frameOffset() {
        return frameOffset;
    }

    @Override
    public int frameLength() {
        return frameLength;
    }

    // ---- Ethernet ----

    @Override
    public long destinationMac() {
        return ethernet.destinationMac(buffer);
    }

    @Override
    public long sourceMac() {
        return ethernet.sourceMac(buffer);
    }

    @Override
    public int vlanTagCount() {
        return ethernet.vlanTagCount();
    }

    @Override
    public int outerVlanId() {
        return ethernet.outerVlanId();
    }

    @Override
    public int etherType() {
        return ethernet.etherType();
    }

    // ---- IP ----

    @Override
    public int ipVersion() {
        return ipVersion;
    }

    /** @return offset of the IP header in {@link #buffer()}, or -1 when no IP header was read */
    @Override
    public int ipOffset() {
        return ipOffset;
    }

    @Override
    public long sourceAddressHigh() {
        return ipVersion == 6 ? ipv6.sourceHigh(buffer) : 0L;
    }

    @Override
    public long sourceAddressLow() {
        if (ipVersion == 4) {
            return Ipv4View.mapped(Ipv4View.source(buffer, ipOffset));
        }
        return ipVersion == 6 ? ipv6.sourceLow(buffer) : 0L;
    }

    @Override
    public long destinationAddressHigh() {
        return ipVersion == 6 ? ipv6.destinationHigh(buffer) : 0L;
    }

    @Override
    public long destinationAddressLow() {
        if (ipVersion == 4) {
            return Ipv4View.mapped(Ipv4View.destination(buffer, ipOffset));
        }
        return ipVersion == 6 ? ipv6.destinationLow(buffer) : 0L;
    }

    @Override
    public int sourceIpv4() {
        return ipVersion == 4 ? Ipv4View.source(buffer, ipOffset) : 0;
    }

    @Override
    public int destinationIpv4() {
        return ipVersion == 4 ? Ipv4View.destination(buffer, ipOffset) : 0;
    }

    /** @return whether the packet is any IPv4 fragment (first or not) or carried an IPv6 fragment header */
    @Override
    public boolean isFragmented() {
        return ipVersion == 4 ? ipv4.isFragmented() : ipVersion == 6 && ipv6.isFragmented();
    }

    @Override
    public boolean hasIpv4Options() {
        return ipVersion == 4 && ipv4.hasOptions(buffer);
    }

    @Override
    public int ipEcn() {
        if (ipVersion == 4) {
            return ipv4.ecn(buffer);
        }
        return ipVersion == 6 ? ipv6.ecn(buffer) : 0;
    }

    // ---- TCP ----

    /** @return offset of the TCP header in {@link #buffer()}, or -1 unless the result is TCP */
    @Override
    public int tcpOffset() {
        return tcpValid ? tcpOffset : -1;
    }

    @Override
    public int tcpHeaderLength() {
        return tcpValid ? tcp.headerLength() : 0;
    }

    @Override
    public int sourcePort() {
        return tcpValid ? TcpView.sourcePort(buffer, tcpOffset) : -1;
    }

    @Override
    public int destinationPort() {
        return tcpValid ? TcpView.destinationPort(buffer, tcpOffset) : -1;
    }

    @Override
    public int sequenceNumber() {
        return tcpValid ? TcpView.sequenceNumber(buffer, tcpOffset) : 0;
    }

    @Override
    public int acknowledgementNumber() {
        return tcpValid ? TcpView.acknowledgementNumber(buffer, tcpOffset) : 0;
    }

    @Override
    public int flags() {
        return tcpValid ? TcpView.flags(buffer, tcpOffset) : 0;
    }

    @Override
    public boolean hasFlags(int mask) {
        return (flags() & mask) == mask;
    }

    @Override
    public int window() {
        return tcpValid ? TcpView.window(buffer, tcpOffset) : -1;
    }

    /** @return offset of the TCP payload in {@link #buffer()}, or -1 unless the result is TCP */
    @Override
    public int payloadOffset() {
        return tcpValid ? tcpOffset + tcp.headerLength() : -1;
    }

    @Override
    public int payloadLength() {
        return tcpValid ? ipEnd - tcpOffset - tcp.headerLength() : 0;
    }

    @Override
    public int capturedPayloadLength() {
        return tcpValid ? Math.min(ipEnd, frameEnd) - tcpOffset - tcp.headerLength() : 0;
    }

    // ---- TCP options ----

    @Override
    public int mss() {
        return tcpValid ? options.mss() : -1;
    }

    /** @return the window-scale shift count, at most {@link #MAX_WINDOW_SCALE} (RFC 7323 §2.3), or -1 when absent */
    @Override
    public int windowScale() {
        return tcpValid ? options.windowScale() : -1;
    }

    @Override
    public boolean sackPermitted() {
        return tcpValid && options.sackPermitted();
    }

    @Override
    public boolean hasTimestamps() {
        return tcpValid && options.hasTimestamps();
    }

    @Override
    public int timestampValue() {
        return hasTimestamps() ? options.timestampValue(buffer) : 0;
    }

    @Override
    public int timestampEchoReply() {
        return hasTimestamps() ? options.timestampEchoReply(buffer) : 0;
    }

    @Override
    public int timestampOptionOffset() {
        return tcpValid ? options.timestampOptionOffset() : -1;
    }

    @Override
    public int sackBlockCount() {
        return tcpValid ? options.sackBlockCount() : 0;
    }

    /** @return left edge of SACK block {@code index}, or 0 when there is no such block */
    @Override
    public int sackBlockLeft(int index) {
        return hasSackBlock(index) ? options.sackBlockLeft(buffer, index) : 0;
    }

    /** @return right edge of SACK block {@code index}, or 0 when there is no such block */
    @Override
    public int sackBlockRight(int index) {
        return hasSackBlock(index) ? options.sackBlockRight(buffer, index) : 0;
    }

    private boolean hasSackBlock(int index) {
        return tcpValid && options.hasSackBlock(index);
    }

    @Override
    public int sackOptionOffset() {
        return tcpValid ? options.sackOptionOffset() : -1;
    }

    @Override
    public boolean hasAuthenticationOption() {
        return tcpValid && options.hasAuthenticationOption();
    }

    @Override
    public boolean hasMultipathOption() {
        return tcpValid && options.hasMultipathOption();
    }

    @Override
    public boolean hasFastOpenOption() {
        return tcpValid && options.hasFastOpenOption();
    }

    /**
     * {@inheritDoc}
     *
     * <p>As the API defines it, this includes TCP-MD5, TCP-AO, MPTCP and Fast Open: everything
     * that {@link #replaceUnknownOptionsWithNops()} would overwrite.
     */
    @Override
    public boolean hasUnknownOptions() {
        return tcpValid && options.hasUnknownOptions();
    }

    // ---- in-place rewriting, for the proxy: each returns false, writing nothing, when its field is not there ----

    @Override
    public boolean setSequenceNumber(int sequenceNumber) {
        if (!tcpValid) {
            return false;
        }
        int before = tcpSum(TcpHeader.SEQUENCE_OFFSET, Integer.BYTES);
        TcpView.setSequenceNumber(buffer, tcpOffset, sequenceNumber);
        tcpChanged(before, TcpHeader.SEQUENCE_OFFSET, Integer.BYTES);
        return true;
    }

    @Override
    public boolean setAcknowledgementNumber(int acknowledgementNumber) {
        if (!tcpValid) {
            return false;
        }
        int before = tcpSum(TcpHeader.ACKNOWLEDGEMENT_OFFSET, Integer.BYTES);
        TcpView.setAcknowledgementNumber(buffer, tcpOffset, acknowledgementNumber);
        tcpChanged(before, TcpHeader.ACKNOWLEDGEMENT_OFFSET, Integer.BYTES);
        return true;
    }

    /** @return false, writing nothing, also when the window is outside 0 to 65535 (the caller clamps a rescaled one) */
    @Override
    public boolean setWindow(int window) {
        if (!tcpValid || window < 0 || window > 0xffff) {
            return false;
        }
        int before = tcpSum(TcpHeader.WINDOW_OFFSET, Short.BYTES);
        TcpView.setWindow(buffer, tcpOffset, window);
        tcpChanged(before, TcpHeader.WINDOW_OFFSET, Short.BYTES);
        return true;
    }

    @Override
    public boolean setTimestamps(int timestampValue, int timestampEchoReply) {
        if (!hasTimestamps()) {
            return false;
        }
        int before = optionsSum();
        options.setTimestamps(buffer, timestampValue, timestampEchoReply);
        optionsChanged(before);
        return true;
    }

    @Override
    public boolean setSackBlock(int index, int leftEdge, int rightEdge) {
        if (!hasSackBlock(index)) {
            return false;
        }
        int before = optionsSum();
        options.setSackBlock(buffer, index, leftEdge, rightEdge);
        optionsChanged(before);
        return true;
    }

    /** @return false, writing nothing, also when the port is outside 0 to 65535 */
    @Override
    public boolean setSourcePort(int port) {
        if (!tcpValid || port < 0 || port > 0xffff) {
            return false;
        }
        int before = tcpSum(TcpHeader.SOURCE_PORT_OFFSET, Short.BYTES);
        TcpView.setSourcePort(buffer, tcpOffset, port);
        tcpChanged(before, TcpHeader.SOURCE_PORT_OFFSET, Short.BYTES);
        return true;
    }

    /** @return false, writing nothing, also when the port is outside 0 to 65535 */
    @Override
    public boolean setDestinationPort(int port) {
        if (!tcpValid || port < 0 || port > 0xffff) {
            return false;
        }
        int before = tcpSum(TcpHeader.DESTINATION_PORT_OFFSET, Short.BYTES);
        TcpView.setDestinationPort(buffer, tcpOffset, port);
        tcpChanged(before, TcpHeader.DESTINATION_PORT_OFFSET, Short.BYTES);
        return true;
    }

    @Override
    public boolean setSourceIpv4(int address) {
        if (ipVersion != 4) {
            return false;
        }
        int before = ipv4Sum(Ipv4Header.SOURCE_OFFSET, Ipv4Header.ADDRESS_LENGTH);
        Ipv4View.setSource(buffer, ipOffset, address);
        ipv4AddressChanged(before, Ipv4Header.SOURCE_OFFSET);
        return true;
    }

    @Override
    public boolean setDestinationIpv4(int address) {
        if (ipVersion != 4) {
            return false;
        }
        int before = ipv4Sum(Ipv4Header.DESTINATION_OFFSET, Ipv4Header.ADDRESS_LENGTH);
        Ipv4View.setDestination(buffer, ipOffset, address);
        ipv4AddressChanged(before, Ipv4Header.DESTINATION_OFFSET);
        return true;
    }

    @Override
    public boolean setSourceMac(long mac) {
        return ethernet.setSourceMac(buffer, mac);
    }

    @Override
    public boolean setDestinationMac(long mac) {
        return ethernet.setDestinationMac(buffer, mac);
    }

    /**
     * Overwrites every option other than EOL, NOP, MSS, window scale, SACK-permitted, SACK and
     * timestamps with NOPs, keeping the header's length and every other option's offset. Why:
     * a translated segment must not replay options whose meaning is bound to the original
     * connection (Fast Open cookies, MPTCP keys, MD5/AO digests).
     *
     * @return how many options were overwritten; 0 unless the result is TCP
     */
    @Override
    public int replaceUnknownOptionsWithNops() {
        if (!tcpValid) {
            return 0;
        }
        int before = optionsSum();
        int replaced = options.replaceUnknownOptionsWithNops(buffer);
        optionsChanged(before);
        return replaced;
    }

    // ---- checksums (RFC 1071 one's-complement sums, from the wire package) ----

    /**
     * Recomputes the IPv4 header checksum over the header and its options.
     *
     * @return false, writing nothing, unless an IPv4 header was read
     */
    @Override
    public boolean updateIpv4HeaderChecksum() {
        if (ipVersion != 4) {
            return false;
        }
        ipv4.updateHeaderChecksum(buffer);
        return true;
    }

    /**
     * Carries what the setters changed in the IPv4 header since the parse into its checksum (RFC
     * 1624 eqn. 3), reading nothing else: a checksum that was right stays right, one that was
     * wrong stays exactly as wrong.
     *
     * @return false, writing nothing, unless an IPv4 header was read
     */
    @Override
    public boolean adjustIpv4HeaderChecksum() {
        if (ipVersion != 4) {
            return false;
        }
        adjust(ipOffset + Ipv4Header.CHECKSUM_OFFSET, ipv4HeaderChange);
        ipv4HeaderChange = 0;
        return true;
    }

    /** @return whether an IPv4 header was read and its checksum is right */
    public boolean isIpv4HeaderChecksumValid() {
        return ipVersion == 4 && ipv4.isHeaderChecksumValid(buffer);
    }

    /**
     * Recomputes the TCP checksum over the IPv4 or IPv6 pseudo-header, the header and the
     * payload.
     *
     * @return false, writing nothing, when it cannot be computed: the result is not TCP, the
     *     capture cut the segment short, or an IPv6 routing header sends the packet on to a
     *     final destination that the pseudo-header would have to name
     */
    @Override
    public boolean updateTcpChecksum() {
        if (!canChecksumTcp()) {
            return false;
        }
        tcp.updateChecksum(buffer, pseudoHeaderSum());
        return true;
    }

    /**
     * Carries what the setters changed since the parse (addresses, ports, sequence numbers,
     * window, options) into the TCP checksum (RFC 1624 eqn. 3), without reading the payload. A
     * segment damaged before it was captured, which its receiver would have dropped, keeps a
     * checksum exactly as wrong, so the replica drops it too and the client sends it again; a
     * recomputed checksum would have made the damage valid. Works on a segment the capture cut
     * short as well.
     *
     * @return false, writing nothing, unless the result is TCP
     */
    @Override
    public boolean adjustTcpChecksum() {
        if (!tcpValid) {
            return false;
        }
        adjust(tcpOffset + TcpHeader.CHECKSUM_OFFSET, tcpChange);
        tcpChange = 0;
        return true;
    }

    /**
     * @return whether the TCP checksum field holds exactly the pseudo-header's sum (Linux writes
     *     the folded sum itself for an offloading device: tcp_v4_send_check, tcp_gro_complete)
     */
    @Override
    public boolean isTcpChecksumPartial() {
        if (!tcpValid || ipVersion == 6 && ipv6.isRoutedOnward()) {
            return false;
        }
        int at = tcpOffset + TcpHeader.CHECKSUM_OFFSET;
        int field = (buffer[at] & 0xff) << 8 | buffer[at + 1] & 0xff;
        return field == pseudoHeaderSum();
    }

    /** @return whether the whole segment was captured and its TCP checksum is right */
    public boolean isTcpChecksumValid() {
        return canChecksumTcp() && tcp.isChecksumValid(buffer, pseudoHeaderSum());
    }

    private boolean canChecksumTcp() {
        return tcpValid && ipEnd <= frameEnd && !(ipVersion == 6 && ipv6.isRoutedOnward());
    }

    // ---- remembering changes for the adjust methods: sums of bytes placed as a checksum reads them ----

    /**
     * The one's-complement sum of {@code length} bytes at {@code at}, each placed as it falls in a
     * checksum whose 16-bit words start at {@code base}: the high byte of a word at an even distance,
     * the low byte at an odd one (an option may start at any byte). Not folded.
     */
    private int placedSum(int at, int length, int base) {
        int sum = 0;
        for (int k = at; k < at + length; k++) {
            int value = buffer[k] & 0xff;
            sum += ((k - base) & 1) == 0 ? value << 8 : value;
        }
        return sum;
    }

    /** The TCP header's words start at its first byte; the pseudo-header before it is 12 or 40 bytes, even. */
    private int tcpSum(int offsetInHeader, int length) {
        return placedSum(tcpOffset + offsetInHeader, length, tcpOffset);
    }

    private void tcpChanged(int before, int offsetInHeader, int length) {
        tcpChange += difference(before, tcpSum(offsetInHeader, length));
    }

    private int optionsSum() {
        return tcpSum(TcpHeader.MIN_HEADER_LENGTH, tcp.headerLength() - TcpHeader.MIN_HEADER_LENGTH);
    }

    private void optionsChanged(int before) {
        tcpChanged(before, TcpHeader.MIN_HEADER_LENGTH, tcp.headerLength() - TcpHeader.MIN_HEADER_LENGTH);
    }

    private int ipv4Sum(int offsetInHeader, int length) {
        return placedSum(ipOffset + offsetInHeader, length, ipOffset);
    }

    /**
     * An address is in the IPv4 header and in the TCP pseudo-header, where it lies at the same
     * parity (the pseudo-header starts with the source address, 12 bytes into the IP header).
     */
    private void ipv4AddressChanged(int before, int offsetInHeader) {
        int change = difference(before, ipv4Sum(offsetInHeader, Ipv4Header.ADDRESS_LENGTH));
        ipv4HeaderChange += change;
        if (tcpValid) {
            tcpChange += change;
        }
    }

    /** ~m + m' of RFC 1624, folded: at most 0x1fffe, so some thousands of them fit an int. */
    private static int difference(int before, int after) {
        return (~InternetChecksum.fold(before) & 0xffff) + InternetChecksum.fold(after);
    }

    /** RFC 1624 eqn. 3: HC' = ~(~HC + (~m + m')). */
    private void adjust(int checksumAt, int change) {
        int old = (buffer[checksumAt] & 0xff) << 8 | buffer[checksumAt + 1] & 0xff;
        int adjusted = ~InternetChecksum.fold((~old & 0xffff) + (long) change) & 0xffff;
        buffer[checksumAt] = (byte) (adjusted >>> 8);
        buffer[checksumAt + 1] = (byte) adjusted;
    }

    private int pseudoHeaderSum() {
        return ipVersion == 4 ? ipv4.tcpPseudoHeaderSum(buffer, tcpOffset) : ipv6.tcpPseudoHeaderSum(buffer, tcpOffset);
    }

    /** @return the result and, for TCP, the ports; for logs and test failures, not the hot path */
    @Override
    public String toString() {
        return tcpValid
                ? "FlyweightParsedPacket[TCP " + sourcePort() + " -> " + destinationPort() + ", seq " + Integer.toUnsignedString(sequenceNumber()) + "]"
                : "FlyweightParsedPacket[" + result + "]";
    }
}
