package org.migware.proxy.internal.wire;

import java.io.IOException;

/**
 * The replica's packets as the TUN reader takes them: every packet the kernel has queued, up to
 * {@link #MAX_PACKETS}, read in one go, so that the engine's lock is taken once per batch instead
 * of once per packet.
 *
 * <p>Why: the kernel queues the replica's packets for MigWare in the TUN's transmit queue and
 * drops what does not fit ({@code ip -s link}: TX dropped). On the lab (issue 14), when 10,000
 * clients closed at once, the replica's FINs and ACKs came at 25,000-35,000 a second for half a
 * second, while the reader, taking the lock per packet against the capture thread (which was
 * writing the clients' FINs and ACKs to the replica at the same time) on two busy cores, took
 * 13,000-17,000 a second. Each FIN that waited beyond the replica's retransmission timeout
 * (200 ms) came again, and the queue of 10,000 overflowed with the repeats. In batches the reader
 * took about 9 % more per second. The read system calls are made here, outside the lock; only
 * the translation is under it.
 *
 * <p>Only the first read waits. A batch therefore forms only when packets are already waiting:
 * a lone packet is handed on at once, exactly as before, and none waits for a batch to fill.
 * The batch is bounded in packets so that the lock is held for at most that many translations
 * (a few microseconds each) while the capture thread may be waiting for it.
 *
 * <p>Not thread-safe: the TUN reader's own. Allocates nothing after construction.
 */
public final class TunBatch {

    /** Packets per batch at most: the lock is held for this many translations at most. */
    public static final int MAX_PACKETS = 16;
    /**
     * Bytes per batch before another packet is read: below it, there is always room for one more
     * of the largest (an IPv4 packet of {@link TunDevice#MAX_PACKET_LENGTH}), which the device
     * would otherwise skip as too long.
     */
    static final int BATCH_BYTES = 32 * 1024;

    private final byte[] buffer = new byte[BATCH_BYTES + TunDevice.MAX_PACKET_LENGTH];
    private final int[] offsets = new int[MAX_PACKETS];
    private final int[] lengths = new int[MAX_PACKETS];
    private int count;

    /**
     * Replaces the batch with the next packets: waits for one, then takes the others the kernel
     * has queued, without waiting, until the batch is full.
     *
     * @return how many packets the batch holds (0 only when the TUN handed back an empty read), or -1
     *     once the TUN is closed for good
     * @throws IOException when the TUN's first read fails
     */
    public int fill(Tun tun) throws IOException {
        count = 0;
        int length = tun.read(buffer, 0, buffer.length);
        if (length <= 0) {
            return length < 0 ? -1 : 0;
        }
        int used = add(0, length);
        while (count < MAX_PACKETS && used < BATCH_BYTES) {
            length = tun.readIfQueued(buffer, used, buffer.length - used);
            if (length <= 0) {
                break; // nothing queued (or closed: the next fill's read says so)
            }
            used = add(used, length);
        }
        return count;
    }

    private int add(int offset, int length) {
        offsets[count] = offset;
        lengths[count] = length;
        count++;
        return offset + length;
    }

    /** @return the packets in the batch */
    public int count() {
        return count;
    }

    /** @return the buffer the packets lie in, at {@link #offset} */
    public byte[] buffer() {
        return buffer;
    }

    /** @return where the {@code i}-th packet starts in {@link #buffer} */
    public int offset(int i) {
        return offsets[i];
    }

    /** @return the {@code i}-th packet's length */
    public int length(int i) {
        return lengths[i];
    }
}
