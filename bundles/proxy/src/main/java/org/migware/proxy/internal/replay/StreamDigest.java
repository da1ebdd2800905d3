package org.migware.proxy.internal.replay;

import java.util.zip.CRC32C;

/**
 * What MigWare keeps of one connection's server-to-client stream, enough to check any prefix of a
 * replica's output against it: a CRC32C of every {@value #CHUNK_BYTES}-byte chunk from the
 * stream's first byte, and the bytes themselves from the chunk the client's acknowledgement lies
 * in up to the last byte seen (the primary's flight, which the client may or may not hold yet).
 *
 * <p>So a replica's byte below {@link #bytesFrom()} is checked when its chunk is complete, by its
 * CRC; a byte from there on is compared as it comes, so that a segment the client does not hold
 * yet is checked whole before it is forwarded. The chunk hashes cost 4 bytes per 4 KiB; the bytes
 * kept are the flight only. Not thread-safe: its owner's lock guards it.
 */
public final class StreamDigest {

    /** The bytes one CRC covers. */
    public static final int CHUNK_BYTES = 4096;

    private final ChunkedBytes hashes = new ChunkedBytes();
    private final ChunkedBytes flight = new ChunkedBytes();
    private final CRC32C running = new CRC32C();
    private final byte[] scratch = new byte[4];
    /** Stream offset after the last contiguous server byte seen. */
    private long seen;

    /** The outcome of adding bytes: kept, or why not. */
    public enum Added { KEPT, OVER_BUDGET, POOL_EMPTY }

    /**
     * Adds the server's next bytes (stream offsets {@code seen()} on).
     *
     * @param budget the most chunks the digest may hold
     */
    public Added add(ChunkPool pool, int budget, byte[] data, int offset, int length) {
        if (!flight.append(pool, budget - hashes.chunks(), data, offset, length)) {
            return overBudget(pool, budget, length) ? Added.OVER_BUDGET : Added.POOL_EMPTY;
        }
        int from = offset;
        int left = length;
        while (left > 0) {
            int n = (int) Math.min(left, CHUNK_BYTES - seen % CHUNK_BYTES);
            running.update(data, from, n);
            from += n;
            left -= n;
            seen += n;
            if (seen % CHUNK_BYTES == 0) {
                if (!hashes.appendInt(pool, budget - flight.chunks(), (int) running.getValue(), scratch)) {
                    return overBudget(pool, budget, 4) ? Added.OVER_BUDGET : Added.POOL_EMPTY;
                }
                running.reset();
            }
        }
        return Added.KEPT;
    }

    private boolean overBudget(ChunkPool pool, int budget, int more) {
        long flightChunks = (flight.end() + more - flight.start() + pool.chunkBytes() - 1) / pool.chunkBytes();
        return flightChunks + hashes.chunks() > budget;
    }

    /** The client acknowledged server bytes up to stream offset {@code acked}: the flight before its chunk is let go. */
    public void acknowledged(ChunkPool pool, long acked) {
        flight.releaseBefore(pool, Math.min(acked, seen) / CHUNK_BYTES * CHUNK_BYTES);
    }

    /** @return stream offset after the last server byte seen */
    public long seen() {
        return seen;
    }

    /** @return the stream offset from which the bytes themselves are kept (a chunk boundary) */
    public long bytesFrom() {
        return flight.start();
    }

    /** @return the kept server byte at {@code at}, between {@link #bytesFrom()} and {@link #seen()} */
    public byte byteAt(long at) {
        return flight.get(at);
    }

    /** @return the CRC32C of the chunk with index {@code chunk} (stream offsets chunk * 4096 on), whole before {@link #bytesFrom()} */
    public int chunkHash(long chunk) {
        return hashes.getInt(chunk * 4);
    }

    /** @return chunks held, all stores together */
    public int chunks() {
        return hashes.chunks() + flight.chunks();
    }

    /** Gives every chunk back. */
    public void release(ChunkPool pool) {
        hashes.release(pool);
        flight.release(pool);
    }
}
