package org.migware.api.packet;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A stream of captured Ethernet frames: a live interface, or a capture file.
 *
 * <p>Any number of listeners may subscribe; each gets every frame captured while it is
 * subscribed. A source that is swapped out (its bundle stopped or updated) ends its
 * subscriptions; consumers subscribe again to whichever source replaces it.
 */
@ProviderType
public interface PacketSource {

    /**
     * @return a short human-readable name such as {@code pcap4j:eth0} or {@code file:/tmp/x.pcap}
     */
    String name();

    /**
     * Starts delivering frames to {@code listener} until the returned subscription is closed.
     *
     * @param listener receives frames on the source's capture thread
     * @return the handle that ends this subscription; closing it twice is harmless
     */
    PacketSubscription subscribe(PacketListener listener);

    /**
     * @return counters since the source was activated
     */
    CaptureStatistics statistics();
}
