package org.migware.proxy.internal.replay;

import java.util.Map;
import java.util.TreeMap;

import org.migware.api.failover.Delivery;

/**
 * The delivery of each service port: {@code delivery} for all, {@code delivery.<port>} for one
 * (read from the component's raw properties, since metatype cannot name a key per port).
 * Immutable.
 */
public final class DeliveryPolicy {

    private static final String PREFIX = "delivery.";

    private static final Delivery[] DELIVERIES = Delivery.values();

    private final Delivery standard;
    private final Map<Integer, Delivery> byPort;
    /** Per port, the delivery's ordinal: looked up per packet, so no boxing of the port. */
    private final byte[] ordinalByPort = new byte[0x10000];

    private DeliveryPolicy(Delivery standard, Map<Integer, Delivery> byPort) {
        this.standard = standard;
        this.byPort = java.util.Collections.unmodifiableMap(new TreeMap<>(byPort));
        java.util.Arrays.fill(ordinalByPort, (byte) standard.ordinal());
        byPort.forEach((port, delivery) -> ordinalByPort[port] = (byte) delivery.ordinal());
    }

    /** @return the policy that resumes every connection (today's behaviour) */
    public static DeliveryPolicy resumeAll() {
        return new DeliveryPolicy(Delivery.RESUME, Map.of());
    }

    /**
     * @param standard the {@code delivery} value
     * @param properties the component's properties, where {@code delivery.<port>} keys are found
     * @throws IllegalArgumentException for a value that is no delivery or a key that names no port
     */
    public static DeliveryPolicy parse(String standard, Map<String, ?> properties) {
        Map<Integer, Delivery> byPort = new TreeMap<>();
        for (Map.Entry<String, ?> entry : properties.entrySet()) {
            String key = entry.getKey();
            if (!key.startsWith(PREFIX)) {
                continue;
            }
            int port;
            try {
                port = Integer.parseInt(key.substring(PREFIX.length()).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + key + "' names no port: delivery.<port>, such as delivery.443");
            }
            if (port < 1 || port > 0xffff) {
                throw new IllegalArgumentException("'" + key + "': not a TCP port");
            }
            byPort.put(port, Delivery.parse(String.valueOf(entry.getValue())));
        }
        return new DeliveryPolicy(Delivery.parse(standard == null ? "resume" : standard), byPort);
    }

    /** @return the delivery of the service port */
    public Delivery forPort(int servicePort) {
        return DELIVERIES[ordinalByPort[servicePort & 0xffff]];
    }

    /** @return whether some port keeps its client streams for replay */
    public boolean anyReplay() {
        return standard != Delivery.RESUME || byPort.values().stream().anyMatch(d -> d != Delivery.RESUME);
    }

    /** @return the policy as the configuration writes it, such as {@code replay 443=resume} */
    public String describe() {
        StringBuilder text = new StringBuilder(standard.configName());
        byPort.forEach((port, delivery) -> text.append(' ').append(port).append('=').append(delivery.configName()));
        return text.toString();
    }
}
