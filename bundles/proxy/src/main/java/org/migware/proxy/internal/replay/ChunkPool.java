package org.migware.proxy.internal.replay;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The off-heap memory of replay: direct buffers of one fixed size, handed out until their bound
 * is reached and taken back when a connection no longer needs them. A chunk is allocated once,
 * the first time it is needed, and then reused: keeping a stream allocates nothing on the heap
 * per packet, and the garbage collector never scans kept bytes.
 *
 * <p>Thread-safe: the capture thread takes chunks before failover, the engine's threads give
 * them back after; the lock is uncontended in practice and never calls out.
 */
public final class ChunkPool {

    private final int chunkBytes;
    private final int maxChunks;
    /** Chunks given back, for reuse; grows up to every chunk allocated, so no chunk is ever dropped. */
    private ByteBuffer[] free;
    private int freeCount;
    private int allocated;
    private int inUse;

    /**
     * @param chunkBytes the size of every chunk (a multiple of {@link StreamDigest#CHUNK_BYTES})
     * @param totalBytes the most bytes all chunks together may hold
     */
    public ChunkPool(int chunkBytes, long totalBytes) {
        if (chunkBytes < StreamDigest.CHUNK_BYTES || chunkBytes % StreamDigest.CHUNK_BYTES != 0) {
            throw new IllegalArgumentException("replayChunkBytes must be a multiple of " + StreamDigest.CHUNK_BYTES + ": " + chunkBytes);
        }
        this.chunkBytes = chunkBytes;
        this.maxChunks = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(0, totalBytes) / chunkBytes);
        this.free = new ByteBuffer[Math.min(maxChunks, 1 << 10)];
    }

    /** @return a cleared chunk, or {@code null} when the bound is reached */
    public synchronized ByteBuffer take() {
        ByteBuffer chunk;
        if (freeCount > 0) {
            chunk = free[--freeCount];
            free[freeCount] = null;
        } else if (allocated < maxChunks) {
            chunk = ByteBuffer.allocateDirect(chunkBytes);
            allocated++;
        } else {
            return null;
        }
        inUse++;
        chunk.clear();
        return chunk;
    }

    /**
     * Takes a chunk back for reuse. It is never left to the collector: a direct buffer's memory is
     * freed only when a collection finds it, so the pool's bound would no longer bound the memory.
     */
    public synchronized void give(ByteBuffer chunk) {
        inUse--;
        if (freeCount == free.length) {
            // at most every chunk ever allocated is free at once: allocated <= maxChunks bounds it
            free = Arrays.copyOf(free, (int) Math.min((long) free.length * 2 + 1, maxChunks));
        }
        free[freeCount++] = chunk;
    }

    /** @return the size of every chunk */
    public int chunkBytes() {
        return chunkBytes;
    }

    /** @return bytes held by chunks in use */
    public synchronized long bytesInUse() {
        return (long) inUse * chunkBytes;
    }

    /** @return the most bytes all chunks may hold */
    public long bytesLimit() {
        return (long) maxChunks * chunkBytes;
    }
}
