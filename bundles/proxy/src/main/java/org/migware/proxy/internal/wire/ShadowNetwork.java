package org.migware.proxy.internal.wire;

/**
 * The prefix routed through the TUN device, from which every re-created connection takes its
 * shadow endpoint. It must lie inside 198.18.0.0/15, the benchmarking range (RFC 2544), which no
 * real client or service uses, so routing it to the TUN can never capture anybody's traffic.
 *
 * <p>The first host address is the device's own ({@code ip addr add <it>/32 dev mig0}); shadow
 * endpoints use the rest: a packet whose source is a local address is dropped as a martian, so an
 * endpoint must never be the device address.
 */
public final class ShadowNetwork {

    /** The whole benchmarking range, and the default shadow network. */
    public static final String DEFAULT = "198.18.0.0/15";

    private static final int RANGE_ADDRESS = Ipv4Address.parse("198.18.0.0");
    private static final int RANGE_PREFIX_LENGTH = 15;
    /** Network, device address, at least one endpoint and broadcast. */
    private static final int LONGEST_PREFIX = 30;
    private static final int ADDRESS_BITS = 32;

    private final int network;
    private final int prefixLength;

    private ShadowNetwork(int network, int prefixLength) {
        this.network = network;
        this.prefixLength = prefixLength;
    }

    /**
     * @param cidr such as {@code 198.18.0.0/15} or {@code 198.18.7.0/24}
     * @throws IllegalArgumentException with a one-line reason if the text is not a network inside
     *         198.18.0.0/15 with room for endpoints
     */
    public static ShadowNetwork parse(String cidr) {
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("the shadow network needs a prefix length, such as 198.18.0.0/15: " + cidr);
        }
        int address = Ipv4Address.parse(cidr.substring(0, slash));
        int length;
        try {
            length = Integer.parseInt(cidr.substring(slash + 1).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a prefix length: " + cidr);
        }
        if (length < RANGE_PREFIX_LENGTH || length > LONGEST_PREFIX) {
            throw new IllegalArgumentException("the shadow network must be a /" + RANGE_PREFIX_LENGTH + " to /"
                    + LONGEST_PREFIX + " inside 198.18.0.0/15: " + cidr);
        }
        if ((address & mask(RANGE_PREFIX_LENGTH)) != RANGE_ADDRESS) {
            throw new IllegalArgumentException("the shadow network must lie inside 198.18.0.0/15 (RFC 2544): " + cidr);
        }
        if ((address & ~mask(length)) != 0) {
            throw new IllegalArgumentException("host bits set in the shadow network " + cidr + "; did you mean "
                    + Ipv4Address.text(address & mask(length)) + '/' + length + '?');
        }
        return new ShadowNetwork(address, length);
    }

    /** @return the network address */
    public int network() {
        return network;
    }

    public int prefixLength() {
        return prefixLength;
    }

    /** @return the TUN device's own address: the first host address */
    public int deviceAddress() {
        return network + 1;
    }

    /** @return the lowest address a shadow endpoint may use */
    public int firstEndpointAddress() {
        return network + 2;
    }

    /** @return the highest address a shadow endpoint may use (the one before broadcast) */
    public int lastEndpointAddress() {
        return (network | ~mask(prefixLength)) - 1;
    }

    /** @return whether {@code address} lies inside the network */
    public boolean contains(int address) {
        return (address & mask(prefixLength)) == network;
    }

    /** @return whether {@code address} may be a shadow endpoint */
    public boolean isEndpointAddress(int address) {
        return contains(address) && Integer.compareUnsigned(address, firstEndpointAddress()) >= 0
                && Integer.compareUnsigned(address, lastEndpointAddress()) <= 0;
    }

    /** @return the network as {@code ip} wants it, such as {@code 198.18.0.0/15} */
    @Override
    public String toString() {
        return Ipv4Address.text(network) + '/' + prefixLength;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ShadowNetwork that && network == that.network && prefixLength == that.prefixLength;
    }

    @Override
    public int hashCode() {
        return network * 31 + prefixLength;
    }

    private static int mask(int length) {
        return length == 0 ? 0 : -1 << ADDRESS_BITS - length;
    }
}
