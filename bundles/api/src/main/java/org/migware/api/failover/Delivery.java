package org.migware.api.failover;

import java.util.Locale;

/**
 * What the replica's application receives of a carried connection's client stream
 * (ARCHITECTURE.md, "Delivery semantics"); {@code delivery} and {@code delivery.<port>} in
 * {@code etc/org.migware.proxy.cfg}.
 *
 * @since 2.1
 */
public enum Delivery {
    /** The thesis's behaviour: the client's stream from the primary's last acknowledgement on. */
    RESUME,
    /**
     * The whole client stream from its first byte; the replica's output up to what the client
     * already holds is checked against the primary's and dropped.
     */
    REPLAY,
    /** Replay where the whole client stream was kept, resume otherwise. */
    AUTO;

    /** @return the name as the configuration writes it: {@code resume}, {@code replay}, {@code auto} */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @param text a configuration value, in any case
     * @return the delivery it names
     * @throws IllegalArgumentException naming the accepted values
     */
    public static Delivery parse(String text) {
        String wanted = text == null ? "" : text.trim().toUpperCase(Locale.ROOT);
        for (Delivery delivery : values()) {
            if (delivery.name().equals(wanted)) {
                return delivery;
            }
        }
        throw new IllegalArgumentException("delivery '" + text + "' is not one of resume, replay, auto");
    }
}
