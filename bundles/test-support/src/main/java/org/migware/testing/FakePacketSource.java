package org.migware.testing;

import java.util.Map;

import org.migware.api.packet.CaptureStatistics;
import org.migware.api.packet.PacketListener;
import org.migware.api.packet.PacketSource;
import org.migware.api.packet.PacketSubscription;

/** A packet source that hands every frame a test gives it to its one subscriber. */
public final class FakePacketSource implements PacketSource {

    private volatile PacketListener listener;
    private volatile boolean closed;

    @Override
    public String name() {
        return "fake";
    }

    @Override
    public PacketSubscription subscribe(PacketListener newListener) {
        listener = newListener;
        closed = false;
        return () -> {
            closed = true;
            listener = null;
        };
    }

    @Override
    public CaptureStatistics statistics() {
        return new CaptureStatistics(0, 0, 0, Map.of(), true);
    }

    /** @return true when the subscriber closed its subscription */
    public boolean closed() {
        return closed;
    }

    /** @return the subscriber, null when there is none */
    public PacketListener listener() {
        return listener;
    }

    /** Hands the frame to the subscriber, as a capture would. */
    public void deliver(TcpFrame frame) {
        byte[] bytes = frame.build();
        listener.onPacket(bytes, 0, bytes.length, 0);
    }

    /** Delivers a frame as it is, for frames a test has damaged on purpose. */
    public void deliver(byte[] frame) {
        listener.onPacket(frame, 0, frame.length, 0);
    }
}
