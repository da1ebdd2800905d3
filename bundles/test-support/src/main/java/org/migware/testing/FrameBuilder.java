package org.migware.testing;

import static org.migware.testing.TestBytes.internetChecksum;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.migware.api.packet.ParsedPacket;

/**
 * Builds valid Ethernet/VLAN/IPv4-or-IPv6/TCP frames from field values, computing every length
 * and checksum itself (with {@link TestBytes#internetChecksum}, not the parser's code). It is
 * the other half of the parser's round-trip properties, so it shares nothing with the parser (not even
 * the wire package's constants)
 * and writes through a {@link ByteBuffer} instead of hand-made shifts.
 *
 * <p>After {@link #build()} the offsets it used are in {@link #ipOffset}, {@link #tcpOffset},
 * {@link #payloadOffset} and {@link #ipEnd}.
 */
public final class FrameBuilder {

    public long destinationMac = 0x02_00_00_00_00_02L;
    public long sourceMac = 0x02_00_00_00_00_01L;
    /** Pairs of (TPID, TCI), outermost first. */
    public final List<int[]> vlanTags = new ArrayList<>();

    public int ipVersion = 4;
    public int ecn;
    public int sourceIpv4 = 0xc0_00_02_01;
    public int destinationIpv4 = 0xc0_00_02_02;
    public long sourceHigh = 0x2001_0db8_0000_0000L;
    public long sourceLow = 1;
    public long destinationHigh = 0x2001_0db8_0000_0000L;
    public long destinationLow = 2;
    /** IPv4 options, already a multiple of 4 bytes. */
    public byte[] ipv4Options = new byte[0];
    /** IPv4 flags and fragment offset word: DF by default, as Linux sends. */
    public int ipv4FlagsAndFragment = 0x4000;
    /** IPv6 extension headers in order; the builder fills in each one's next-header byte. */
    public final List<Extension> extensions = new ArrayList<>();

    public int sourcePort = 40000;
    public int destinationPort = 7000;
    public int sequenceNumber;
    public int acknowledgementNumber;
    /** Nine flag bits, NS in bit 8. */
    public int flags = ParsedPacket.ACK;
    public int window = 502;
    public TcpOptions options = new TcpOptions();
    /** When set, these exact option bytes instead of {@link #options}. */
    public byte[] rawTcpOptions;
    public byte[] payload = new byte[0];
    /** Bytes after the IP packet, as Ethernet padding or a trailer adds them. */
    public int trailerLength;

    // set by build()
    public int ipOffset;
    public int tcpOffset;
    public int payloadOffset;
    public int ipEnd;

    /** An IPv6 extension header: its type and its whole bytes (next-header byte left 0). */
    public record Extension(int type, byte[] bytes) {

        public static Extension hopByHop(int units) {
            return generic(0 /* hop-by-hop */, units);
        }

        public static Extension destinationOptions(int units) {
            return generic(60 /* destination options */, units);
        }

        /** A segment-routing header (type 4) whose segments left is 0: the packet is at its final destination. */
        public static Extension routing(int units) {
            Extension header = generic(43 /* routing */, units);
            header.bytes[2] = 4;
            return header;
        }

        public static Extension fragment(int offsetUnits, boolean more, int identification) {
            byte[] bytes = ByteBuffer.allocate(8).put((byte) 0).put((byte) 0)
                    .putShort((short) (offsetUnits << 3 | (more ? 1 : 0))).putInt(identification).array();
            return new Extension(44 /* fragment */, bytes);
        }

        /** An AH with an ICV of {@code icvWords} 32-bit words; odd counts keep IPv6's 8-byte alignment. */
        public static Extension authentication(int icvWords) {
            int length = 12 + 4 * icvWords;
            byte[] bytes = new byte[length];
            bytes[1] = (byte) (length / 4 - 2);
            bytes[7] = 0x11; // SPI
            bytes[11] = 0x01; // sequence number
            return new Extension(51 /* authentication */, bytes);
        }

