package org.migware.parser.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.migware.api.packet.ParseResult;
import org.migware.testing.FrameBuilder.Extension;
import org.migware.testing.FrameBuilder;

/**
 * Random and mutated frames through the parser: nothing may escape, not from
 * {@link FlyweightParsedPacket#parse} nor from any accessor, setter or checksum method called
 * after it, and what it reports must stay inside the frame.
 *
 * <p>Deterministic: the seed is fixed so that a failure reproduces; run with
 * {@code -Dmigware.fuzz.seed=N} and {@code -Dmigware.fuzz.frames=N} to explore further. A failure
 * prints the seed, the iteration and the frame in hex, ready to become a vector.
 */
class FlyweightParsedPacketFuzzTest {

    private static final long DEFAULT_SEED = 0x6d69_6777_6172_6501L;
    private static final int DEFAULT_FRAMES = 200_000;

    private final FlyweightParsedPacket view = new FlyweightParsedPacket();
    private final FlyweightParsedPacket structure = new FlyweightParsedPacket();
    private final FlyweightParsedPacket again = new FlyweightParsedPacket();

    @Test
    void randomAndMutatedFramesNeverThrow() {
        long seed = Long.getLong("migware.fuzz.seed", DEFAULT_SEED);
        int frames = Integer.getInteger("migware.fuzz.frames", DEFAULT_FRAMES);
        Random random = new Random(seed);
        List<byte[]> corpus = corpus(random);
        Map<ParseResult, Integer> seen = new EnumMap<>(ParseResult.class);

        for (int i = 0; i < frames; i++) {
            byte[] frame = next(random, corpus);
            // exactly as large as offset + frame: any read past the end throws
            int offset = random.nextInt(4) == 0 ? random.nextInt(16) : 0;
            byte[] buffer = new byte[offset + frame.length];
            for (int j = 0; j < offset; j++) {
                buffer[j] = (byte) random.nextInt();
            }
            System.arraycopy(frame, 0, buffer, offset, frame.length);
            try {
                ParseResult result = view.parse(buffer, offset, frame.length);
                seen.merge(result, 1, Integer::sum);
                checkInvariants(result, offset, frame.length);
                exerciseAccessors();
                rewriteAndReparse(result, buffer, offset, frame.length);
            } catch (Throwable failure) {
                fail("seed " + seed + ", frame " + i + ", offset " + offset + ": " + HexFormat.of().formatHex(frame), failure);
            }
        }
        // the mutations must reach every outcome, or the fuzzing proves little
        for (ParseResult result : ParseResult.values()) {
            assertTrue(seen.containsKey(result), () -> "never produced " + result + ": " + seen);
        }
    }

    private void checkInvariants(ParseResult result, int offset, int length) {
        int end = offset + length;
        assertEquals(result, view.result());
        assertEquals(offset, view.frameOffset());
        assertEquals(length, view.frameLength());
        assertTrue(view.vlanTagCount() >= 0 && view.vlanTagCount() <= FlyweightParsedPacket.MAX_VLAN_TAGS);
        if (view.ipVersion() != 0) {
            assertTrue(view.ipVersion() == 4 || view.ipVersion() == 6);
            assertTrue(view.ipOffset() >= offset + 14 && view.ipOffset() < end);
        } else {
            assertEquals(-1, view.ipOffset());
        }
        if (result != ParseResult.TCP) {
            FlyweightParsedPacketTest.assertTcpDefaults(view);
            return;
        }
        assertTrue(view.tcpOffset() >= view.ipOffset() + 20);
        assertTrue(view.tcpHeaderLength() >= 20 && view.tcpHeaderLength() <= 60 && view.tcpHeaderLength() % 4 == 0);
        assertEquals(view.tcpOffset() + view.tcpHeaderLength(), view.payloadOffset());
        assertTrue(view.payloadOffset() <= end);
        assertTrue(view.capturedPayloadLength() >= 0);
        assertTrue(view.capturedPayloadLength() <= view.payloadLength());
        assertTrue(view.payloadOffset() + view.capturedPayloadLength() <= end);
        assertTrue(view.sourcePort() >= 0 && view.sourcePort() <= 0xffff);
        assertTrue(view.window() >= 0 && view.window() <= 0xffff);
        assertTrue(view.flags() >= 0 && view.flags() <= 0x1ff);
        assertTrue(view.mss() >= -1 && view.mss() <= 0xffff);
        assertTrue(view.windowScale() >= -1 && view.windowScale() <= FlyweightParsedPacket.MAX_WINDOW_SCALE);
        assertTrue(view.sackBlockCount() >= 0 && view.sackBlockCount() <= FlyweightParsedPacket.MAX_SACK_BLOCKS);
        if (view.hasTimestamps()) {
            assertTrue(view.timestampOptionOffset() >= view.tcpOffset() + 20);
            assertTrue(view.timestampOptionOffset() + 10 <= view.payloadOffset());
        }
        if (view.sackBlockCount() > 0) {
            assertTrue(view.sackOptionOffset() >= view.tcpOffset() + 20);
            assertTrue(view.sackOptionOffset() + 2 + 8 * view.sackBlockCount() <= view.payloadOffset());
        }
        if (view.hasAuthenticationOption() || view.hasMultipathOption() || view.hasFastOpenOption()) {
            assertTrue(view.hasUnknownOptions());
        }
    }

