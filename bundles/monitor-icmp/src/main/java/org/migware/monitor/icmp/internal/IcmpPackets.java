package org.migware.monitor.icmp.internal;

import java.util.Arrays;

import org.migware.api.wire.InternetChecksum;
import org.migware.api.wire.IpProtocol;
import org.migware.api.wire.Ipv4Header;
import org.migware.api.wire.Ipv6Header;

/**
 * Builds echo requests and recognises the answers to them, over plain byte arrays.
 *
 * <pre>
 *  ICMP echo request / reply (RFC 792; ICMPv6: RFC 4443, types 128 / 129)
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     Type      |     Code      |          Checksum             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |           Identifier          |        Sequence Number        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     Data ...
 * </pre>
 *
 * An error (destination unreachable, time exceeded) carries the offending packet's IP header and at
 * least its first 8 ICMP bytes after its own 8-byte header, so it is matched to our request by the
 * same identifier and sequence number. A raw IPv4 socket delivers the IP header before the ICMP
 * message; a raw ICMPv6 socket delivers the ICMPv6 message alone. Every read is length-checked:
 * anything short or odd is "not ours".
 */
final class IcmpPackets {

    static final int HEADER_LENGTH = 8;
    static final int TYPE_OFFSET = 0;
    static final int CODE_OFFSET = 1;
    static final int CHECKSUM_OFFSET = 2;
    static final int IDENTIFIER_OFFSET = 4;
    static final int SEQUENCE_OFFSET = 6;
    static final int PAYLOAD_LENGTH = 56; // as ping(8): 64 bytes of ICMP

    static final int V4_ECHO_REPLY = 0;
    static final int V4_DESTINATION_UNREACHABLE = 3;
    static final int V4_ECHO_REQUEST = 8;
    static final int V4_TIME_EXCEEDED = 11;
    static final int V6_DESTINATION_UNREACHABLE = 1;
    static final int V6_TIME_EXCEEDED = 3;
    static final int V6_ECHO_REQUEST = 128;
    static final int V6_ECHO_REPLY = 129;


    /** What an answer says about our request. */
    enum Kind { REPLY, ERROR }

    /** @param kind reply or error; @param type @param code of the answer; @param from its sender */
    record Answer(Kind kind, int type, int code, byte[] from) {
    }

    private IcmpPackets() {
    }

    /** @return an echo request; for IPv4 with its checksum, for IPv6 the kernel fills it in */
    static byte[] echoRequest(boolean ipv6, int identifier, int sequence, long stamp) {
        byte[] packet = new byte[HEADER_LENGTH + PAYLOAD_LENGTH];
        packet[TYPE_OFFSET] = (byte) (ipv6 ? V6_ECHO_REQUEST : V4_ECHO_REQUEST);
        writeShort(packet, IDENTIFIER_OFFSET, identifier);
        writeShort(packet, SEQUENCE_OFFSET, sequence);
        for (int i = 0; i < 8; i++) {
            packet[HEADER_LENGTH + i] = (byte) (stamp >>> (56 - 8 * i));
        }
        for (int i = HEADER_LENGTH + 8; i < packet.length; i++) {
            packet[i] = (byte) i;
        }
        if (!ipv6) {
            writeShort(packet, CHECKSUM_OFFSET, InternetChecksum.checksum(packet, 0, packet.length, 0));
        }
        return packet;
    }