        public static Extension generic(int type, int units) {
            // zero bytes are Pad1 options, which keeps hop-by-hop and destination options valid
            byte[] bytes = new byte[(units + 1) * 8];
            bytes[1] = (byte) units;
            return new Extension(type, bytes);
        }

        @Override
        public String toString() {
            return "Extension[" + type + ", " + bytes.length + " bytes]";
        }
    }

    /** TCP options, laid out in the order added, padded with EOL to a multiple of 4; remembers what it holds. */
    public static final class TcpOptions {
        private final ByteBuffer bytes = ByteBuffer.allocate(40);
        public int mss = -1;
        public int windowScale = -1;
        public boolean sackPermitted;
        public int timestampOffset = -1;
        public int timestampValue;
        public int timestampEchoReply;
        public int sackOffset = -1;
        public int[] sackEdges = new int[0];
        public boolean authentication;
        public boolean multipath;
        public boolean fastOpen;
        public boolean unknown;

        public int room() {
            return bytes.remaining();
        }

        public TcpOptions nop() {
            bytes.put((byte) 1);
            return this;
        }

        public TcpOptions mss(int value) {
            bytes.put((byte) 2).put((byte) 4).putShort((short) value);
            mss = value;
            return this;
        }

        public TcpOptions windowScale(int shift) {
            bytes.put((byte) 3).put((byte) 3).put((byte) shift);
            windowScale = Math.min(shift, 14);
            return this;
        }

        public TcpOptions sackPermitted() {
            bytes.put((byte) 4).put((byte) 2);
            sackPermitted = true;
            return this;
        }

        public TcpOptions timestamps(int value, int echoReply) {
            timestampOffset = bytes.position();
            bytes.put((byte) 8).put((byte) 10).putInt(value).putInt(echoReply);
            timestampValue = value;
            timestampEchoReply = echoReply;
            return this;
        }

        /** @param edges left, right, left, right, ... for 1 to 4 blocks */
        public TcpOptions sack(int... edges) {
            sackOffset = bytes.position();
            bytes.put((byte) 5).put((byte) (2 + 4 * edges.length));
            for (int edge : edges) {
                bytes.putInt(edge);
            }
            sackEdges = edges.clone();
            return this;
        }

        /** Any other option: {@code length} bytes in all, value bytes 0xab. */
        public TcpOptions other(int kind, int length) {
            bytes.put((byte) kind).put((byte) length);
            for (int i = 2; i < length; i++) {
                bytes.put((byte) 0xab);
            }
            authentication |= kind == 19 || kind == 29;
            multipath |= kind == 30;
            fastOpen |= kind == 34;
            unknown = true;
            return this;
        }

        public byte[] build() {
            int length = (bytes.position() + 3) / 4 * 4;
            return Arrays.copyOf(bytes.array(), length); // the padding is EOL (0)
        }

        @Override
        public String toString() {
            byte[] built = build();
            StringBuilder text = new StringBuilder("TcpOptions[");
            for (byte b : built) {
                text.append(String.format("%02x", b & 0xff));
            }
            return text.append(']').toString();
        }
    }

    public FrameBuilder vlan(int tpid, int tci) {
        vlanTags.add(new int[] {tpid, tci});
        return this;
    }

    public FrameBuilder ipv6() {
        ipVersion = 6;
        return this;
    }

    public FrameBuilder extension(Extension extension) {
        extensions.add(extension);
        return this;
    }

    public FrameBuilder payload(int length) {
        payload = new byte[length];
        for (int i = 0; i < length; i++) {
            payload[i] = (byte) ('a' + i % 26);
        }
        return this;
    }

