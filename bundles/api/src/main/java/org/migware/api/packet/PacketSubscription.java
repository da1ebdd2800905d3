package org.migware.api.packet;

import org.osgi.annotation.versioning.ProviderType;

/** Ends one listener's subscription to a {@link PacketSource}. */
@ProviderType
public interface PacketSubscription extends AutoCloseable {

    /** Stops delivery to this subscription's listener; returns once no call is in progress. */
    @Override
    void close();
}