    private long exerciseAccessors() {
        long sink = view.buffer().length + view.frameOffset() + view.frameLength()
                + view.destinationMac() + view.sourceMac() + view.vlanTagCount() + view.outerVlanId() + view.etherType()
                + view.ipVersion() + view.ipOffset()
                + view.sourceAddressHigh() + view.sourceAddressLow() + view.destinationAddressHigh() + view.destinationAddressLow()
                + view.sourceIpv4() + view.destinationIpv4() + (view.isFragmented() ? 1 : 0) + (view.hasIpv4Options() ? 1 : 0)
                + view.ipEcn() + view.tcpOffset() + view.tcpHeaderLength() + view.sourcePort() + view.destinationPort()
                + view.sequenceNumber() + view.acknowledgementNumber() + view.flags() + (view.hasFlags(0x12) ? 1 : 0)
                + view.window() + view.payloadOffset() + view.payloadLength() + view.capturedPayloadLength()
                + view.mss() + view.windowScale() + (view.sackPermitted() ? 1 : 0) + (view.hasTimestamps() ? 1 : 0)
                + view.timestampValue() + view.timestampEchoReply() + view.timestampOptionOffset()
                + view.sackBlockCount() + view.sackOptionOffset()
                + (view.hasAuthenticationOption() ? 1 : 0) + (view.hasMultipathOption() ? 1 : 0)
                + (view.hasFastOpenOption() ? 1 : 0) + (view.hasUnknownOptions() ? 1 : 0)
                + (view.isIpv4HeaderChecksumValid() ? 1 : 0) + (view.isTcpChecksumValid() ? 1 : 0);
        for (int i = -2; i <= FlyweightParsedPacket.MAX_SACK_BLOCKS + 1; i++) {
            sink += view.sackBlockLeft(i) + view.sackBlockRight(i);
        }
        return sink + view.toString().length();
    }

    /** Rewriting never changes what the frame parses as; recomputed checksums verify. */
    private void rewriteAndReparse(ParseResult result, byte[] buffer, int offset, int length) {
        view.setSequenceNumber(0x01020304);
        view.setAcknowledgementNumber(0xfffffffe);
        view.setWindow(1234);
        view.setTimestamps(5, 6);
        for (int i = -1; i <= FlyweightParsedPacket.MAX_SACK_BLOCKS; i++) {
            view.setSackBlock(i, 7, 8);
        }
        view.setSourcePort(1);
        view.setDestinationPort(2);
        view.setSourceIpv4(3);
        view.setDestinationIpv4(4);
        view.setSourceMac(5);
        view.setDestinationMac(6);
        view.replaceUnknownOptionsWithNops();
        if (view.updateIpv4HeaderChecksum()) {
            assertTrue(view.isIpv4HeaderChecksumValid());
        }
        if (view.updateTcpChecksum()) {
            assertTrue(view.isTcpChecksumValid());
        }
        assertEquals(result, again.parse(buffer, offset, length));
        if (result == ParseResult.TCP) {
            assertEquals(0x01020304, again.sequenceNumber());
            assertEquals(1234, again.window());
            assertEquals(view.payloadLength(), again.payloadLength());
        }
    }