    /** @return the frame, with its IP and TCP checksums right */
    public byte[] build() {
        byte[] tcpOptions = rawTcpOptions != null ? rawTcpOptions : options.build();
        int tcpLength = 20 + tcpOptions.length + payload.length;
        int extensionLength = extensions.stream().mapToInt(e -> e.bytes().length).sum();
        int ipHeaderLength = ipVersion == 4 ? 20 + ipv4Options.length : 40 + extensionLength;
        int linkLength = 14 + 4 * vlanTags.size();
        ByteBuffer frame = ByteBuffer.allocate(linkLength + ipHeaderLength + tcpLength + trailerLength);

        frame.putShort((short) (destinationMac >>> 32)).putInt((int) destinationMac);
        frame.putShort((short) (sourceMac >>> 32)).putInt((int) sourceMac);
        for (int[] tag : vlanTags) {
            frame.putShort((short) tag[0]).putShort((short) tag[1]);
        }
        frame.putShort((short) (ipVersion == 4 ? 0x0800 : 0x86dd));

        ipOffset = frame.position();
        if (ipVersion == 4) {
            frame.put((byte) (0x40 | ipHeaderLength / 4)).put((byte) ecn)
                    .putShort((short) (ipHeaderLength + tcpLength))
                    .putShort((short) 0x1234).putShort((short) ipv4FlagsAndFragment)
                    .put((byte) 64).put((byte) 6).putShort((short) 0)
                    .putInt(sourceIpv4).putInt(destinationIpv4).put(ipv4Options);
            frame.putShort(ipOffset + 10, (short) internetChecksum(frame.array(), ipOffset, ipOffset + ipHeaderLength, 0));
        } else {
            int firstNext = extensions.isEmpty() ? 6 : extensions.get(0).type();
            frame.putInt(0x6000_0000 | ecn << 20 | 0x12345)
                    .putShort((short) (extensionLength + tcpLength)).put((byte) firstNext).put((byte) 64)
                    .putLong(sourceHigh).putLong(sourceLow).putLong(destinationHigh).putLong(destinationLow);
            for (int i = 0; i < extensions.size(); i++) {
                byte[] bytes = extensions.get(i).bytes().clone();
                bytes[0] = (byte) (i + 1 < extensions.size() ? extensions.get(i + 1).type() : 6);
                frame.put(bytes);
            }
        }

        tcpOffset = frame.position();
        frame.putShort((short) sourcePort).putShort((short) destinationPort)
                .putInt(sequenceNumber).putInt(acknowledgementNumber)
                .put((byte) ((20 + tcpOptions.length) / 4 << 4 | flags >>> 8 & 1)).put((byte) flags)
                .putShort((short) window).putShort((short) 0).putShort((short) 0)
                .put(tcpOptions);
        payloadOffset = frame.position();
        frame.put(payload);
        ipEnd = frame.position();
        while (frame.hasRemaining()) {
            frame.put((byte) 0x5a);
        }

        byte[] bytes = frame.array();
        frame.putShort(tcpOffset + 16, (short) internetChecksum(bytes, tcpOffset, ipEnd, pseudoHeaderSum(bytes, tcpLength)));
        return bytes;
    }

    private long pseudoHeaderSum(byte[] bytes, int tcpLength) {
        long sum = 6 + tcpLength;
        int from = ipOffset + (ipVersion == 4 ? 12 : 8);
        int to = from + (ipVersion == 4 ? 8 : 32);
        for (int i = from; i < to; i += 2) {
            sum += TestBytes.readShort(bytes, i);
        }
        return sum;
    }

    @Override
    public String toString() {
        return "FrameBuilder[vlans " + vlanTags.size() + ", IPv" + ipVersion + ", ipv4Options " + ipv4Options.length
                + ", extensions " + extensions + ", ports " + sourcePort + "->" + destinationPort
                + ", seq " + Integer.toUnsignedString(sequenceNumber) + ", ack " + Integer.toUnsignedString(acknowledgementNumber)
                + ", flags 0x" + Integer.toHexString(flags) + ", window " + window + ", " + options
                + ", payload " + payload.length + ", trailer " + trailerLength + "]";
    }
}
