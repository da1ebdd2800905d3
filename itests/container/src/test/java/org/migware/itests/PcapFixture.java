package org.migware.itests;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes small classic pcap files (microsecond timestamps, Ethernet link type) of one IPv4 TCP
 * connection, for tests that feed the capture-file bundle. Written byte by byte here, not with
 * MigWare's parser or any library, so the file is an independent input.
 *
 * <p>Addresses are from the documentation ranges (RFC 5737); nothing is ever sent anywhere.
 */
public final class PcapFixture {

    /** The service of the fixture's connection: 192.0.2.10:8080. */
    public static final String SERVER_IP = "192.0.2.10";
    /** The service port of the fixture's connection. */
    public static final int SERVER_PORT = 8080;
    /** The client of the fixture's connection: 198.51.100.7:40000. */
    public static final String CLIENT_IP = "198.51.100.7";
    /** The client port of the fixture's connection. */
    public static final int CLIENT_PORT = 40000;

    private static final byte[] CLIENT_MAC = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
    private static final byte[] SERVER_MAC = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
    private static final int SYN = 0x02;
    private static final int ACK = 0x10;
    private static final int PSH = 0x08;

    private PcapFixture() {
    }

    /**
     * Writes a three-way handshake and one client record ("hello\n") acknowledged by the server:
     * 5 frames, the client's SYN carrying MSS 1460.
     *
     * @param file where to write; replaced if it exists
     * @return the file
     * @throws IOException if it cannot be written
     */
    public static Path writeHandshakeAndRecord(Path file) throws IOException {
        byte[] client = ip(CLIENT_IP);
        byte[] server = ip(SERVER_IP);
        int clientIsn = 1_000_000;
        int serverIsn = 2_000_000;
        byte[] payload = "hello\n".getBytes(StandardCharsets.US_ASCII);
        byte[] mss = {2, 4, 0x05, (byte) 0xb4}; // kind 2, length 4, 1460

        ByteBuffer out = header(4096);

        int second = 1_700_000_000;
        record(out, second, 0, frame(CLIENT_MAC, SERVER_MAC, client, server, CLIENT_PORT, SERVER_PORT,
                clientIsn, 0, SYN, mss, new byte[0]));
        record(out, second, 100, frame(SERVER_MAC, CLIENT_MAC, server, client, SERVER_PORT, CLIENT_PORT,
                serverIsn, clientIsn + 1, SYN | ACK, mss, new byte[0]));
        record(out, second, 200, frame(CLIENT_MAC, SERVER_MAC, client, server, CLIENT_PORT, SERVER_PORT,
                clientIsn + 1, serverIsn + 1, ACK, new byte[0], new byte[0]));
        record(out, second, 300, frame(CLIENT_MAC, SERVER_MAC, client, server, CLIENT_PORT, SERVER_PORT,
                clientIsn + 1, serverIsn + 1, PSH | ACK, new byte[0], payload));
        record(out, second, 400, frame(SERVER_MAC, CLIENT_MAC, server, client, SERVER_PORT, CLIENT_PORT,
                serverIsn + 1, clientIsn + 1 + payload.length, ACK, new byte[0], new byte[0]));

        return write(out, file);
    }

    /**
     * One client's connection of {@link #writeHandshakes}.
     *
     * @param clientIp the client's address
     * @param clientPort the client's port
     * @param serverPort the port of {@link #SERVER_IP} it connects to
     */
    public record Connection(String clientIp, int clientPort, int serverPort) {
    }

    /**
     * Writes the three-way handshake of each connection, one after the other (SYN, SYN-ACK, ACK,
     * 100 microseconds apart; the next connection a millisecond later), to {@link #SERVER_IP}.
     *
     * @param file where to write; replaced if it exists
     * @param connections the connections, in the order they open
     * @return the file
     * @throws IOException if it cannot be written
     */
    public static Path writeHandshakes(Path file, java.util.List<Connection> connections) throws IOException {
        ByteBuffer out = header(24 + connections.size() * 3 * (16 + 14 + 20 + 24));
        byte[] server = ip(SERVER_IP);
        long micros = 1_700_000_000L * 1_000_000;
        for (Connection c : connections) {
            byte[] client = ip(c.clientIp());
            int clientIsn = 1_000_000 + c.clientPort();
            int serverIsn = 2_000_000 + c.clientPort();
            byte[] mss = {2, 4, 0x05, (byte) 0xb4};
            record(out, micros, frame(CLIENT_MAC, SERVER_MAC, client, server, c.clientPort(), c.serverPort(), clientIsn, 0, SYN, mss, new byte[0]));
            record(out, micros + 100, frame(SERVER_MAC, CLIENT_MAC, server, client, c.serverPort(), c.clientPort(), serverIsn, clientIsn + 1,
                    SYN | ACK, mss, new byte[0]));
            record(out, micros + 200, frame(CLIENT_MAC, SERVER_MAC, client, server, c.clientPort(), c.serverPort(), clientIsn + 1,
                    serverIsn + 1, ACK, new byte[0], new byte[0]));
            micros += 1000;
        }
        return write(out, file);
    }

