package org.migware.tracker.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.migware.testing.TcpFrame;
import org.migware.testing.TestBytes;

/**
 * An independent model, for the fuzz tests, of one connection as the two Linux stacks at its
 * ends see it, and a generator of frames for it: valid segments the stacks exchange, and forged
 * ones that the receiving stack drops (RFC 9293 §3.10.7.4, RFC 5961, PAWS, checksums). It
 * shares no code with the tracker: it keeps each side's SND.NXT, what it acknowledged, its TSval
 * and its byte count, and applies a valid segment the way the receiving stack does.
 *
 * <p>The mirror cannot know whether a segment in flight has arrived yet, so the receiver's
 * RCV.NXT is either what the sender sent or what the receiver acknowledged last; a RST at
 * either is taken (the generator puts forged RSTs elsewhere). Forged ACKs lie far beyond what
 * was sent (2^25 and more): within one window of it the tracker holds them as possibly real
 * under capture loss (a deliberate difference from Linux, tested on its own in
 * {@code UntrustedFramesTest}).
 */
final class LinuxReceiverModel {

    static final int PORT = 40000;
    /** The client's port: one model per connection. */
    final int port;
    /** Both sides advertise 502 after the handshake, scaled by 7: 64,256 bytes. */
    static final int WINDOW = 502;
    static final int SHIFT = 7;

    /** One direction. */
    static final class Side {
        long isn;
        long sendNext;
        long acked;
        long tsVal;
        long bytes;
        int mss;
        /**
         * Forged FINs in the window beyond this side's stream. Linux queues them out of order and
         * takes one only if a real segment ends exactly at it (one that runs past it drops it);
         * the generator keeps real segments from ending there, so Linux never takes them.
         */
        final java.util.Set<Long> forgedFins = new java.util.HashSet<>();
    }

    final Side client = new Side();
    final Side server = new Side();
    boolean reset;
    private final Random random;
    /** Valid frames already sent: a mirror may deliver any of them again, late. */
    private final List<byte[]> sent = new ArrayList<>();
    /** What the last {@link #next} was, for a failure message. */
    String lastKind = "";
    final StringBuilder history = new StringBuilder();

    LinuxReceiverModel(Random random) {
        this(random, PORT);
    }

    LinuxReceiverModel(Random random, int port) {
        this.random = random;
        this.port = port;
        client.isn = random.nextInt() & 0xffff_ffffL;
        server.isn = random.nextInt() & 0xffff_ffffL;
        client.sendNext = client.isn + 1;
        server.sendNext = server.isn + 1;
        client.acked = server.isn + 1;
        server.acked = client.isn + 1;
        client.tsVal = 1000 + random.nextInt(1 << 20);
        server.tsVal = 5000 + random.nextInt(1 << 20);
        client.mss = 1460;
        server.mss = 1400;
    }

    /** @return the handshake, which the model already counts as done */
    byte[][] handshake() {
        return new byte[][] {
            TcpFrame.fromClient(port).seq(client.isn).flags(0x02).window(64240).synOptions(client.mss, SHIFT, true)
                    .timestamps(client.tsVal - 1, 0).build(),
            TcpFrame.fromServer(port).seq(server.isn).ack(client.isn + 1).flags(0x02).window(65160)
                    .synOptions(server.mss, SHIFT, true).timestamps(server.tsVal, client.tsVal - 1).build(),
            TcpFrame.fromClient(port).seq(client.isn + 1).ack(server.isn + 1).window(WINDOW)
                    .timestamps(client.tsVal, server.tsVal).build()
        };
    }

