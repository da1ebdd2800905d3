package org.migware.proxy.internal.wire;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A test-side reading of one IPv4 + TCP packet, written independently of {@link Ipv4TcpWriter}
 * (ByteBuffer, no shared offsets), so that tests do not check the writer with itself. Options that
 * are absent are -1 (or false).
 */
public record TcpSegment(int source, int sourcePort, int destination, int destinationPort, int seq, int ack, int flags,
        int window, int mss, int windowScale, boolean sackPermitted, long tsval, long tsecr, int[] sackEdges,
        byte[] payload, boolean ipChecksumValid, boolean tcpChecksumValid) {

    /** @return the segment, or null if the packet is not IPv4 + TCP */
    public static TcpSegment parse(byte[] packet, int length) {
        ByteBuffer ip = ByteBuffer.wrap(packet, 0, length);
        if (length < 40 || (packet[0] & 0xf0) != 0x40 || packet[9] != 6) {
            return null;
        }
        int ihl = (packet[0] & 0x0f) * 4;
        int total = ip.getShort(2) & 0xffff;
        int source = ip.getInt(12);
        int destination = ip.getInt(16);
        int tcp = ihl;
        int dataOffset = (packet[tcp + 12] >> 4 & 0x0f) * 4;
        int mss = -1;
        int windowScale = -1;
        boolean sackPermitted = false;
        long tsval = -1;
        long tsecr = -1;
        int[] sack = new int[0];
        for (int i = tcp + 20; i < tcp + dataOffset;) {
            int kind = packet[i] & 0xff;
            if (kind == 0) {
                break;
            }
            if (kind == 1) {
                i++;
                continue;
            }
            int optionLength = packet[i + 1] & 0xff;
            switch (kind) {
                case 2 -> mss = ip.getShort(i + 2) & 0xffff;
                case 3 -> windowScale = packet[i + 2] & 0xff;
                case 4 -> sackPermitted = true;
                case 5 -> {
                    sack = new int[(optionLength - 2) / 4];
                    for (int e = 0; e < sack.length; e++) {
                        sack[e] = ip.getInt(i + 2 + 4 * e);
                    }
                }
                case 8 -> {
                    tsval = ip.getInt(i + 2) & 0xffff_ffffL;
                    tsecr = ip.getInt(i + 6) & 0xffff_ffffL;
                }
                default -> { }
            }
            i += optionLength;
        }
        byte[] payload = Arrays.copyOfRange(packet, tcp + dataOffset, total);
        return new TcpSegment(source, ip.getShort(tcp) & 0xffff, destination, ip.getShort(tcp + 2) & 0xffff,
                ip.getInt(tcp + 4), ip.getInt(tcp + 8), packet[tcp + 13] & 0xff, ip.getShort(tcp + 14) & 0xffff, mss,
                windowScale, sackPermitted, tsval, tsecr, sack, payload, internetSum(packet, 0, ihl, 0) == 0xffff,
                tcpChecksumValid(packet, ihl, total));
    }

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }

    private static boolean tcpChecksumValid(byte[] packet, int ihl, int total) {
        int tcpLength = total - ihl;
        byte[] pseudo = ByteBuffer.allocate(12).put(packet, 12, 8).put((byte) 0).put((byte) 6)
                .putShort((short) tcpLength).array();
        long sum = internetSum(pseudo, 0, pseudo.length, 0);
        return internetSum(packet, ihl, tcpLength, sum) == 0xffff;
    }

    /** A plain, long-hand RFC 1071 sum: add 16-bit words, then fold the carries. */
    private static int internetSum(byte[] bytes, int offset, int length, long initial) {
        long sum = initial;
        for (int i = 0; i < length; i += 2) {
            int high = bytes[offset + i] & 0xff;
            int low = i + 1 < length ? bytes[offset + i + 1] & 0xff : 0;
            sum += high * 256 + low;
        }
        while (sum > 0xffff) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) sum;
    }
}
