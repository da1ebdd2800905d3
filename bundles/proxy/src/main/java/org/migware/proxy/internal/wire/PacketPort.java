package org.migware.proxy.internal.wire;

import java.io.IOException;

/** Where IP packets to the replica go: the TUN ({@link TunDevice#write}), or a list in a test. */
@FunctionalInterface
public interface PacketPort {

    void write(byte[] packet, int offset, int length) throws IOException;
}
