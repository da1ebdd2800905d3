package org.migware.proxy.internal.replay;

import java.nio.ByteBuffer;

/**
 * A byte stream held in chunks of a {@link ChunkPool}, addressed by its offset from the stream's
 * start: bytes are appended at the end and, where only the tail matters, released from the front
 * a whole chunk at a time. Not thread-safe: its owner's lock guards it.
 *
 * <p>Appending allocates nothing once the chunk it writes into is assigned; the array of chunk
 * references grows (doubling) only when a new chunk is taken.
 */
public final class ChunkedBytes {

    private static final ByteBuffer[] NONE = new ByteBuffer[0];

    private ByteBuffer[] chunks = NONE;
    private int count;
    /** The stream offset of chunks[0]'s first byte. */
    private long base;
    /** The stream offset after the last byte. */
    private long end;

    /** @return the stream offset after the last byte held */
    public long end() {
        return end;
    }

    /** @return the stream offset of the first byte still held */
    public long start() {
        return base;
    }

    /** @return chunks held */
    public int chunks() {
        return count;
    }

    /** Starts (an empty stream) at {@code offset}; used once, before the first append. */
    public void startAt(long offset) {
        base = offset;
        end = offset;
    }

    /**
     * Appends {@code length} bytes.
     *
     * @param budget the most chunks this stream may hold
     * @return whether they fit: false when the budget or the pool ran out (nothing is appended then)
     */
    public boolean append(ChunkPool pool, int budget, byte[] data, int offset, int length) {
        int size = pool.chunkBytes();
        long needed = end + length - base;
        int chunksNeeded = (int) ((needed + size - 1) / size);
        if (chunksNeeded > budget) {
            return false;
        }
        while (count < chunksNeeded) {
            ByteBuffer chunk = pool.take();
            if (chunk == null) {
                return false;
            }
            if (count == chunks.length) {
                ByteBuffer[] bigger = new ByteBuffer[Math.max(4, chunks.length * 2)];
                System.arraycopy(chunks, 0, bigger, 0, count);
                chunks = bigger;
            }
            chunks[count++] = chunk;
        }
        int from = offset;
        int left = length;
        while (left > 0) {
            long at = end - base;
            ByteBuffer chunk = chunks[(int) (at / size)];
            int within = (int) (at % size);
            int n = Math.min(left, size - within);
            chunk.put(within, data, from, n);
            from += n;
            left -= n;
            end += n;
        }
        return true;
    }

    /** Appends a 32-bit value, big-endian. */
    public boolean appendInt(ChunkPool pool, int budget, int value, byte[] scratch) {
        scratch[0] = (byte) (value >>> 24);
        scratch[1] = (byte) (value >>> 16);
        scratch[2] = (byte) (value >>> 8);
        scratch[3] = (byte) value;
        return append(pool, budget, scratch, 0, 4);
    }

    /** @return the byte at stream offset {@code at}, which must be held */
    public byte get(long at) {
        int size = chunks.length == 0 ? 1 : chunks[0].capacity();
        long relative = at - base;
        return chunks[(int) (relative / size)].get((int) (relative % size));
    }

    /** @return the 32-bit value at stream offset {@code at} */
    public int getInt(long at) {
        return (get(at) & 0xff) << 24 | (get(at + 1) & 0xff) << 16 | (get(at + 2) & 0xff) << 8 | (get(at + 3) & 0xff);
    }

    /** Copies {@code length} bytes from stream offset {@code at} (held) into {@code target}. */
    public void copy(long at, byte[] target, int offset, int length) {
        int size = chunks[0].capacity();
        long relative = at - base;
        int to = offset;
        int left = length;
        while (left > 0) {
            ByteBuffer chunk = chunks[(int) (relative / size)];
            int within = (int) (relative % size);
            int n = Math.min(left, size - within);
            chunk.get(within, target, to, n);
            to += n;
            left -= n;
            relative += n;
        }
    }

    /** Releases the whole chunks that lie before stream offset {@code keepFrom}. */
    public void releaseBefore(ChunkPool pool, long keepFrom) {
        int size = pool.chunkBytes();
        int drop = 0;
        while (drop < count && base + size <= keepFrom && base + size <= end) {
            pool.give(chunks[drop]);
            chunks[drop] = null;
            base += size;
            drop++;
        }
        if (drop > 0) {
            System.arraycopy(chunks, drop, chunks, 0, count - drop);
            for (int i = count - drop; i < count; i++) {
                chunks[i] = null;
            }
            count -= drop;
        }
        if (count == 0 && end - base > 0) {
            base = end; // nothing held any more
        }
    }

    /** Gives every chunk back: the stream is empty afterwards, and keeps its end. */
    public void release(ChunkPool pool) {
        for (int i = 0; i < count; i++) {
            pool.give(chunks[i]);
            chunks[i] = null;
        }
        count = 0;
        base = end;
    }
}
