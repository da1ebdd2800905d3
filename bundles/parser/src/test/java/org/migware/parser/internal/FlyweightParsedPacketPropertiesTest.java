package org.migware.parser.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.migware.api.packet.ParseResult;
import org.migware.testing.FrameBuilder.Extension;
import org.migware.testing.FrameBuilder.TcpOptions;
import org.migware.testing.FrameBuilder;
import org.migware.testing.TestBytes;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Round trips through {@link FrameBuilder}: whatever field values go in come back out, any cut
 * of a valid frame gives exactly the result its position predicts, and rewriting leaves
 * checksums that the test's own reference sum accepts.
 */
class FlyweightParsedPacketPropertiesTest {

    private final FlyweightParsedPacket view = new FlyweightParsedPacket();

    @Property(tries = 1000)
    void builtFrameParsesBack(@ForAll("frames") FrameBuilder builder) {
        byte[] frame = builder.build();
        assertEquals(ParseResult.TCP, view.parse(frame, 0, frame.length), builder::toString);

        assertEquals(builder.destinationMac, view.destinationMac());
        assertEquals(builder.sourceMac, view.sourceMac());
        assertEquals(builder.vlanTags.size(), view.vlanTagCount());
        assertEquals(builder.vlanTags.isEmpty() ? -1 : builder.vlanTags.get(0)[1] & 0xfff, view.outerVlanId());
        assertEquals(builder.ipVersion == 4 ? 0x0800 : 0x86dd, view.etherType());
        assertEquals(builder.ipVersion, view.ipVersion());
        assertEquals(builder.ipOffset, view.ipOffset());
        assertEquals(builder.ecn, view.ipEcn());
        if (builder.ipVersion == 4) {
            assertEquals(builder.sourceIpv4, view.sourceIpv4());
            assertEquals(builder.destinationIpv4, view.destinationIpv4());
            assertEquals(0L, view.sourceAddressHigh());
            assertEquals(0xffff_0000_0000L | builder.sourceIpv4 & 0xffff_ffffL, view.sourceAddressLow());
            assertEquals(0xffff_0000_0000L | builder.destinationIpv4 & 0xffff_ffffL, view.destinationAddressLow());
            assertEquals(builder.ipv4Options.length > 0, view.hasIpv4Options());
            assertEquals((builder.ipv4FlagsAndFragment & 0x2000) != 0, view.isFragmented());
            assertTrue(view.isIpv4HeaderChecksumValid());
        } else {
            assertEquals(builder.sourceHigh, view.sourceAddressHigh());
            assertEquals(builder.sourceLow, view.sourceAddressLow());
            assertEquals(builder.destinationHigh, view.destinationAddressHigh());
            assertEquals(builder.destinationLow, view.destinationAddressLow());
            assertEquals(builder.extensions.stream().anyMatch(e -> e.type() == 44), view.isFragmented());
        }

        assertEquals(builder.tcpOffset, view.tcpOffset());
        assertEquals(builder.payloadOffset - builder.tcpOffset, view.tcpHeaderLength());
        assertEquals(builder.sourcePort, view.sourcePort());
        assertEquals(builder.destinationPort, view.destinationPort());
        assertEquals(builder.sequenceNumber, view.sequenceNumber());
        assertEquals(builder.acknowledgementNumber, view.acknowledgementNumber());
        assertEquals(builder.flags, view.flags());
        assertEquals(builder.window, view.window());
        assertEquals(builder.payloadOffset, view.payloadOffset());
        assertEquals(builder.payload.length, view.payloadLength());
        assertEquals(builder.payload.length, view.capturedPayloadLength());

        TcpOptions options = builder.options;
        int optionsStart = builder.tcpOffset + 20;
        assertEquals(options.mss, view.mss());
        assertEquals(options.windowScale, view.windowScale());
        assertEquals(options.sackPermitted, view.sackPermitted());
        assertEquals(options.timestampOffset >= 0, view.hasTimestamps());
        assertEquals(options.timestampOffset < 0 ? -1 : optionsStart + options.timestampOffset, view.timestampOptionOffset());
        if (options.timestampOffset >= 0) {
            assertEquals(options.timestampValue, view.timestampValue());
            assertEquals(options.timestampEchoReply, view.timestampEchoReply());
        }
        assertEquals(options.sackEdges.length / 2, view.sackBlockCount());
        assertEquals(options.sackOffset < 0 ? -1 : optionsStart + options.sackOffset, view.sackOptionOffset());
        for (int i = 0; i < options.sackEdges.length / 2; i++) {
            assertEquals(options.sackEdges[2 * i], view.sackBlockLeft(i));
            assertEquals(options.sackEdges[2 * i + 1], view.sackBlockRight(i));
        }
        assertEquals(options.authentication, view.hasAuthenticationOption());
        assertEquals(options.multipath, view.hasMultipathOption());
        assertEquals(options.fastOpen, view.hasFastOpenOption());
        assertEquals(options.unknown, view.hasUnknownOptions());

        assertTrue(view.isTcpChecksumValid(), "the builder's checksum, by the test's reference sum");
    }

