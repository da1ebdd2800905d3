package org.migware.proxy.internal;

/**
 * Ethernet frames carrying IPv4 + TCP for the proxy's tests, built with {@link Ipv4TcpWriter}
 * (its own tests check it against an independent reading) behind a 14-byte Ethernet header.
 */
final class Frames {

    static final int CLIENT = 0x0a4d_0001;
    static final int PRIMARY = 0x0a4d_0002;
    static final int REPLICA = 0x0a4d_0003;
    static final long CLIENT_MAC = 0x0200_0000_0001L;
    static final long PRIMARY_MAC = 0x0200_0000_0002L;
    static final int CLIENT_PORT = 40_000;
    static final int SERVICE_PORT = 7000;

    private Frames() {
    }

    /** A segment's fields; options are added only when set. */
    static final class Segment {
        int source = CLIENT;
        int sourcePort = CLIENT_PORT;
        int destination = PRIMARY;
        int destinationPort = SERVICE_PORT;
        long sourceMac = CLIENT_MAC;
        long destinationMac = PRIMARY_MAC;
        int seq;
        int ack;
        int flags = Ipv4TcpWriter.ACK;
        int window = 500;
        int mss = -1;
        int windowScale = -1;
        boolean sackPermitted;
        long tsval = -1;
        int tsecr;
        byte[] payload = new byte[0];

        static Segment fromClient(int seq, int ack) {
            Segment s = new Segment();
            s.seq = seq;
            s.ack = ack;
            return s;
        }

        static Segment fromPrimary(int seq, int ack) {
            Segment s = new Segment();
            s.source = PRIMARY;
            s.sourcePort = SERVICE_PORT;
            s.destination = CLIENT;
            s.destinationPort = CLIENT_PORT;
            s.sourceMac = PRIMARY_MAC;
            s.destinationMac = CLIENT_MAC;
            s.seq = seq;
            s.ack = ack;
            return s;
        }

        Segment flags(int newFlags) {
            flags = newFlags;
            return this;
        }

        Segment payload(byte[] bytes) {
            payload = bytes;
            return this;
        }

        Segment payload(String text) {
            return payload(text.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }

        Segment timestamps(long value, int echo) {
            tsval = value;
            tsecr = echo;
            return this;
        }

        Segment synOptions(int newMss, int shift, boolean sack) {
            mss = newMss;
            windowScale = shift;
            sackPermitted = sack;
            return this;
        }

        /** @return the IPv4 packet */
        byte[] packet() {
            byte[] buffer = new byte[60 + 40 + payload.length];
            Ipv4TcpWriter w = new Ipv4TcpWriter().begin(buffer, 0).source(source, sourcePort)
                    .destination(destination, destinationPort).sequence(seq).acknowledgement(ack).flags(flags).window(window);
            if (mss >= 0) {
                w.mss(mss);
            }
            if (sackPermitted) {
                w.sackPermitted();
            }
            if (tsval >= 0) {
                w.nop().nop().timestamps((int) tsval, tsecr);
            }
            if (windowScale >= 0) {
                w.nop().windowScale(windowScale);
            }
            w.payload(payload, 0, payload.length);
            return java.util.Arrays.copyOf(buffer, w.finish());
        }

        /** @return the Ethernet frame */
        byte[] frame() {
            byte[] ip = packet();
            byte[] frame = new byte[14 + ip.length];
            for (int i = 0; i < 6; i++) {
                frame[i] = (byte) (destinationMac >>> (40 - 8 * i));
                frame[6 + i] = (byte) (sourceMac >>> (40 - 8 * i));
            }
            frame[12] = 0x08;
            System.arraycopy(ip, 0, frame, 14, ip.length);
            return frame;
        }
    }
}
