package org.migware.lab.network;

import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * One direction through a {@link WireBox}: frames read on one side leave on the other, at once or
 * after the {@link Impairment}'s delay. The per-frame path allocates nothing: frames are read
 * straight into the {@link WireQueue}'s arena (or, when they go at once and the queue is full, a
 * scratch buffer) and sent from there.
 *
 * <p>For each frame read, netem's draw ({@link Impairment#sendsAtOnce}): at once, it is sent
 * before the frames still held back (counted as reordered when there are any); otherwise it is
 * kept until its due time, or dropped and counted when the queue is full. {@link #transmitDue()}
 * sends what is due. A frame drawn for duplication ({@link Impairment#sendsTwice}) is sent a second
 * time right after itself, whenever it leaves. Not thread-safe: the box drives both directions from one thread.
 */
final class WireDirection {

    /** The buffer {@link Input#read} fills when the queue has no room: the frame is sent at once or dropped. */
    static final int SCRATCH = -1;
    /** {@link Input#read}: nothing waiting now. */
    static final int NOTHING = 0;
    /**
     * {@link Input#read}: a frame was read that the box must not forward: one it sent itself, or one a
     * trunk drops (and counts, {@link VlanTrunk}). Not counted as received.
     */
    static final int SKIP = -1;

    /** The side frames come from. */
    interface Input {
        /**
         * Reads the next waiting frame, without waiting.
         *
         * @param slot where to put it: an arena offset from {@link WireQueue#reserve()}, with room for
         *        {@link WireQueue#maxFrame()} bytes, or {@link #SCRATCH}
         * @return the frame's whole length (more than the room when it did not fit), {@link #NOTHING}
         *         or {@link #SKIP}
         */
        int read(int slot);

        /** @return reads that failed for another reason than an empty or a downed interface */
        long errors();
    }

    /** The side frames go to. */
    interface Output {
        /**
         * @param slot an arena offset or {@link #SCRATCH}
         * @param length the frame's length
         * @return whether the kernel took it
         */
        boolean send(int slot, int length);
    }

    private final Impairment impairment;
    private final long delayNanos;
    private final WireQueue queue;
    private final Input input;
    private final Output output;
    private final RandomGenerator random;
    private final LongSupplier clock;

    private long received;
    private long forwarded;
    private long delayed;
    private long reordered;
    private long duplicated;
    private long queueFull;
    private long oversize;
    private long sendErrors;
    private long lateNanosSum;
    private long lateNanosMax;

    /**
     * @param impairment what this direction does to its frames
     * @param queue where delayed frames wait
     * @param input the side frames are read from
     * @param output the side they are sent to
     * @param random the draw of {@link Impairment#sendsAtOnce}
     * @param clock the time in nanoseconds ({@link System#nanoTime()})
     */
    WireDirection(Impairment impairment, WireQueue queue, Input input, Output output, RandomGenerator random,
            LongSupplier clock) {
        this.impairment = impairment;
        this.delayNanos = impairment.delay().toNanos();
        this.queue = queue;
        this.input = input;
        this.output = output;
        this.random = random;
        this.clock = clock;
    }

    /**
     * Reads what is waiting on the input side, up to {@code batch} frames: each is sent at once or
     * queued.
     *
     * @param batch the most frames to read in this call, so that due frames are not kept waiting
     * @return the frames read (skipped ones included)
     */
    int receive(int batch) {
        int frames = 0;
        while (frames < batch) {
            int slot = queue.reserve();
            int length = input.read(slot < 0 ? SCRATCH : slot);
            if (length == NOTHING) {
                break;
            }
            frames++;
            if (length == SKIP) {
                continue;
            }
            received++;
            if (length > queue.maxFrame()) {
                oversize++;
                continue;
            }
            long now = clock.getAsLong();
            if (delayNanos == 0 || impairment.sendsAtOnce(random.nextDouble())) {
                if (!queue.isEmpty()) {
                    reordered++;
                }
                send(slot < 0 ? SCRATCH : slot, length);
            } else if (slot < 0) {
                queueFull++;
            } else {
                queue.commit(slot, length, now + delayNanos);
            }
        }
        return frames;
    }

    /** Sends every held frame whose time has come, oldest first. */
    void transmitDue() {
        long now = clock.getAsLong();
        while (!queue.isEmpty() && queue.headDue() - now <= 0) {
            long late = now - queue.headDue();
            lateNanosSum += late;
            lateNanosMax = Math.max(lateNanosMax, late);
            delayed++;
            send(queue.headOffset(), queue.headLength());
            queue.pop();
        }
    }

    /** @return whether frames are held back */
    boolean holding() {
        return !queue.isEmpty();
    }

    /** @return when the oldest held frame is due; only when {@link #holding()} */
    long nextDue() {
        return queue.headDue();
    }

    private void send(int slot, int length) {
        sendOnce(slot, length);
        // drawn only when duplicating, so that the reordering draws of a box without it stay as they were
        if (impairment.duplicates() && impairment.sendsTwice(random.nextDouble())) {
            duplicated++;
            sendOnce(slot, length);
        }
    }

    private void sendOnce(int slot, int length) {
        if (output.send(slot, length)) {
            forwarded++;
        } else {
            sendErrors++;
        }
    }

    /** @return the counters now */
    WireCounters counters() {
        return new WireCounters(received, forwarded, delayed, reordered, duplicated, queueFull, oversize, sendErrors, input.errors(),
                queue.size(), delayed == 0 ? 0 : lateNanosSum / delayed / 1000, lateNanosMax / 1000);
    }
}