    /**
     * A frame cut at any length gives exactly what the cut's position predicts: the layer it
     * falls in says which TRUNCATED_* (an IPv6 extension header cut short is an invalid chain),
     * and a cut in the payload or trailer is still TCP with fewer captured payload bytes.
     */
    @Property(tries = 1000)
    void anyCutOfAValidFrameIsPredictable(@ForAll("frames") FrameBuilder builder, @ForAll @IntRange(min = 0, max = 100_000) int cutSeed) {
        byte[] frame = builder.build();
        int length = cutSeed % (frame.length + 1);
        ParseResult result = view.parse(frame, 0, length);
        int ipOffset = builder.ipOffset;
        ParseResult expected;
        if (length < 14) {
            expected = ParseResult.TRUNCATED_ETHERNET;
        } else if (length < ipOffset) {
            expected = ParseResult.TRUNCATED_VLAN;
        } else if (builder.ipVersion == 4 && length < builder.tcpOffset) {
            expected = ParseResult.TRUNCATED_IPV4;
        } else if (builder.ipVersion == 6 && length < ipOffset + 40) {
            expected = ParseResult.TRUNCATED_IPV6;
        } else if (length < builder.tcpOffset) {
            expected = ParseResult.INVALID_IPV6_EXTENSION;
        } else if (length < builder.payloadOffset) {
            expected = ParseResult.TRUNCATED_TCP;
        } else {
            expected = ParseResult.TCP;
        }
        assertEquals(expected, result, () -> "cut at " + length + " of " + builder);
        if (result == ParseResult.TCP) {
            assertEquals(builder.payload.length, view.payloadLength());
            assertEquals(Math.min(length, builder.ipEnd) - builder.payloadOffset, view.capturedPayloadLength());
            assertEquals(builder.sequenceNumber, view.sequenceNumber());
            assertEquals(length >= builder.ipEnd, view.isTcpChecksumValid());
        } else {
            assertTrue(result.isMalformed());
        }
    }

    /** Every setter the proxy uses, with the given values; the same steps on any view give the same bytes. */
    private static void rewrite(FlyweightParsedPacket p, int sequence, int acknowledgement, int window, int timestampValue,
            int timestampEchoReply, int left, int right, int port, int address) {
        p.setSequenceNumber(sequence);
        p.setAcknowledgementNumber(acknowledgement);
        p.setWindow(window);
        p.setTimestamps(timestampValue, timestampEchoReply);
        if (p.sackBlockCount() > 0) {
            p.setSackBlock(p.sackBlockCount() - 1, left, right);
        }
        p.setSourcePort(port);
        p.setDestinationPort(port ^ 0x5555);
        p.setSourceIpv4(~address);
        p.setDestinationIpv4(address);
        p.replaceUnknownOptionsWithNops();
    }

