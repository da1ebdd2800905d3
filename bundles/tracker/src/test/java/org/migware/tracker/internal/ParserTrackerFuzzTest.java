package org.migware.tracker.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.migware.api.connection.ConnectionSnapshot;
import org.migware.api.connection.TcpState;
import org.migware.testing.TcpFrame;

/**
 * 100,000+ random and mutated frames through the real parser and the tracker: no exception may
 * escape, and the table must stay readable and within its bound.
 */
class ParserTrackerFuzzTest {

    private static final int FRAMES = 120_000;

    @Test
    void randomAndMutatedFramesNeverThrow() {
        Random random = new Random(0x6d696777L);
        StoreHarness h = new StoreHarness(5_000);
        List<byte[]> seeds = validFrames(random);
        for (int n = 0; n < FRAMES; n++) {
            byte[] frame;
            switch (n % 4) {
                case 0 -> {
                    frame = new byte[random.nextInt(200)];
                    random.nextBytes(frame);
                }
                case 1 -> frame = flipBits(seeds.get(random.nextInt(seeds.size())), random);
                case 2 -> frame = truncate(seeds.get(random.nextInt(seeds.size())), random);
                default -> frame = corruptLengths(seeds.get(random.nextInt(seeds.size())), random);
            }
            h.feed(frame);
        }
        List<ConnectionSnapshot> snapshots = h.store.snapshots();
        assertTrue(snapshots.size() <= 5_000);
        assertTrue(h.store.statistics().malformed().values().stream().mapToLong(Long::longValue).sum() > 0,
                "mutations must have produced malformed frames");
        assertTrue(h.store.statistics().packetsTracked() > 0, "some mutated frames are still valid TCP to the service");
        h.store.expire();
    }

    /**
     * Sequences, not single frames: 300 connections, each a {@link LinuxReceiverModel}, their
     * frames interleaved at random with forged ones and with copies of valid frames damaged by
     * one flipped bit. After every frame fed, the connection it was for holds exactly what the
     * model says the two Linux stacks hold.
     */
    @Test
    void forgedAndDamagedFramesInterleavedAcrossConnectionsLeaveWhatLinuxWouldBelieve() {
        Random random = new Random(0x5e9_0e9ceL);
        StoreHarness h = new StoreHarness();
        LinuxReceiverModel[] models = new LinuxReceiverModel[300];
        for (int i = 0; i < models.length; i++) {
            models[i] = new LinuxReceiverModel(new Random(random.nextLong()), 41000 + i);
            for (byte[] frame : models[i].handshake()) {
                h.feed(frame);
            }
        }
        for (int n = 0; n < FRAMES; n++) {
            LinuxReceiverModel model = models[random.nextInt(models.length)];
            h.feed(random.nextInt(4) == 0 ? model.flippedCopy() : model.next());
            ConnectionSnapshot c = h.connection(model.port);
            String where = "connection " + model.port + " after " + model.lastKind;
            assertEquals(TcpState.ESTABLISHED, c.state(), where);
            assertEquals(model.client.sendNext & 0xffff_ffffL, c.clientToServer().highestSequenceEnd(), where);
            assertEquals(model.server.sendNext & 0xffff_ffffL, c.serverToClient().highestSequenceEnd(), where);
            assertEquals(model.client.acked & 0xffff_ffffL, c.clientToServer().highestAck(), where);
            assertEquals(model.server.acked & 0xffff_ffffL, c.serverToClient().highestAck(), where);
            assertEquals(model.client.bytes, c.clientToServer().bytes(), where);
            assertEquals(model.server.bytes, c.serverToClient().bytes(), where);
        }
        assertEquals(models.length, h.store.size());
        assertTrue(h.store.statistics().packetsIgnored().getOrDefault("tcp-checksum-wrong", 0L) > FRAMES / 20,
                "damaged copies were dropped by their checksum");
    }

    private static List<byte[]> validFrames(Random random) {
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int port = 1024 + random.nextInt(1000);
            long seq = random.nextInt() & 0xffff_ffffL;
            TcpFrame frame = random.nextBoolean() ? TcpFrame.fromClient(port) : TcpFrame.fromServer(port);
            frame.seq(seq).ack(random.nextInt()).flags(random.nextInt(0x40)).payload(random.nextInt(100));
            if (random.nextBoolean()) {
                frame.synOptions(random.nextInt(65536), random.nextInt(15), random.nextBoolean());
            }
            if (random.nextBoolean()) {
                frame.timestamps(random.nextInt() & 0xffff_ffffL, random.nextInt() & 0xffff_ffffL);
            }
            frames.add(frame.build());
        }
        return frames;
    }

    private static byte[] flipBits(byte[] seed, Random random) {
        byte[] frame = seed.clone();
        for (int i = 1 + random.nextInt(4); i > 0; i--) {
            frame[random.nextInt(frame.length)] ^= (byte) (1 << random.nextInt(8));
        }
        return frame;
    }

    private static byte[] truncate(byte[] seed, Random random) {
        return java.util.Arrays.copyOf(seed, random.nextInt(seed.length + 1));
    }

    private static byte[] corruptLengths(byte[] seed, Random random) {
        byte[] frame = seed.clone();
        int[] lengthFields = {14, 16, 17, 14 + 20 + 12}; // IHL, total length, TCP data offset
        int at = lengthFields[random.nextInt(lengthFields.length)];
        if (at < frame.length) {
            frame[at] = (byte) random.nextInt(256);
        }
        if (frame.length > 14 + 20 + 22 && random.nextBoolean()) {
            frame[14 + 20 + 21] = (byte) random.nextInt(256); // an option length byte
        }
        return frame;
    }
}
