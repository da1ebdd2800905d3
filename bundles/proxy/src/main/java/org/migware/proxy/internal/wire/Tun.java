package org.migware.proxy.internal.wire;

import java.io.IOException;

/** A TUN as its reader and its writers use it: {@link TunDevice} in service, a fake in tests. */
public interface Tun extends PacketPort, AutoCloseable {

    /**
     * @return the next packet's length, or -1 once the TUN is closed
     * @throws IOException when the kernel reports an error on it
     */
    int read(byte[] buffer, int offset, int length) throws IOException;

    /** @return the interface's name */
    String name();

    @Override
    void close();
}