    /** A buffer of {@code capacity} bytes holding the classic pcap file header. */
    private static ByteBuffer header(int capacity) {
        ByteBuffer out = ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(0xa1b2c3d4);      // magic: microsecond timestamps, written little-endian
        out.putShort((short) 2);     // version 2.4
        out.putShort((short) 4);
        out.putInt(0);               // thiszone
        out.putInt(0);               // sigfigs
        out.putInt(65535);           // snaplen
        out.putInt(1);               // link type: Ethernet
        return out;
    }

    private static Path write(ByteBuffer out, Path file) throws IOException {
        byte[] bytes = new byte[out.position()];
        out.flip();
        out.get(bytes);
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, bytes);
        return file;
    }

    private static void record(ByteBuffer out, long micros, byte[] frame) {
        record(out, (int) (micros / 1_000_000), (int) (micros % 1_000_000), frame);
    }

    private static void record(ByteBuffer out, int second, int microsecond, byte[] frame) {
        out.putInt(second);
        out.putInt(microsecond);
        out.putInt(frame.length);    // captured length
        out.putInt(frame.length);    // original length
        out.put(frame);
    }

    /** An Ethernet II frame with an IPv4 header (no options) and a TCP header; all big-endian. */
    private static byte[] frame(byte[] sourceMac, byte[] destinationMac, byte[] sourceIp, byte[] destinationIp,
            int sourcePort, int destinationPort, int sequence, int acknowledgement, int flags,
            byte[] tcpOptions, byte[] payload) {
        int tcpLength = 20 + tcpOptions.length + payload.length;
        int ipLength = 20 + tcpLength;
        ByteBuffer frame = ByteBuffer.allocate(14 + ipLength); // big-endian by default

        frame.put(destinationMac).put(sourceMac).putShort((short) 0x0800);

        int ipStart = frame.position();
        frame.put((byte) 0x45);                  // version 4, header length 5 words
        frame.put((byte) 0);                     // DSCP/ECN
        frame.putShort((short) ipLength);
        frame.putShort((short) 0);               // identification
        frame.putShort((short) 0x4000);          // don't fragment
        frame.put((byte) 64);                    // TTL
        frame.put((byte) 6);                     // protocol TCP
        frame.putShort((short) 0);               // header checksum, filled in below
        frame.put(sourceIp).put(destinationIp);
        frame.putShort(ipStart + 10, (short) checksum(frame.array(), ipStart, 20, 0));

        int tcpStart = frame.position();
        frame.putShort((short) sourcePort).putShort((short) destinationPort);
        frame.putInt(sequence).putInt(acknowledgement);
        frame.put((byte) (((20 + tcpOptions.length) / 4) << 4)); // data offset
        frame.put((byte) flags);
        frame.putShort((short) 64240);           // window
        frame.putShort((short) 0);               // checksum, filled in below
        frame.putShort((short) 0);               // urgent pointer
        frame.put(tcpOptions).put(payload);

        // TCP checksum over the pseudo-header (addresses, protocol, TCP length) and the segment
        long pseudo = sum(sourceIp, 0, 4) + sum(destinationIp, 0, 4) + 6 + tcpLength;
        frame.putShort(tcpStart + 16, (short) checksum(frame.array(), tcpStart, tcpLength, pseudo));
        return frame.array();
    }

    private static long sum(byte[] bytes, int offset, int length) {
        long sum = 0;
        for (int i = 0; i < length; i += 2) {
            int high = bytes[offset + i] & 0xff;
            int low = i + 1 < length ? bytes[offset + i + 1] & 0xff : 0;
            sum += (high << 8) | low;
        }
        return sum;
    }

    private static int checksum(byte[] bytes, int offset, int length, long initial) {
        long sum = initial + sum(bytes, offset, length);
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }

    private static byte[] ip(String dotted) {
        String[] parts = dotted.split("\\.");
        byte[] address = new byte[4];
        for (int i = 0; i < 4; i++) {
            address[i] = (byte) Integer.parseInt(parts[i]);
        }
        return address;
    }
}