    /** @return the next frame: valid (the model applies it) or forged (the model keeps it out) */
    byte[] next() {
        boolean fromClient = random.nextBoolean();
        Side sender = fromClient ? client : server;
        Side receiver = fromClient ? server : client;
        int kind = random.nextInt(16);
        lastKind = (fromClient ? "client " : "server ") + kind;
        history.append(lastKind).append(", ");
        return switch (kind) {
            case 0, 1, 2, 3 -> valid(fromClient, sender, receiver, random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(1460));
            case 4 -> frame(fromClient, sender.sendNext + 1 + random.nextInt((WINDOW << SHIFT) - 2), sender.tsVal)
                    .flags(0x04).build(); // RST in the window, not at RCV.NXT
            case 5 -> frame(fromClient, receiver.acked - 1 - random.nextInt(1 << 30), sender.tsVal)
                    .flags(0x04).build(); // RST before the window
            // beyond the larger of the two right edges the receiver advertised (its SYN-ACK's 65,160 unscaled, 502 << 7 since)
            case 6 -> frame(fromClient, receiver.acked + 65_160 + 1 + random.nextInt(1 << 30), sender.tsVal)
                    .ack(sender.acked).flags(random.nextBoolean() ? 0x01 : 0x08).payload(random.nextInt(100)).build(); // beyond the window
            case 7 -> frame(fromClient, sender.sendNext, sender.tsVal)
                    .ack(receiver.sendNext + (1L << 25) + random.nextInt(1 << 30)).build(); // ACK of data never sent
            case 8 -> frame(fromClient, sender.sendNext, sender.tsVal)
                    .ack(sender.acked - (1L << 20) - random.nextInt(1 << 20)).payload(random.nextInt(50)).build(); // ACK too old
            case 9 -> frame(fromClient, sender.sendNext, sender.tsVal + (1L << 28) + random.nextInt(1 << 30))
                    .ack(sender.acked).payload(1 + random.nextInt(100)).build(); // TSval jump
            case 10 -> fromClient
                    ? TcpFrame.fromClient(port).seq(random.nextInt()).flags(0x02).synOptions(536, -1, false).build()
                    : TcpFrame.fromServer(port).seq(random.nextBoolean() ? server.isn : random.nextInt()).ack(client.isn + 1)
                            .flags(0x02).window(100).synOptions(536, -1, false).build(); // SYN / SYN-ACK without window scale
            case 11 -> corruptChecksum(frame(fromClient, sender.sendNext, sender.tsVal + 1).ack(receiver.sendNext)
                    .flags(0x01).payload(1 + random.nextInt(100)).build());
            case 12 -> {
                byte[] whole = frame(fromClient, sender.sendNext, sender.tsVal + 1).ack(receiver.sendNext)
                        .flags(0x01).payload(20 + random.nextInt(100)).build();
                yield Arrays.copyOf(whole, whole.length - 1 - random.nextInt(19)); // IP length beyond the frame
            }
            case 14 -> {
                long fin = sender.sendNext + 1 + random.nextInt(20_000);
                sender.forgedFins.add(fin);
                yield frame(fromClient, fin, sender.tsVal).ack(sender.acked).flags(0x01).build(); // FIN beyond RCV.NXT, in the window
            }
            case 13 -> sent.isEmpty() ? valid(fromClient, sender, receiver, 0) : sent.get(random.nextInt(sent.size())).clone();
            default -> frame(fromClient, receiver.acked - 2000 - random.nextInt(1 << 20), sender.tsVal)
                    .ack(sender.acked).payload(1 + random.nextInt(1000)).build(); // old data, entirely acknowledged
        };
    }

    private byte[] valid(boolean fromClient, Side sender, Side receiver, int wanted) {
        // A real sender stays within the window the receiver advertised last (its ACK plus 502 << 7).
        long room = receiver.acked + (WINDOW << SHIFT) - sender.sendNext;
        int length = (int) Math.max(0, Math.min(wanted, room));
        while (length > 0 && sender.forgedFins.contains(sender.sendNext + length)) {
            length--;
        }
        // Acknowledge all or part of what the peer sent, never less than before.
        long ack = sender.acked + (long) (random.nextDouble() * (receiver.sendNext - sender.acked));
        sender.tsVal += random.nextInt(3);
        byte[] frame = frame(fromClient, sender.sendNext, sender.tsVal).ack(ack).flags(length > 0 ? 0x08 : 0)
                .payload(length).build();
        sender.sendNext += length;
        sender.bytes += length;
        sender.acked = ack;
        sent.add(frame);
        return frame.clone();
    }

    /** @return a copy of a valid frame already sent, one bit of its IP or TCP part flipped: the checksums catch it */
    byte[] flippedCopy() {
        if (sent.isEmpty()) {
            return valid(random.nextBoolean(), client, server, 0);
        }
        byte[] frame = sent.get(random.nextInt(sent.size())).clone();
        int at = 14 + random.nextInt(frame.length - 14);
        frame[at] ^= (byte) (1 << random.nextInt(8));
        int partial = ~TestBytes.internetChecksum(frame, 14 + 12, 14 + 20, 6 + frame.length - 14 - 20) & 0xffff;
        if (TestBytes.readShort(frame, 14 + 20 + 16) == partial) {
            frame[at] ^= (byte) 0xff; // one flip turned the checksum into an offloading sender's: make it plainly wrong
        }
        return frame;
    }

    private TcpFrame frame(boolean fromClient, long sequence, long tsVal) {
        TcpFrame frame = fromClient ? TcpFrame.fromClient(port) : TcpFrame.fromServer(port);
        return frame.seq(sequence & 0xffff_ffffL).window(WINDOW).timestamps(tsVal & 0xffff_ffffL, 0);
    }

    /** Makes the TCP checksum wrong, and never equal to the partial checksum an offloading sender leaves. */
    private byte[] corruptChecksum(byte[] frame) {
        int at = 14 + 20 + 16;
        int right = TestBytes.readShort(frame, at);
        int partial = ~TestBytes.internetChecksum(frame, 14 + 12, 14 + 20, 6 + frame.length - 14 - 20) & 0xffff;
        int wrong = right;
        while (wrong == right || wrong == partial) {
            wrong = random.nextInt(1 << 16);
        }
        frame[at] = (byte) (wrong >>> 8);
        frame[at + 1] = (byte) wrong;
        return frame;
    }
}
