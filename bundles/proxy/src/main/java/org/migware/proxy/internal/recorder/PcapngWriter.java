package org.migware.proxy.internal.recorder;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes pcapng (draft-ietf-opsawg-pcapng) as tshark and Wireshark read it: a section header,
 * two interfaces — 0 the wire (Ethernet), 1 the TUN (raw IPv4) — and one enhanced packet block
 * per frame with its direction ({@code epb_flags}) and a comment naming its side. Big-endian, as
 * the section header's byte-order magic says; timestamps in microseconds (the default).
 */
public final class PcapngWriter implements AutoCloseable {

    private static final int SECTION_HEADER = 0x0A0D0D0A;
    private static final int INTERFACE_DESCRIPTION = 0x00000001;
    private static final int ENHANCED_PACKET = 0x00000006;
    private static final int BYTE_ORDER_MAGIC = 0x1A2B3C4D;
    private static final int LINKTYPE_ETHERNET = 1;
    private static final int LINKTYPE_RAW = 101;
    private static final int OPTION_END = 0;
    private static final int OPTION_COMMENT = 1;
    private static final int OPTION_IF_NAME = 2;
    private static final int OPTION_EPB_FLAGS = 2;
    private static final int INBOUND = 1;
    private static final int OUTBOUND = 2;

    private final DataOutputStream out;
    private long packets;

    /** Writes the section header and the two interfaces. */
    public PcapngWriter(OutputStream target, int snapLength, String wireName, String tunName) throws IOException {
        this.out = new DataOutputStream(new java.io.BufferedOutputStream(target, 64 * 1024));
        out.writeInt(SECTION_HEADER);
        out.writeInt(28);
        out.writeInt(BYTE_ORDER_MAGIC);
        out.writeShort(1);
        out.writeShort(0);
        out.writeLong(-1L); // section length unknown
        out.writeInt(28);
        writeInterface(LINKTYPE_ETHERNET, snapLength, wireName);
        writeInterface(LINKTYPE_RAW, snapLength, tunName);
    }

    private void writeInterface(int linkType, int snapLength, String name) throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        int optionsLength = 4 + padded(nameBytes.length) + 4;
        int total = 20 + optionsLength;
        out.writeInt(INTERFACE_DESCRIPTION);
        out.writeInt(total);
        out.writeShort(linkType);
        out.writeShort(0);
        out.writeInt(snapLength);
        writeOption(OPTION_IF_NAME, nameBytes);
        out.writeInt(OPTION_END);
        out.writeInt(total);
    }

    /** One frame of {@code side}. */
    public void write(FrameRing.Side side, long epochNanos, int originalLength, byte[] bytes, int offset, int length)
            throws IOException {
        byte[] comment = describe(side).getBytes(StandardCharsets.UTF_8);
        int optionsLength = 4 + 4 + 4 + padded(comment.length) + 4;
        int total = 28 + padded(length) + optionsLength + 4;
        long micros = epochNanos / 1_000;
        out.writeInt(ENHANCED_PACKET);
        out.writeInt(total);
        out.writeInt(side.ethernet() ? 0 : 1);
        out.writeInt((int) (micros >>> 32));
        out.writeInt((int) micros);
        out.writeInt(length);
        out.writeInt(originalLength);
        out.write(bytes, offset, length);
        pad(length);
        out.writeShort(OPTION_EPB_FLAGS);
        out.writeShort(4);
        out.writeInt(side == FrameRing.Side.WIRE_CAPTURED || side == FrameRing.Side.TUN_FROM_REPLICA ? INBOUND : OUTBOUND);
        writeOption(OPTION_COMMENT, comment);
        out.writeInt(OPTION_END);
        out.writeInt(total);
        packets++;
    }

    /** @return the frames written */
    public long packets() {
        return packets;
    }

    private static String describe(FrameRing.Side side) {
        return switch (side) {
            case WIRE_CAPTURED -> "wire: captured";
            case WIRE_SENT -> "wire: sent by MigWare to the client";
            case TUN_TO_REPLICA -> "tun: MigWare to the replica";
            case TUN_FROM_REPLICA -> "tun: the replica to MigWare";
        };
    }

    private void writeOption(int code, byte[] value) throws IOException {
        out.writeShort(code);
        out.writeShort(value.length);
        out.write(value);
        pad(value.length);
    }

    private void pad(int length) throws IOException {
        for (int i = length; i % 4 != 0; i++) {
            out.write(0);
        }
    }

    private static int padded(int length) {
        return (length + 3) & ~3;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
