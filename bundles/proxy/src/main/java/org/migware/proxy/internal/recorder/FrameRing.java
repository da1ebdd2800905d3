package org.migware.proxy.internal.recorder;

/**
 * The most recent frames MigWare saw or sent, in a fixed amount of memory: when a new frame does
 * not fit, the oldest go. Each frame keeps its side (see {@link Side}), its time and its bytes up
 * to a snap length. Recording copies into arrays allocated once; nothing is allocated per frame.
 *
 * <p>Thread-safe: the capture thread, the TUN reader and the recovery pacer record; the shell
 * reads. Each call holds the ring's monitor for one copy.
 */
public final class FrameRing {

    /** Where a frame was. */
    public enum Side {
        /** Captured on the wire (an Ethernet frame). */
        WIRE_CAPTURED,
        /** Sent by MigWare on the wire to a client (an Ethernet frame). */
        WIRE_SENT,
        /** Written by MigWare to the TUN, towards the replica (an IP packet). */
        TUN_TO_REPLICA,
        /** Read by MigWare from the TUN, from the replica (an IP packet). */
        TUN_FROM_REPLICA;

        /** @return whether the frame starts with an Ethernet header (else with the IP header) */
        public boolean ethernet() {
            return this == WIRE_CAPTURED || this == WIRE_SENT;
        }
    }

    /** Receives the frames, oldest first. */
    @FunctionalInterface
    public interface Visitor {
        void frame(Side side, long epochNanos, int originalLength, byte[] bytes, int offset, int length);
    }

    private static final Side[] SIDES = Side.values();

    private final byte[] data;
    private final int snapLength;
    private final int[] offsets;
    private final int[] lengths;
    private final int[] originalLengths;
    private final long[] times;
    private final byte[] sides;
    /** Index of the oldest frame and the number of frames held. */
    private int first;
    private int count;
    /** Where the next frame's bytes go. */
    private int writePosition;
    private long recorded;
    private long overwritten;

    /**
     * @param capacityBytes the bytes the ring holds, frames' bytes only
     * @param snapLength the most bytes kept of one frame (the rest is cut, its original length kept)
     */
    public FrameRing(int capacityBytes, int snapLength) {
        if (snapLength < 64 || capacityBytes < snapLength) {
            throw new IllegalArgumentException("a ring of " + capacityBytes + " bytes cannot hold frames of " + snapLength);
        }
        this.data = new byte[capacityBytes];
        this.snapLength = snapLength;
        // Small frames (a bare ACK is 54 bytes) bound how many the ring can index.
        int slots = Math.max(16, capacityBytes / 54 + 1);
        this.offsets = new int[slots];
        this.lengths = new int[slots];
        this.originalLengths = new int[slots];
        this.times = new long[slots];
        this.sides = new byte[slots];
    }

    /** Copies one frame in, pushing out the oldest as needed. */
    public synchronized void record(Side side, byte[] frame, int offset, int length, long epochNanos) {
        int kept = Math.min(length, snapLength);
        if (kept <= 0) {
            return;
        }
        if (writePosition + kept > data.length) {
            // The rest of the array is too short: wrap, and free what lay between here and the end.
            while (count > 0 && offsets[first] >= writePosition) {
                dropOldest();
            }
            writePosition = 0;
        }
        int end = writePosition + kept;
        while (count > 0 && overlaps(offsets[first], lengths[first], writePosition, end)) {
            dropOldest();
        }
        if (count == offsets.length) {
            dropOldest();
        }
        int slot = (first + count) % offsets.length;
        System.arraycopy(frame, offset, data, writePosition, kept);
        offsets[slot] = writePosition;
        lengths[slot] = kept;
        originalLengths[slot] = length;
        times[slot] = epochNanos;
        sides[slot] = (byte) side.ordinal();
        count++;
        recorded++;
        writePosition = end;
    }

    /** Hands every frame held to {@code visitor}, oldest first, under the ring's monitor. */
    public synchronized void forEach(Visitor visitor) {
        for (int i = 0; i < count; i++) {
            int slot = (first + i) % offsets.length;
            visitor.frame(SIDES[sides[slot]], times[slot], originalLengths[slot], data, offsets[slot], lengths[slot]);
        }
    }

    /** @return frames held now */
    public synchronized int size() {
        return count;
    }

    /** @return frames recorded since start */
    public synchronized long recorded() {
        return recorded;
    }

    /** @return frames pushed out by newer ones */
    public synchronized long overwritten() {
        return overwritten;
    }

    /** @return the ring's size in bytes */
    public int capacityBytes() {
        return data.length;
    }

    private void dropOldest() {
        first = (first + 1) % offsets.length;
        count--;
        overwritten++;
    }

    private static boolean overlaps(int start, int length, int from, int to) {
        return start < to && start + length > from;
    }
}
