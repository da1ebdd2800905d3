package org.migware.api.wire;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The Internet checksum (RFC 1071): the one's-complement of the one's-complement sum of 16-bit
 * big-endian words, an odd last byte padded with zero; the TCP pseudo-headers of IPv4 (RFC 9293
 * §3.1) and IPv6 (RFC 8200 §8.1); and the incremental update of RFC 1624.
 *
 * <p>{@link #sum} returns the sum folded to 16 bits and not yet complemented, so sums chain: a
 * TCP checksum is {@code ~sum(segment, pseudoHeaderSum) & 0xffff}. A header whose checksum field
 * is right sums to {@code 0xffff}. Nothing here allocates.
 */
public final class InternetChecksum {

    /** What a checksummed range (checksum field included) sums to when its checksum is right. */
    public static final int VALID_SUM = 0xffff;

    private static final long UNSIGNED_INT = 0xffff_ffffL;
    private static final VarHandle BIG_ENDIAN_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle BIG_ENDIAN_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    private InternetChecksum() {
    }

    /**
     * Adds the 16-bit words of {@code length} bytes from {@code offset} to {@code initial}, eight
     * bytes a read: the two 32-bit halves of a big-endian long add up to the same one's-complement
     * sum as its four 16-bit words (2^16 is 1 modulo 2^16 - 1), and 2^16 reads of at most 2^33 each
     * cannot overflow the long. Every captured segment of the service is summed on the capture
     * thread, and its headers on every rewrite: a loop of 16-bit words took a quarter of the
     * parser + tracker's time (JFR, README).
     *
     * @param initial a sum to continue, such as a pseudo-header's, or 0
     * @return the one's-complement sum folded to 16 bits, not complemented
     */
    public static int sum(byte[] bytes, int offset, int length, int initial) {
        long sum = initial & UNSIGNED_INT;
        int i = offset;
        int end = offset + length;
        for (; end - i >= 8; i += 8) {
            long word = (long) BIG_ENDIAN_LONG.get(bytes, i);
            sum += (word >>> 32) + (word & UNSIGNED_INT);
        }
        if (end - i >= 4) {
            sum += (int) BIG_ENDIAN_INT.get(bytes, i) & UNSIGNED_INT;
            i += 4;
        }
        if (end - i >= 2) {
            sum += (bytes[i] & 0xff) << 8 | bytes[i + 1] & 0xff;
            i += 2;
        }
        if (i < end) {
            sum += (bytes[i] & 0xff) << 8;
        }
        return fold(sum);
    }

    /** @return the checksum to write over {@code length} bytes whose checksum field holds 0 */
    public static int checksum(byte[] bytes, int offset, int length, int initial) {
        return ~sum(bytes, offset, length, initial) & 0xffff;
    }

    /**
     * The sum of the IPv4 TCP pseudo-header: source, destination, zero and protocol, TCP length.
     *
     * @param ipv4Offset where the IPv4 header starts
     * @param tcpLength the TCP header and payload in bytes
     */
    public static int tcpIpv4PseudoHeaderSum(byte[] bytes, int ipv4Offset, int tcpLength) {
        return sum(bytes, ipv4Offset + Ipv4Header.SOURCE_OFFSET, 2 * Ipv4Header.ADDRESS_LENGTH, IpProtocol.TCP + tcpLength);
    }

    /**
     * The sum of the IPv6 TCP pseudo-header: source, destination, upper-layer length, zero and
     * next header. The destination is the one in the IPv6 header: a routing header that still
     * has segments left names another, and then this sum does not apply.
     *
     * @param ipv6Offset where the IPv6 header starts
     * @param tcpLength the TCP header and payload in bytes
     */
    public static int tcpIpv6PseudoHeaderSum(byte[] bytes, int ipv6Offset, int tcpLength) {
        return sum(bytes, ipv6Offset + Ipv6Header.SOURCE_OFFSET, 2 * Ipv6Header.ADDRESS_LENGTH, IpProtocol.TCP + tcpLength);
    }

    /**
     * RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'): the checksum after one 16-bit word of the covered
     * bytes changed from {@code oldWord} to {@code newWord}, without reading the rest. It equals
     * the recomputed checksum whenever the covered bytes are not all zero afterwards (always so
     * for TCP, whose pseudo-header carries the protocol number).
     */
    public static int update(int checksum, int oldWord, int newWord) {
        return ~fold((~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff)) & 0xffff;
    }

    /** {@link #update} for a 32-bit field (an address, a sequence number): both of its words. */
    public static int update32(int checksum, int oldValue, int newValue) {
        long sum = (~checksum & 0xffff) + (~oldValue >>> 16 & 0xffff) + (~oldValue & 0xffff)
                + (newValue >>> 16 & 0xffff) + (newValue & 0xffff);
        return ~fold(sum) & 0xffff;
    }

    /**
     * @return a one's-complement sum carried around into 16 bits, without a loop: 64 bits fold
     *     into 33, then 17, then 16 with a carry of at most 1 each time
     */
    public static int fold(long sum) {
        long folded = (sum & UNSIGNED_INT) + (sum >>> 32);
        folded = (folded & UNSIGNED_INT) + (folded >>> 32);
        folded = (folded & 0xffff) + (folded >>> 16);
        folded = (folded & 0xffff) + (folded >>> 16);
        return (int) ((folded & 0xffff) + (folded >>> 16));
    }
}