    /** RFC 1624: the checksums carried through the rewrite equal the recomputed ones, byte for byte. */
    @Property(tries = 1000)
    void adjustedChecksumsEqualRecomputedOnes(@ForAll("frames") FrameBuilder builder,
            @ForAll int sequence, @ForAll int acknowledgement, @ForAll @IntRange(max = 0xffff) int window,
            @ForAll int timestampValue, @ForAll int timestampEchoReply, @ForAll int left, @ForAll int right,
            @ForAll @IntRange(max = 0xffff) int port, @ForAll int address) {
        byte[] adjusted = builder.build();
        byte[] recomputed = adjusted.clone();
        FlyweightParsedPacket other = new FlyweightParsedPacket();
        assertEquals(ParseResult.TCP, view.parse(adjusted, 0, adjusted.length));
        assertEquals(ParseResult.TCP, other.parse(recomputed, 0, recomputed.length));
        rewrite(view, sequence, acknowledgement, window, timestampValue, timestampEchoReply, left, right, port, address);
        rewrite(other, sequence, acknowledgement, window, timestampValue, timestampEchoReply, left, right, port, address);
        assertEquals(builder.ipVersion == 4, view.adjustIpv4HeaderChecksum());
        assertTrue(view.adjustTcpChecksum());
        other.updateIpv4HeaderChecksum();
        other.updateTcpChecksum();
        assertArrayEquals(recomputed, adjusted, builder::toString);
    }

    /** A partial checksum (an offloading sender's, or GRO's) is told apart from a right and from a wrong one. */
    @Property(tries = 300)
    void aPartialChecksumIsToldApart(@ForAll("frames") FrameBuilder builder) {
        byte[] frame = builder.build();
        assertEquals(ParseResult.TCP, view.parse(frame, 0, frame.length));
        int checksumAt = view.tcpOffset() + 16;
        int right = (frame[checksumAt] & 0xff) << 8 | frame[checksumAt + 1] & 0xff;
        int pseudo = builder.ipVersion == 4
                ? org.migware.api.wire.InternetChecksum.tcpIpv4PseudoHeaderSum(frame, view.ipOffset(), builder.ipEnd - view.tcpOffset())
                : org.migware.api.wire.InternetChecksum.tcpIpv6PseudoHeaderSum(frame, view.ipOffset(), builder.ipEnd - view.tcpOffset());
        net.jqwik.api.Assume.that(right != pseudo); // a right checksum that happens to equal it (1 in 65,536) says nothing
        // an IPv6 routing header may name another final destination, whose pseudo-header this is not
        net.jqwik.api.Assume.that(builder.extensions.stream().noneMatch(e -> e.type() == 43));
        assertFalse(view.isTcpChecksumPartial(), "a right checksum is not partial");
        frame[checksumAt] = (byte) (pseudo >>> 8);
        frame[checksumAt + 1] = (byte) pseudo;
        view.parse(frame, 0, frame.length);
        assertTrue(view.isTcpChecksumPartial(), "the pseudo-header's sum alone is partial");
        frame[checksumAt + 1] ^= 1;
        view.parse(frame, 0, frame.length);
        assertFalse(view.isTcpChecksumPartial(), "a wrong checksum is not partial");
    }

