package org.migware.api.packet;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Makes {@link ParsedPacket} views. A consumer asks for one view per thread and reuses it for
 * every frame: the view allocates nothing per packet.
 */
@ProviderType
public interface PacketParser {

    /** @return a new, unbound view; not thread-safe, keep one per thread */
    ParsedPacket newView();

    /**
     * @return a new, unbound view that can also rewrite the frame in place; not thread-safe
     * @since 1.1
     */
    RewritablePacket newRewritableView();
}
