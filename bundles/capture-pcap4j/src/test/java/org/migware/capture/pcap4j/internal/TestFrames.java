package org.migware.capture.pcap4j.internal;

import java.nio.ByteBuffer;

/** Ethernet frames for the live tests, built field by field. */
final class TestFrames {

    static final byte[] BROADCAST = {-1, -1, -1, -1, -1, -1};
    /** Locally administered MACs that no real interface has: only a promiscuous capture sees them. */
    static final byte[] CLIENT_MAC = {2, 0, 0x4d, 0x57, 0, 0x0c};
    static final byte[] PRIMARY_MAC = {2, 0, 0x4d, 0x57, 0, 0x0b};

    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int ETHERTYPE_ARP = 0x0806;
    private static final int PROTOCOL_TCP = 6;
    private static final int PROTOCOL_UDP = 17;

    private TestFrames() {
    }

    /** Ethernet, IPv4 (20 bytes, checksum set), TCP (20 bytes, ACK|PSH), payload. */
    static byte[] tcp(byte[] dstMac, byte[] srcMac, String srcIp, String dstIp, int srcPort, int dstPort, byte[] payload) {
        ByteBuffer transport = ByteBuffer.allocate(20 + payload.length)
                .putShort((short) srcPort).putShort((short) dstPort)
                .putInt(1000) // sequence number
                .putInt(2000) // acknowledgment number
                .put((byte) 0x50) // data offset 5 words
                .put((byte) 0x18) // ACK | PSH
                .putShort((short) 65535) // window
                .putShort((short) 0) // checksum: not checked by capture
                .putShort((short) 0) // urgent pointer
                .put(payload);
        return ethernet(dstMac, srcMac, ETHERTYPE_IPV4, ipv4(srcIp, dstIp, PROTOCOL_TCP, transport.array()));
    }

    /** Ethernet, IPv4, UDP, payload. */
    static byte[] udp(byte[] dstMac, byte[] srcMac, String srcIp, String dstIp, int srcPort, int dstPort, byte[] payload) {
        ByteBuffer transport = ByteBuffer.allocate(8 + payload.length)
                .putShort((short) srcPort).putShort((short) dstPort)
                .putShort((short) (8 + payload.length)).putShort((short) 0).put(payload);
        return ethernet(dstMac, srcMac, ETHERTYPE_IPV4, ipv4(srcIp, dstIp, PROTOCOL_UDP, transport.array()));
    }

    /** An ARP request "who has targetIp, tell senderIp", broadcast. */
    static byte[] arpRequest(byte[] senderMac, String senderIp, String targetIp) {
        ByteBuffer arp = ByteBuffer.allocate(28)
                .putShort((short) 1) // hardware type Ethernet
                .putShort((short) ETHERTYPE_IPV4) // protocol type IPv4
                .put((byte) 6).put((byte) 4) // address lengths
                .putShort((short) 1) // operation: request
                .put(senderMac).put(ip(senderIp))
                .put(new byte[6]).put(ip(targetIp));
        return ethernet(BROADCAST, senderMac, ETHERTYPE_ARP, arp.array());
    }

    static int etherType(byte[] frame, int offset) {
        return ((frame[offset + 12] & 0xFF) << 8) | (frame[offset + 13] & 0xFF);
    }

    /** @return the TCP or UDP destination port of an IPv4 frame with a 20-byte header */
    static int dstPort(byte[] frame, int offset) {
        return ((frame[offset + 36] & 0xFF) << 8) | (frame[offset + 37] & 0xFF);
    }

    /** @return the TCP or UDP source port of an IPv4 frame with a 20-byte header */
    static int srcPort(byte[] frame, int offset) {
        return ((frame[offset + 34] & 0xFF) << 8) | (frame[offset + 35] & 0xFF);
    }

    private static byte[] ethernet(byte[] dst, byte[] src, int etherType, byte[] payload) {
        // pad to the 60-byte minimum, as a NIC would: veth does not pad
        ByteBuffer frame = ByteBuffer.allocate(Math.max(60, 14 + payload.length))
                .put(dst).put(src).putShort((short) etherType).put(payload);
        return frame.array();
    }

    private static byte[] ipv4(String src, String dst, int protocol, byte[] transport) {
        ByteBuffer header = ByteBuffer.allocate(20 + transport.length)
                .put((byte) 0x45).put((byte) 0) // version 4, IHL 5; DSCP/ECN 0
                .putShort((short) (20 + transport.length))
                .putShort((short) 0x4d57).putShort((short) 0x4000) // id; don't fragment
                .put((byte) 64).put((byte) protocol)
                .putShort((short) 0) // checksum, set below
                .put(ip(src)).put(ip(dst));
        int sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += header.getShort(i) & 0xFFFF;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        header.putShort(10, (short) ~sum);
        return header.put(transport).array();
    }

    private static byte[] ip(String dotted) {
        String[] parts = dotted.split("\\.");
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            bytes[i] = (byte) Integer.parseInt(parts[i]);
        }
        return bytes;
    }
}