    /**
     * A segment damaged before the capture keeps a checksum exactly as wrong through the rewrite:
     * it is still refused, and putting the damaged byte back makes it valid again.
     */
    @Property(tries = 1000)
    void aWrongChecksumStaysExactlyAsWrong(@ForAll("frames") FrameBuilder builder, @ForAll int sequence,
            @ForAll int acknowledgement, @ForAll @IntRange(max = 0xffff) int window, @ForAll int timestampValue,
            @ForAll int left, @ForAll @IntRange(max = 0xffff) int port, @ForAll int address,
            @ForAll @IntRange(min = 1, max = 255) int damage) {
        byte[] frame = builder.build();
        assertEquals(ParseResult.TCP, view.parse(frame, 0, frame.length));
        // a payload byte, or the urgent pointer's when there is no payload: bytes the rewrite never writes
        int at = view.payloadLength() > 0 ? view.payloadOffset() + view.payloadLength() / 2 : view.tcpOffset() + 19;
        byte original = frame[at];
        frame[at] = (byte) (original ^ damage);
        int ttlAt = builder.ipVersion == 4 ? view.ipOffset() + 8 : -1;
        if (ttlAt >= 0) {
            frame[ttlAt] ^= (byte) damage; // and the IPv4 header's TTL
        }
        assertEquals(ParseResult.TCP, view.parse(frame, 0, frame.length));
        assertFalse(view.isTcpChecksumValid());

        rewrite(view, sequence, acknowledgement, window, timestampValue, ~timestampValue, left, ~left, port, address);
        view.adjustIpv4HeaderChecksum();
        view.adjustTcpChecksum();
        FlyweightParsedPacket after = new FlyweightParsedPacket();
        after.parse(frame, 0, frame.length);
        assertFalse(after.isTcpChecksumValid(), "the damage is not made valid");
        if (ttlAt >= 0) {
            assertFalse(after.isIpv4HeaderChecksumValid(), "nor the IPv4 header's");
            frame[ttlAt] ^= (byte) damage;
        }
        frame[at] = original;
        after.parse(frame, 0, frame.length);
        assertTrue(after.isTcpChecksumValid(), "wrong by exactly the damage: undoing it makes it right");
        if (ttlAt >= 0) {
            assertTrue(after.isIpv4HeaderChecksumValid());
        }
    }

    @Property(tries = 500)
    void rewritesReadBackAndKeepChecksumsValid(@ForAll("frames") FrameBuilder builder,
            @ForAll int sequence, @ForAll int acknowledgement, @ForAll @IntRange(max = 0xffff) int window,
            @ForAll int timestampValue, @ForAll int timestampEchoReply, @ForAll int left, @ForAll int right,
            @ForAll @IntRange(max = 0xffff) int port, @ForAll int address) {
        byte[] frame = builder.build();
        view.parse(frame, 0, frame.length);
        assertTrue(view.setSequenceNumber(sequence));
        assertTrue(view.setAcknowledgementNumber(acknowledgement));
        assertTrue(view.setWindow(window));
        assertEquals(view.hasTimestamps(), view.setTimestamps(timestampValue, timestampEchoReply));
        int blocks = view.sackBlockCount();
        assertEquals(blocks > 0, view.setSackBlock(blocks - 1, left, right));
        assertTrue(view.setSourcePort(port));
        assertEquals(builder.ipVersion == 4, view.setDestinationIpv4(address));
        view.replaceUnknownOptionsWithNops();
        view.updateIpv4HeaderChecksum();
        assertTrue(view.updateTcpChecksum());

        FlyweightParsedPacket again = new FlyweightParsedPacket();
        assertEquals(ParseResult.TCP, again.parse(frame, 0, frame.length));
        assertEquals(sequence, again.sequenceNumber());
        assertEquals(acknowledgement, again.acknowledgementNumber());
        assertEquals(window, again.window());
        assertEquals(port, again.sourcePort());
        assertEquals(builder.destinationPort, again.destinationPort());
        if (again.hasTimestamps()) {
            assertEquals(timestampValue, again.timestampValue());
            assertEquals(timestampEchoReply, again.timestampEchoReply());
        }
        if (blocks > 0) {
            assertEquals(left, again.sackBlockLeft(blocks - 1));
            assertEquals(right, again.sackBlockRight(blocks - 1));
        }
        if (builder.ipVersion == 4) {
            assertEquals(address, again.destinationIpv4());
            assertEquals(0, TestBytes.internetChecksum(frame, again.ipOffset(), again.tcpOffset(), 0));
        }
        assertEquals(builder.options.mss, again.mss());
        assertFalse(again.hasUnknownOptions());
        assertTrue(again.isTcpChecksumValid());

        // The builder, given the same values and the option bytes the view left behind,
        // computes its own checksums: the frames must be identical, checksums included.
        builder.sequenceNumber = sequence;
        builder.acknowledgementNumber = acknowledgement;
        builder.window = window;
        builder.sourcePort = port;
        if (builder.ipVersion == 4) {
            builder.destinationIpv4 = address;
        }
        builder.rawTcpOptions = java.util.Arrays.copyOfRange(frame, builder.tcpOffset + 20, builder.payloadOffset);
        assertArrayEquals(builder.build(), frame);
    }