    // ---- the corpus and its mutations ----

    private static List<byte[]> corpus(Random random) {
        List<byte[]> corpus = new ArrayList<>(LinuxCapturedFramesTest.all());
        for (ParseResult result : ParseResult.values()) {
            corpus.add(FlyweightParsedPacketTest.exampleOf(result));
        }
        for (int i = 0; i < 200; i++) {
            corpus.add(randomValidFrame(random));
        }
        return corpus;
    }

    /** A valid frame with a random mix of tags, IP version, extension headers and options. */
    private static byte[] randomValidFrame(Random random) {
        FrameBuilder b = new FrameBuilder();
        int tags = random.nextInt(4) == 0 ? 1 + random.nextInt(3) : 0;
        for (int i = 0; i < tags; i++) {
            b.vlan(new int[] {0x8100, 0x88a8, 0x9100}[random.nextInt(3)], random.nextInt(0x10000));
        }
        if (random.nextBoolean()) {
            b.ipv6();
            int extensions = random.nextInt(3) == 0 ? random.nextInt(5) : 0;
            if (extensions > 0 && random.nextBoolean()) {
                b.extension(Extension.hopByHop(random.nextInt(2)));
                extensions--;
            }
            for (int i = 0; i < extensions; i++) {
                switch (random.nextInt(4)) {
                    case 0 -> b.extension(Extension.destinationOptions(random.nextInt(3)));
                    case 1 -> b.extension(Extension.routing(random.nextInt(3)));
                    case 2 -> b.extension(Extension.fragment(0, true, random.nextInt()));
                    default -> b.extension(Extension.authentication(1 + 2 * random.nextInt(3)));
                }
            }
        } else if (random.nextInt(4) == 0) {
            b.ipv4Options = new byte[4 * (1 + random.nextInt(10))];
            java.util.Arrays.fill(b.ipv4Options, (byte) 1);
        }
        b.sequenceNumber = random.nextInt();
        b.acknowledgementNumber = random.nextInt();
        b.flags = random.nextInt(0x200);
        b.window = random.nextInt(0x10000);
        FrameBuilder.TcpOptions options = b.options;
        if (random.nextBoolean()) {
            options.mss(random.nextInt(0x10000));
        }
        if (random.nextBoolean()) {
            options.sackPermitted();
        }
        if (random.nextBoolean()) {
            options.timestamps(random.nextInt(), random.nextInt());
        }
        if (random.nextBoolean()) {
            options.nop().windowScale(random.nextInt(16));
        }
        int blocks = Math.min(random.nextInt(5), (options.room() - 2) / 8);
        if (blocks > 0) {
            int[] edges = new int[2 * blocks];
            for (int i = 0; i < edges.length; i++) {
                edges[i] = random.nextInt();
            }
            options.sack(edges);
        }
        int otherKind = new int[] {19, 29, 30, 34, 254, 14}[random.nextInt(6)];
        int otherLength = otherKind == 19 ? 18 : 4 + random.nextInt(4);
        if (random.nextInt(3) == 0 && options.room() >= otherLength) {
            options.other(otherKind, otherLength);
        }
        b.payload(random.nextInt(4) == 0 ? random.nextInt(1500) : random.nextInt(20));
        b.trailerLength = random.nextInt(3) == 0 ? random.nextInt(20) : 0;
        return b.build();
    }

    private byte[] next(Random random, List<byte[]> corpus) {
        if (random.nextInt(20) == 0) {
            return randomBytes(random);
        }
        byte[] frame = corpus.get(random.nextInt(corpus.size())).clone();
        int mutations = random.nextInt(20) == 0 ? 0 : 1 + random.nextInt(3);
        for (int m = 0; m < mutations; m++) {
            frame = switch (random.nextInt(7)) {
                case 0 -> flipBits(random, frame);
                case 1 -> overwriteBytes(random, frame);
                case 2 -> java.util.Arrays.copyOf(frame, frame.length == 0 ? 0 : random.nextInt(frame.length + 1));
                case 3 -> corruptLengthField(random, frame);
                case 4 -> corruptLengthField(random, frame);
                case 5 -> extend(random, frame);
                default -> insertVlanTag(random, frame);
            };
        }
        return frame;
    }