    /**
     * @param packet what {@code recvfrom} returned: IPv4 header + ICMP, or the ICMPv6 message
     * @param from the sender from {@code recvfrom}'s address (used for IPv6; IPv4 reads the header)
     * @return the answer to our request {@code (identifier, sequence)} to {@code target}, or null if
     *         it is something else
     */
    static Answer match(byte[] packet, int length, boolean ipv6, byte[] from, byte[] target, int identifier, int sequence) {
        int icmp;
        byte[] source;
        if (ipv6) {
            icmp = 0;
            source = from;
        } else {
            if (length < Ipv4Header.MIN_HEADER_LENGTH || (packet[0] & 0xf0) != 0x40) {
                return null;
            }
            icmp = (packet[0] & 0x0f) * 4;
            if (icmp < Ipv4Header.MIN_HEADER_LENGTH || (packet[Ipv4Header.PROTOCOL_OFFSET] & 0xff) != IpProtocol.ICMP) {
                return null;
            }
            source = Arrays.copyOfRange(packet, Ipv4Header.SOURCE_OFFSET, Ipv4Header.SOURCE_OFFSET + 4);
        }
        if (length < icmp + HEADER_LENGTH) {
            return null;
        }
        int type = packet[icmp + TYPE_OFFSET] & 0xff;
        int code = packet[icmp + CODE_OFFSET] & 0xff;
        boolean reply = ipv6 ? type == V6_ECHO_REPLY : type == V4_ECHO_REPLY;
        if (reply) {
            boolean ours = Arrays.equals(source, target)
                    && readShort(packet, icmp + IDENTIFIER_OFFSET) == identifier
                    && readShort(packet, icmp + SEQUENCE_OFFSET) == sequence;
            return ours ? new Answer(Kind.REPLY, type, code, source) : null;
        }
        boolean error = ipv6 ? type == V6_DESTINATION_UNREACHABLE || type == V6_TIME_EXCEEDED
                : type == V4_DESTINATION_UNREACHABLE || type == V4_TIME_EXCEEDED;
        if (!error) {
            return null;
        }
        int inner = icmp + HEADER_LENGTH;
        int innerIcmp;
        byte[] innerDestination;
        if (ipv6) {
            if (length < inner + Ipv6Header.HEADER_LENGTH + HEADER_LENGTH || (packet[inner + Ipv6Header.NEXT_HEADER_OFFSET] & 0xff) != IpProtocol.ICMPV6) {
                return null;
            }
            innerDestination = Arrays.copyOfRange(packet, inner + Ipv6Header.DESTINATION_OFFSET, inner + Ipv6Header.DESTINATION_OFFSET + 16);
            innerIcmp = inner + Ipv6Header.HEADER_LENGTH;
        } else {
            if (length < inner + Ipv4Header.MIN_HEADER_LENGTH || (packet[inner] & 0xf0) != 0x40
                    || (packet[inner + Ipv4Header.PROTOCOL_OFFSET] & 0xff) != IpProtocol.ICMP) {
                return null;
            }
            innerIcmp = inner + (packet[inner] & 0x0f) * 4;
            if (innerIcmp - inner < Ipv4Header.MIN_HEADER_LENGTH || length < innerIcmp + HEADER_LENGTH) {
                return null;
            }
            innerDestination = Arrays.copyOfRange(packet, inner + Ipv4Header.DESTINATION_OFFSET, inner + Ipv4Header.DESTINATION_OFFSET + 4);
        }
        int innerType = packet[innerIcmp + TYPE_OFFSET] & 0xff;
        boolean ours = Arrays.equals(innerDestination, target)
                && innerType == (ipv6 ? V6_ECHO_REQUEST : V4_ECHO_REQUEST)
                && readShort(packet, innerIcmp + IDENTIFIER_OFFSET) == identifier
                && readShort(packet, innerIcmp + SEQUENCE_OFFSET) == sequence;
        return ours ? new Answer(Kind.ERROR, type, code, source) : null;
    }

    /** @return an ICMP error in words, e.g. "destination unreachable (host unreachable)" */
    static String describeError(boolean ipv6, int type, int code) {
        if (ipv6) {
            if (type == V6_TIME_EXCEEDED) {
                return "time exceeded";
            }
            return switch (code) {
                case 0 -> "destination unreachable (no route)";
                case 1 -> "destination unreachable (administratively prohibited)";
                case 3 -> "destination unreachable (address unreachable)";
                case 4 -> "destination unreachable (port unreachable)";
                default -> "destination unreachable (code " + code + ")";
            };
        }
        if (type == V4_TIME_EXCEEDED) {
            return "time exceeded";
        }
        return switch (code) {
            case 0 -> "destination unreachable (network unreachable)";
            case 1 -> "destination unreachable (host unreachable)";
            case 2 -> "destination unreachable (protocol unreachable)";
            case 3 -> "destination unreachable (port unreachable)";
            case 9, 10, 13 -> "destination unreachable (administratively prohibited)";
            default -> "destination unreachable (code " + code + ")";
        };
    }

    static int readShort(byte[] bytes, int offset) {
        return ((bytes[offset] & 0xff) << 8) | (bytes[offset + 1] & 0xff);
    }

    static void writeShort(byte[] bytes, int offset, int value) {
        bytes[offset] = (byte) (value >>> 8);
        bytes[offset + 1] = (byte) value;
    }
}
