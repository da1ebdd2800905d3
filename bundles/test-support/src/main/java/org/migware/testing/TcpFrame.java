package org.migware.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds Ethernet/IPv4/TCP frames for tests, independently of the parser: the fields are laid
 * out by hand as RFC 791 and RFC 793 draw them. Shared through the test-support jar by the
 * modules whose tests feed frames to the parser (tracker, monitor-traffic, proxy). Both checksums are
 * right (computed here with {@link TestBytes#internetChecksum}, not the code under test): the
 * tracker drops a segment whose checksum the receiving stack would reject.
 */
public final class TcpFrame {

    public static final int CLIENT_IP = 0x0a4d_0001; // 10.77.0.1
    public static final int SERVER_IP = 0x0a4d_0002; // 10.77.0.2
    public static final int SERVICE_PORT = 7000;
    public static final int CLIENT_PORT = 40000;
    public static final long CLIENT_MAC = 0x02_00_00_00_00_01L;
    public static final long SERVER_MAC = 0x02_00_00_00_00_02L;

    private int sourceIp = CLIENT_IP;
    private int destinationIp = SERVER_IP;
    private int sourcePort = CLIENT_PORT;
    private int destinationPort = SERVICE_PORT;
    private long sourceMac = CLIENT_MAC;
    private long destinationMac = SERVER_MAC;
    private int sequence;
    private int ack;
    private int flags;
    private int window = 502;
    private byte[] payload = new byte[0];
    private int mss = -1;
    private int windowScale = -1;
    private boolean sackPermitted;
    private long tsVal = -1;
    private long tsEcr;

    public static TcpFrame fromClient(int clientPort) {
        TcpFrame frame = new TcpFrame();
        frame.sourcePort = clientPort;
        return frame;
    }

    public static TcpFrame fromServer(int clientPort) {
        TcpFrame frame = new TcpFrame();
        frame.sourceIp = SERVER_IP;
        frame.destinationIp = CLIENT_IP;
        frame.sourcePort = SERVICE_PORT;
        frame.destinationPort = clientPort;
        frame.sourceMac = SERVER_MAC;
        frame.destinationMac = CLIENT_MAC;
        return frame;
    }

    /** Sends to another port of the destination (for traffic that is not the service's). */
    public TcpFrame toPort(int port) {
        destinationPort = port;
        return this;
    }

    /** Sends from another host (a third one, as the proxy's replica). */
    public TcpFrame from(int ip, int port) {
        sourceIp = ip;
        sourcePort = port;
        return this;
    }

    /** Sends to another host. */
    public TcpFrame to(int ip, int port) {
        destinationIp = ip;
        destinationPort = port;
        return this;
    }

    public TcpFrame seq(long value) {
        sequence = (int) value;
        return this;
    }

    public TcpFrame ack(long value) {
        ack = (int) value;
        flags |= 0x10;
        return this;
    }

    public TcpFrame flags(int value) {
        flags |= value;
        return this;
    }

    public TcpFrame window(int value) {
        window = value;
        return this;
    }

    /** A payload of {@code length} letters, a to z over and over. */
    public TcpFrame payload(int length) {
        payload = new byte[length];
        for (int i = 0; i < length; i++) {
            payload[i] = (byte) ('a' + i % 26);
        }
        return this;
    }

    /** A payload of these bytes, for tests that follow what a stream carries. */
    public TcpFrame payload(byte[] bytes) {
        payload = bytes.clone();
        return this;
    }

    /** A payload of this text in US-ASCII. */
    public TcpFrame payload(String text) {
        return payload(text.getBytes(StandardCharsets.US_ASCII));
    }

    public TcpFrame synOptions(int mssValue, int shift, boolean sack) {
        mss = mssValue;
        windowScale = shift;
        sackPermitted = sack;
        return this;
    }

    public TcpFrame timestamps(long value, long echo) {
        tsVal = value;
        tsEcr = echo;
        return this;
    }

    public byte[] build() {
        ByteArrayOutputStream options = new ByteArrayOutputStream();
        if (mss >= 0) {
            options.write(2);
            options.write(4);
            options.write(mss >>> 8);
            options.write(mss);
        }
        if (sackPermitted) {
            options.write(4);
            options.write(2);
        }
        if (tsVal >= 0) {
            options.write(8);
            options.write(10);
            writeInt(options, (int) tsVal);
            writeInt(options, (int) tsEcr);
        }
        if (windowScale >= 0) {
            options.write(1);
            options.write(3);
            options.write(3);
            options.write(windowScale);
        }
        while (options.size() % 4 != 0) {
            options.write(1);
        }
        int tcpLength = 20 + options.size();
        int ipLength = 20 + tcpLength + payload.length;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeMac(out, destinationMac);
        writeMac(out, sourceMac);
        out.write(0x08);
        out.write(0x00);
        // IPv4: version 4, IHL 5; DSCP/ECN 0; total length; id; flags DF; TTL 64; protocol 6; checksum 0
        out.write(0x45);
        out.write(0);
        out.write(ipLength >>> 8);
        out.write(ipLength);
        out.write(0);
        out.write(1);
        out.write(0x40);
        out.write(0);
        out.write(64);
        out.write(6);
        out.write(0);
        out.write(0);
        writeInt(out, sourceIp);
        writeInt(out, destinationIp);
        // TCP
        out.write(sourcePort >>> 8);
        out.write(sourcePort);
        out.write(destinationPort >>> 8);
        out.write(destinationPort);
        writeInt(out, sequence);
        writeInt(out, ack);
        out.write((tcpLength / 4) << 4 | (flags >>> 8 & 0x01)); // data offset; the low bit is AE (RFC 9768)
        out.write(flags);
        out.write(window >>> 8);
        out.write(window);
        out.write(0);
        out.write(0);
        out.write(0);
        out.write(0);
        out.writeBytes(options.toByteArray());
        out.writeBytes(payload);
        byte[] frame = out.toByteArray();
        int ipOffset = 14;
        int tcpOffset = ipOffset + 20;
        writeShort(frame, ipOffset + 10, TestBytes.internetChecksum(frame, ipOffset, tcpOffset, 0));
        long pseudoHeaderSum = 6 + tcpLength + payload.length;
        for (int i = ipOffset + 12; i < tcpOffset; i += 2) {
            pseudoHeaderSum += (frame[i] & 0xff) << 8 | frame[i + 1] & 0xff;
        }
        writeShort(frame, tcpOffset + 16, TestBytes.internetChecksum(frame, tcpOffset, frame.length, pseudoHeaderSum));
        return frame;
    }

    private static void writeShort(byte[] bytes, int at, int value) {
        bytes[at] = (byte) (value >>> 8);
        bytes[at + 1] = (byte) value;
    }

    /** @return the IPv4 packet alone, without the Ethernet header: what a TUN device carries */
    public byte[] buildIpv4() {
        byte[] frame = build();
        return Arrays.copyOfRange(frame, 14, frame.length);
    }

    private static void writeInt(ByteArrayOutputStream out, int value) {
        out.write(value >>> 24);
        out.write(value >>> 16);
        out.write(value >>> 8);
        out.write(value);
    }

    private static void writeMac(ByteArrayOutputStream out, long mac) {
        for (int shift = 40; shift >= 0; shift -= 8) {
            out.write((int) (mac >>> shift));
        }
    }
}