    private static byte[] randomBytes(Random random) {
        byte[] frame = new byte[random.nextInt(120)];
        random.nextBytes(frame);
        if (frame.length >= 14 && random.nextBoolean()) {
            int type = new int[] {0x0800, 0x86dd, 0x8100, 0x88a8}[random.nextInt(4)];
            frame[12] = (byte) (type >>> 8);
            frame[13] = (byte) type;
        }
        return frame;
    }

    private static byte[] flipBits(Random random, byte[] frame) {
        int flips = 1 + random.nextInt(8);
        for (int i = 0; i < flips && frame.length > 0; i++) {
            frame[random.nextInt(frame.length)] ^= (byte) (1 << random.nextInt(8));
        }
        return frame;
    }

    private static byte[] overwriteBytes(Random random, byte[] frame) {
        int writes = 1 + random.nextInt(4);
        for (int i = 0; i < writes && frame.length > 0; i++) {
            frame[random.nextInt(frame.length)] = (byte) boundaryOrRandom(random);
        }
        return frame;
    }

    private static int boundaryOrRandom(Random random) {
        int[] boundaries = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x0f, 0x40, 0x45, 0x4f, 0x50, 0x60, 0x7f, 0x80, 0xf0, 0xff};
        return random.nextBoolean() ? boundaries[random.nextInt(boundaries.length)] : random.nextInt(256);
    }

    /** Damages one of the fields that say how long something is, found by parsing the frame first. */
    private byte[] corruptLengthField(Random random, byte[] frame) {
        structure.parse(frame, 0, frame.length);
        int ip = structure.ipOffset();
        int tcp = structure.tcpOffset();
        List<Integer> targets = new ArrayList<>();
        if (ip >= 0) {
            if (structure.ipVersion() == 4) {
                targets.add(ip);          // version and IHL
                targets.add(ip + 2);      // total length, high byte
                targets.add(ip + 3);      // total length, low byte
                targets.add(ip + 6);      // flags and fragment offset
                targets.add(ip + 9);      // protocol
            } else {
                targets.add(ip);          // version
                targets.add(ip + 4);      // payload length, high byte
                targets.add(ip + 5);      // payload length, low byte
                targets.add(ip + 6);      // next header
                for (int at = ip + 40; at + 1 < frame.length && at < ip + 120; at += 8) {
                    targets.add(at);      // maybe an extension header's next header
                    targets.add(at + 1);  // maybe its length
                }
            }
        }
        if (tcp >= 0) {
            targets.add(tcp + 12);        // data offset
            for (int at = tcp + 20; at < structure.payloadOffset(); at++) {
                targets.add(at);          // option kinds and lengths
            }
        }
        if (targets.isEmpty()) {
            return overwriteBytes(random, frame);
        }
        int at = targets.get(random.nextInt(targets.size()));
        if (at < frame.length) {
            int old = frame[at] & 0xff;
            int[] choices = {0, 1, 2, 0xff, old + 1, old - 1, old + 4, old - 4, old ^ 0xf0, random.nextInt(256)};
            frame[at] = (byte) choices[random.nextInt(choices.length)];
        }
        return frame;
    }

    private static byte[] extend(Random random, byte[] frame) {
        byte[] longer = java.util.Arrays.copyOf(frame, frame.length + 1 + random.nextInt(64));
        for (int i = frame.length; i < longer.length; i++) {
            longer[i] = (byte) random.nextInt();
        }
        return longer;
    }

    private static byte[] insertVlanTag(Random random, byte[] frame) {
        if (frame.length < 12) {
            return frame;
        }
        int[] tpids = {0x8100, 0x88a8, 0x9100};
        int tpid = tpids[random.nextInt(tpids.length)];
        byte[] tagged = new byte[frame.length + 4];
        System.arraycopy(frame, 0, tagged, 0, 12);
        tagged[12] = (byte) (tpid >>> 8);
        tagged[13] = (byte) tpid;
        tagged[14] = (byte) random.nextInt();
        tagged[15] = (byte) random.nextInt();
        System.arraycopy(frame, 12, tagged, 16, frame.length - 12);
        return tagged;
    }
}
