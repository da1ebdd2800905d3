package org.migware.proxy.internal.wire;

import java.io.IOException;

/** Where Ethernet frames to clients go: the capture interface, or a list in a test. */
@FunctionalInterface
public interface WirePort {

    void send(byte[] frame, int offset, int length) throws IOException;
}