    // ---- generators ----

    @Provide
    Arbitrary<FrameBuilder> frames() {
        Arbitrary<Link> link = Combinators.combine(
                Arbitraries.longs().between(0, 0xffff_ffff_ffffL),
                Arbitraries.longs().between(0, 0xffff_ffff_ffffL),
                Arbitraries.of(0x8100, 0x88a8, 0x9100).list().ofMaxSize(FlyweightParsedPacket.MAX_VLAN_TAGS),
                Arbitraries.integers().between(0, 0xffff))
                .as(Link::new);
        Arbitrary<Network> network = Combinators.combine(
                Arbitraries.of(4, 6),
                Arbitraries.integers(),
                Arbitraries.longs(),
                Arbitraries.integers().between(0, 3),
                Arbitraries.integers().between(0, 10),
                extensionChains(),
                Arbitraries.of(true, false))
                .as(Network::new);
        Arbitrary<Transport> transport = Combinators.combine(
                Arbitraries.integers().between(0, 0xffff),
                Arbitraries.integers().between(0, 0xffff),
                Arbitraries.integers(),
                Arbitraries.integers(),
                Arbitraries.integers().between(0, 0x1ff),
                Arbitraries.integers().between(0, 0xffff),
                tcpOptions(),
                Arbitraries.integers().between(0, 300))
                .as(Transport::new);
        return Combinators.combine(link, network, transport, Arbitraries.integers().between(0, 30))
                .as(FlyweightParsedPacketPropertiesTest::builder);
    }

    private static Arbitrary<List<Extension>> extensionChains() {
        Arbitrary<Extension> extension = Arbitraries.oneOf(
                Arbitraries.integers().between(0, 3).map(Extension::destinationOptions),
                Arbitraries.integers().between(0, 3).map(Extension::routing),
                Arbitraries.integers().between(0, 0xffff).map(id -> Extension.fragment(0, true, id)),
                Arbitraries.of(1, 3, 5).map(Extension::authentication));
        Arbitrary<List<Extension>> rest = extension.list().ofMaxSize(FlyweightParsedPacket.MAX_IPV6_EXTENSION_HEADERS - 1);
        // hop-by-hop may only come first
        return Combinators.combine(Arbitraries.of(true, false), Arbitraries.integers().between(0, 2), rest)
                .as((hopByHop, units, tail) -> {
                    List<Extension> chain = new java.util.ArrayList<>();
                    if (hopByHop) {
                        chain.add(Extension.hopByHop(units));
                    }
                    chain.addAll(tail);
                    return chain;
                });
    }

    /** Options as a list of recipes applied in order, each skipped when it no longer fits in 40 bytes. */
    private static Arbitrary<List<Integer>> tcpOptions() {
        return Arbitraries.integers().between(0, 1_000_000).list().ofMaxSize(8);
    }

    record Link(long destinationMac, long sourceMac, List<Integer> tpids, int tci) {
    }

    record Network(int version, int ipv4Seed, long ipv6Seed, int ecn, int ipv4OptionWords, List<Extension> extensions, boolean firstFragment) {
    }

