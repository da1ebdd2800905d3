package org.migware.capture.ring.internal;

import org.migware.capture.shared.internal.InvalidConfigurationException;
import org.migware.libc.internal.PacketSocketLayout;

/**
 * The shape of the TPACKET_V3 receive ring: {@code blockCount} blocks of {@code blockSize} bytes
 * ({@code tp_block_size}, {@code tp_block_nr}), each filled by the kernel with variable-length frames
 * and handed to MigWare when it is full or {@code blockTimeoutMillis} after its first frame
 * ({@code tp_retire_blk_tov}).
 *
 * <p>The trade-off: a block reaches MigWare at the latest one timeout after its first frame, so the
 * timeout bounds the added latency at low rates; and at low rates each block holds few frames, so
 * {@code blockCount} times the timeout is about how long the capture thread may stall before the
 * kernel drops. More, smaller blocks ride out longer stalls; larger blocks cost fewer wake-ups at
 * high rates.
 *
 * @param blockSize bytes of each block, a power of two from 4096
 * @param blockCount blocks in the ring
 * @param blockTimeoutMillis when the kernel hands over a block that is not full
 */
record RingGeometry(int blockSize, int blockCount, int blockTimeoutMillis) {

    /** {@code tp_frame_size}: V3 packs frames tightly, but the kernel still checks this divides a block. */
    static final int FRAME_SIZE = 2048;
    static final int MIN_BLOCK_SIZE = 4096;
    /** A block's head and one frame's: the room a block needs beyond a frame's captured bytes. */
    static final int ROOM_PER_FRAME = PacketSocketLayout.BLOCK_HEADER_ROOM + PacketSocketLayout.HDR3_ROOM + 64;

    /** @return the ring's bytes, mapped into this process */
    long ringBytes() {
        return (long) blockSize * blockCount;
    }

    /** @return {@code tp_frame_nr} */
    int frameCount() {
        return (int) (ringBytes() / FRAME_SIZE);
    }

    /**
     * @param pid for messages
     * @param bufferSize the ring's bytes (the shared {@code bufferSize} key)
     * @param snapshotLength the largest frame to be captured whole
     * @param blockSize the configured block size
     * @param blockTimeoutMillis the configured retire timeout
     * @return the geometry
     * @throws InvalidConfigurationException naming the key
     */
    static RingGeometry validate(String pid, int bufferSize, int snapshotLength, int blockSize, int blockTimeoutMillis)
            throws InvalidConfigurationException {
        if (blockSize < MIN_BLOCK_SIZE || Integer.bitCount(blockSize) != 1) {
            throw new InvalidConfigurationException(pid + ": 'blockSize' is " + blockSize
                    + "; use a power of two from " + MIN_BLOCK_SIZE + " (262144 by default).");
        }
        if (blockSize < snapshotLength + ROOM_PER_FRAME) {
            throw new InvalidConfigurationException(pid + ": 'blockSize' is " + blockSize
                    + ", which cannot hold a frame of 'snapshotLength' " + snapshotLength + " bytes; use at least "
                    + Integer.highestOneBit(snapshotLength + ROOM_PER_FRAME - 1) * 2 + ".");
        }
        if (bufferSize / blockSize < 2) {
            throw new InvalidConfigurationException(pid + ": 'bufferSize' " + bufferSize + " holds fewer than two blocks of "
                    + blockSize + " bytes ('blockSize'); raise bufferSize or lower blockSize.");
        }
        if (blockTimeoutMillis < 1 || blockTimeoutMillis > 1000) {
            throw new InvalidConfigurationException(pid + ": 'blockTimeoutMillis' is " + blockTimeoutMillis
                    + "; use 1 to 1000 (1 by default: frames wait at most about 1 ms in a block).");
        }
        return new RingGeometry(blockSize, bufferSize / blockSize, blockTimeoutMillis);
    }
}
