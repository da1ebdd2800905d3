package org.migware.lab.network;

/**
 * The frames one direction of a {@link WireBox} holds back: a first-in first-out queue of frames
 * of different lengths in one preallocated arena of bytes, each with the time it is due. This class
 * only keeps the books (where each frame lies, how long it is, when it is due); the bytes are the
 * box's, in native memory, read there by the kernel and sent from there.
 *
 * <p>A frame is stored in one piece: {@link #reserve()} says where the next one can go, with
 * room for the largest frame, before it is read (its length is known only after); {@link #commit}
 * then keeps it, or nothing is kept when it was sent at once. Frames leave in the order they came,
 * which is the order of their due times, because the delay of a direction is fixed; the frames
 * that overtake (reordering) are never queued. A full queue (no room in the arena, or
 * {@code limit} frames held, netem's {@code limit}) takes nothing more; the box drops and counts.
 * Nothing here allocates after construction.
 */
final class WireQueue {

    private final int arenaBytes;
    private final int maxFrame;
    private final int limit;
    private final int[] offsets;
    private final int[] lengths;
    private final long[] due;
    private int head;
    private int count;
    /** The end of the newest frame: where the next one goes if the arena has room there. */
    private int end;

    /**
     * @param arenaBytes the arena's size; at least {@code 2 * maxFrame}, so that it can always hold one frame while
     *        another leaves
     * @param maxFrame the largest frame, the room {@link #reserve()} keeps free
     * @param limit the most frames held at once
     */
    WireQueue(int arenaBytes, int maxFrame, int limit) {
        if (maxFrame <= 0 || limit <= 0 || arenaBytes < 2 * maxFrame) {
            throw new IllegalArgumentException("a queue needs a positive frame size and limit and an arena of at least"
                    + " two frames: arena " + arenaBytes + ", frame " + maxFrame + ", limit " + limit);
        }
        this.arenaBytes = arenaBytes;
        this.maxFrame = maxFrame;
        this.limit = limit;
        this.offsets = new int[limit];
        this.lengths = new int[limit];
        this.due = new long[limit];
    }

    /** @return the largest frame the queue takes */
    int maxFrame() {
        return maxFrame;
    }

    /** @return the arena's size in bytes */
    int arenaBytes() {
        return arenaBytes;
    }

    /**
     * Where the next frame can be read to: {@link #maxFrame()} bytes there are free. Changes nothing;
     * {@link #commit} keeps the frame.
     *
     * @return the offset in the arena, or -1 when the queue is full
     */
    int reserve() {
        if (count == 0) {
            return 0;
        }
        if (count == limit) {
            return -1;
        }
        int oldest = offsets[head];
        if (end > oldest) {
            // held: [oldest, end); free: [end, arena) and [0, oldest)
            if (arenaBytes - end >= maxFrame) {
                return end;
            }
            return oldest >= maxFrame ? 0 : -1;
        }
        // wrapped, held: [oldest, arena) and [0, end); free: [end, oldest)
        return oldest - end >= maxFrame ? end : -1;
    }

    /**
     * Keeps the frame read at the offset {@link #reserve()} gave.
     *
     * @param offset what {@link #reserve()} returned (not -1)
     * @param length the frame's length, 1 to {@link #maxFrame()}
     * @param dueNanos when it is to leave ({@link System#nanoTime()} scale)
     */
    void commit(int offset, int length, long dueNanos) {
        if (offset < 0 || length <= 0 || length > maxFrame || offset + length > arenaBytes) {
            throw new IllegalArgumentException("not a reserved frame: offset " + offset + ", length " + length);
        }
        int tail = (head + count) % limit;
        offsets[tail] = offset;
        lengths[tail] = length;
        due[tail] = dueNanos;
        count++;
        end = offset + length;
    }

    /** @return true when no frame is held */
    boolean isEmpty() {
        return count == 0;
    }

    /** @return how many frames are held */
    int size() {
        return count;
    }

    /** @return the oldest frame's offset in the arena; the queue must not be empty */
    int headOffset() {
        requireNotEmpty();
        return offsets[head];
    }

    /** @return the oldest frame's length */
    int headLength() {
        requireNotEmpty();
        return lengths[head];
    }

    /** @return when the oldest frame is due */
    long headDue() {
        requireNotEmpty();
        return due[head];
    }

    /** Removes the oldest frame; its bytes may be overwritten from now on. */
    void pop() {
        requireNotEmpty();
        head = (head + 1) % limit;
        count--;
    }

    private void requireNotEmpty() {
        if (count == 0) {
            throw new IllegalStateException("the queue is empty");
        }
    }
}