    record Transport(int sourcePort, int destinationPort, int sequence, int acknowledgement, int flags, int window,
            List<Integer> optionRecipes, int payload) {
    }

    private static FrameBuilder builder(Link link, Network network, Transport transport, int trailer) {
        FrameBuilder b = new FrameBuilder();
        b.destinationMac = link.destinationMac();
        b.sourceMac = link.sourceMac();
        for (int i = 0; i < link.tpids().size(); i++) {
            b.vlan(link.tpids().get(i), (link.tci() + i * 0x1001) & 0xffff);
        }
        b.ipVersion = network.version();
        b.ecn = network.ecn();
        b.sourceIpv4 = network.ipv4Seed();
        b.destinationIpv4 = Integer.rotateLeft(network.ipv4Seed(), 7) ^ 0x5a5a5a5a;
        b.sourceHigh = network.ipv6Seed();
        b.sourceLow = ~network.ipv6Seed();
        b.destinationHigh = Long.rotateLeft(network.ipv6Seed(), 13);
        b.destinationLow = network.ipv6Seed() * 31;
        if (network.version() == 4) {
            byte[] options = new byte[network.ipv4OptionWords() * 4];
            java.util.Arrays.fill(options, (byte) 1); // NOP options
            b.ipv4Options = options;
            b.ipv4FlagsAndFragment = network.firstFragment() ? 0x2000 : 0x4000;
        } else {
            network.extensions().forEach(b::extension);
        }
        b.sourcePort = transport.sourcePort();
        b.destinationPort = transport.destinationPort();
        b.sequenceNumber = transport.sequence();
        b.acknowledgementNumber = transport.acknowledgement();
        b.flags = transport.flags();
        b.window = transport.window();
        b.options = options(transport.optionRecipes());
        b.payload(transport.payload());
        b.trailerLength = trailer;
        return b;
    }

    private static TcpOptions options(List<Integer> recipes) {
        TcpOptions options = new TcpOptions();
        for (int recipe : recipes) {
            int value = recipe / 16;
            switch (recipe % 16) {
                case 0, 1 -> {
                    if (options.room() >= 4) {
                        options.mss(value & 0xffff);
                    }
                }
                case 2 -> {
                    if (options.room() >= 3) {
                        options.windowScale(value & 0xff);
                    }
                }
                case 3 -> {
                    if (options.room() >= 2) {
                        options.sackPermitted();
                    }
                }
                case 4, 5, 6 -> {
                    if (options.room() >= 10) {
                        options.timestamps(value * 0x9e3779b1, value ^ 0x7fffffff);
                    }
                }
                case 7, 8 -> {
                    int blocks = Math.min(1 + value % 4, (options.room() - 2) / 8);
                    if (blocks >= 1) {
                        int[] edges = new int[2 * blocks];
                        for (int i = 0; i < edges.length; i++) {
                            edges[i] = value * (i + 1) * 0x01000193;
                        }
                        options.sack(edges);
                    }
                }
                case 9 -> {
                    if (options.room() >= 18) {
                        options.other(19, 18);
                    }
                }
                case 10 -> {
                    int length = 4 + value % 12;
                    if (options.room() >= length) {
                        options.other(29, length);
                    }
                }
                case 11 -> {
                    int length = 3 + value % 10;
                    if (options.room() >= length) {
                        options.other(30, length);
                    }
                }
                case 12 -> {
                    int length = value % 2 == 0 ? 2 : 10;
                    if (options.room() >= length) {
                        options.other(34, length);
                    }
                }
                case 13 -> {
                    // any kind the parser does not name
                    int kind = 6 + value % 240;
                    int length = 2 + value % 6;
                    if (kind != 8 && kind != 19 && kind != 29 && kind != 30 && kind != 34 && options.room() >= length) {
                        options.other(kind, length);
                    }
                }
                default -> {
                    if (options.room() >= 1) {
                        options.nop();
                    }
                }
            }
        }
        return options;
    }
}
