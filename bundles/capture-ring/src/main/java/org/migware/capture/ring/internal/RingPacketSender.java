package org.migware.capture.ring.internal;

import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

import com.sun.jna.Memory;

import org.migware.api.packet.PacketSender;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts frames on the capture interface's wire through the capture's own packet socket
 * ({@code sendto} with the interface's {@code sockaddr_ll}). With direction IN the socket ignores
 * what this host sends (PACKET_IGNORE_OUTGOING), so injected frames are not captured back.
 *
 * <p>Thread-safe: each sending thread copies its frame into a native buffer of its own (allocated
 * once per thread) and sends it with one system call; nothing is allocated per frame.
 */
public final class RingPacketSender implements PacketSender, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RingPacketSender.class);
    private static final int INITIAL_BUFFER = 16 * 1024;

    private final String name;
    private final PacketRing socket;
    private final ThreadLocal<Memory> buffers = ThreadLocal.withInitial(() -> new Memory(INITIAL_BUFFER));
    private final LongAdder sent = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private volatile boolean closed;

    RingPacketSender(String name, PacketRing socket) {
        this.name = name;
        this.socket = socket;
    }

    @Override
    public void send(byte[] frame, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, frame.length);
        if (closed) {
            failed.increment();
            throw new IOException(name + ": the sender is closed");
        }
        Memory buffer = buffers.get();
        if (buffer.size() < length) {
            buffer = new Memory(Math.max(length, buffer.size() * 2));
            buffers.set(buffer);
        }
        buffer.write(0, frame, offset, length);
        try {
            socket.send(buffer, length);
            sent.increment();
        } catch (IOException e) {
            failed.increment();
            throw e;
        }
    }

    /** @return frames sent so far */
    public long sent() {
        return sent.sum();
    }

    /** @return frames refused so far */
    public long failed() {
        return failed.sum();
    }

    /** Later sends fail with an IOException; the socket itself is closed by its source. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            LOG.info("{}: sender closed after {} frames ({} refused)", name, sent(), failed());
        }
    }
}
