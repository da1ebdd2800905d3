package org.migware.proxy.internal.wire;

import java.io.IOException;

/** A TUN as its reader and its writers use it: {@link TunDevice} in service, a fake in tests. */
public interface Tun extends PacketPort, AutoCloseable {

    /**
     * @return the next packet's length, or -1 once the TUN is closed
     * @throws IOException when the kernel reports an error on it
     */
    int read(byte[] buffer, int offset, int length) throws IOException;

    /**
     * Reads the next packet only if the kernel has one queued: never waits.
     *
     * @return the packet's length, 0 when none is queued, or -1 once the TUN is closed
     * @throws IOException when the kernel reports an error on it
     */
    int readIfQueued(byte[] buffer, int offset, int length) throws IOException;

    /** @return the interface's name */
    String name();

    @Override
    void close();
}
