package org.migware.tracker.internal;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.migware.api.connection.TcpState;

/**
 * Writes and reads the whole table in a small versioned binary form, so that the table
 * survives an update or restart of the tracker bundle and a crash or restart of the container
 * (the file lives in the state folder, see {@code org.migware.api.state.DurableState}). A file
 * may be truncated or corrupt: reading it fails with an exception, never with an allocation
 * larger than what it holds.
 */
final class StateCodec {

    /** "MWT" and a format version: a file of another version is refused rather than misread. */
    static final int MAGIC = 0x4d57_5401;

    private StateCodec() {
    }

    record Restored(List<TrackedConnection> connections, long latestCaptureNanos, long created) {
    }

    static void write(DataOutputStream out, List<TrackedConnection> connections, long latestCaptureNanos, long created)
            throws IOException {
        out.writeInt(MAGIC);
        out.writeLong(latestCaptureNanos);
        out.writeLong(created);
        out.writeInt(connections.size());
        for (TrackedConnection c : connections) {
            out.writeLong(c.clientAddressHigh);
            out.writeLong(c.clientAddressLow);
            out.writeShort(c.clientPort);
            out.writeLong(c.serverAddressHigh);
            out.writeLong(c.serverAddressLow);
            out.writeShort(c.serverPort);
            out.writeByte(c.state.ordinal());
            // Bit 0: the handshake is known; bit 1: it came through state sync. A file of before holds
            // 0 or 1, read the same; an older reader takes any non-zero byte as "known".
            out.writeByte((c.handshakeSeen ? 1 : 0) | (c.handshakeFromSync ? 2 : 0));
            out.writeLong(c.firstSeenNanos);
            out.writeLong(c.lastActivityNanos);
            writeSide(out, c.client);
            writeSide(out, c.server);
        }
    }

    static Restored read(DataInputStream in) throws IOException {
        int magic = in.readInt();
        if (magic != MAGIC) {
            throw new IOException(String.format("not a tracker state file of this version (magic %08x)", magic));
        }
        long latestCapture = in.readLong();
        long created = in.readLong();
        int count = in.readInt();
        if (count < 0) {
            throw new IOException("negative connection count " + count);
        }
        TcpState[] states = TcpState.values();
        // Grown as entries are really read: a corrupt count must not reserve memory for entries that are not there.
        List<TrackedConnection> connections = new ArrayList<>(Math.min(count, 4096));
        for (int n = 0; n < count; n++) {
            long cHigh = in.readLong();
            long cLow = in.readLong();
            int cPort = in.readUnsignedShort();
            long sHigh = in.readLong();
            long sLow = in.readLong();
            int sPort = in.readUnsignedShort();
            // The hash is set by the store that takes the connection in, under its own seed.
            TrackedConnection c = new TrackedConnection(cHigh, cLow, cPort, sHigh, sLow, sPort, 0);
            int state = in.readUnsignedByte();
            if (state >= states.length) {
                throw new IOException("unknown TCP state " + state);
            }
            c.state = states[state];
            int handshake = in.readUnsignedByte();
            if (handshake > 3) {
                throw new IOException("unknown handshake flags " + handshake);
            }
            c.handshakeSeen = (handshake & 1) != 0;
            c.handshakeFromSync = (handshake & 2) != 0;
            c.firstSeenNanos = in.readLong();
            c.lastActivityNanos = in.readLong();
            readSide(in, c.client);
            readSide(in, c.server);
            connections.add(c);
        }
        if (in.read() != -1) {
            throw new IOException("trailing bytes after " + count + " connections");
        }
        return new Restored(connections, latestCapture, created);
    }

    private static void writeSide(DataOutputStream out, SideState side) throws IOException {
        out.writeLong(side.mac);
        out.writeInt(side.flags);
        out.writeInt(side.initialSequence);
        out.writeInt(side.highestAck);
        out.writeInt(side.highestSequenceEnd);
        out.writeInt(side.lastTimestampValue);
        out.writeInt(side.finSequence);
        out.writeShort(side.mss);
        out.writeByte(side.windowScale);
        out.writeInt(side.lastWindow);
        out.writeLong(side.bytes);
        out.writeLong(side.packets);
        out.writeInt(side.retransmissions);
        out.writeInt(side.outOfOrder);
    }

    private static void readSide(DataInputStream in, SideState side) throws IOException {
        side.mac = in.readLong();
        side.flags = in.readInt();
        side.initialSequence = in.readInt();
        side.highestAck = in.readInt();
        side.highestSequenceEnd = in.readInt();
        side.lastTimestampValue = in.readInt();
        side.finSequence = in.readInt();
        side.mss = in.readShort();
        side.windowScale = in.readByte();
        side.lastWindow = in.readInt();
        side.bytes = in.readLong();
        side.packets = in.readLong();
        side.retransmissions = in.readInt();
        side.outOfOrder = in.readInt();
    }
}
