package org.migware.capture.ring.internal;

import static org.migware.libc.internal.PacketSocketLayout.*;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.migware.capture.shared.internal.CaptureException;
import org.migware.capture.shared.internal.CaptureSettings;
import org.migware.capture.shared.internal.LiveCaptureSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Live capture of one interface on the kernel's TPACKET_V3 ring: promiscuous, the configured
 * snapshot length and BPF filter (compiled by libpcap, run by the kernel), nanosecond timestamps.
 *
 * <p>One named thread waits in {@code poll(2)} until the kernel hands over a block
 * ({@code block_status} has TP_STATUS_USER), walks the block's {@code tpacket3_hdr} entries, hands
 * each frame to every subscriber and gives the block back ({@code block_status = TP_STATUS_KERNEL},
 * a release store after every read of it). A frame is copied from the mapped ring into one array
 * that is reused for every frame (the {@link PacketListener} contract takes an array that is valid
 * only during the call): nothing is allocated per frame. Like libpcap, a VLAN tag that the kernel
 * took off into the frame's header ({@code tp_vlan_tci}) is put back into the frame, so listeners
 * see the frame as it was on the wire, whichever backend runs.
 *
 * <p>The thread's poll has a timeout of {@value #POLL_MILLIS} ms, after which it checks whether it
 * should stop: {@link #close()} returns within about that.
 *
 * <p>Statistics: {@code received} counts the frames handed over; {@code droppedByKernel} sums the
 * kernel's {@code tp_drops} (frames that found the ring full), read and reset with
 * {@code PACKET_STATISTICS}; {@code droppedByInterface} is what the interface's own counters
 * ({@code rx_dropped}, {@code rx_fifo_errors}, {@code rx_missed_errors}) grew by since the open,
 * libpcap's {@code ps_ifdrop}.
 *
 * <p>The source owns the socket: {@link #sender()} sends through the same one, and stops working
 * when the source is closed.
 */
public final class RingPacketSource extends LiveCaptureSource {

    private static final Logger LOG = LoggerFactory.getLogger(RingPacketSource.class);
    static final int POLL_MILLIS = 100;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

    private final PacketRing socket;
    private final RingPacketSender sender;
    /** The frame as listeners get it: the snapshot length plus room for a VLAN tag put back. */
    private final byte[] frame;
    private final int snapshotLength;
    private final long interfaceDropsAtOpen;
    private final Object statisticsLock = new Object();
    private long kernelDrops; // guarded by statisticsLock

    private RingPacketSource(CaptureSettings settings, PacketRing socket) {
        super("ring:" + settings.interfaceName(), settings);
        this.socket = socket;
        this.sender = new RingPacketSender(name(), socket);
        this.snapshotLength = settings.snapshotLength();
        this.frame = new byte[snapshotLength + 4];
        this.interfaceDropsAtOpen = PacketRing.interfaceDrops(settings.interfaceName());
    }

    /**
     * Opens the socket, its filter and its ring; frames queue in the ring from now on and are
     * delivered once {@link #start()} is called.
     *
     * @param settings validated settings
     * @param geometry the ring's shape
     * @return the source, not yet started
     * @throws CaptureException when the kernel or libpcap refuses, with its reason
     */
    public static RingPacketSource open(CaptureSettings settings, RingGeometry geometry) throws CaptureException {
        return new RingPacketSource(settings, PacketRing.open(settings, geometry));
    }

    @Override
    protected String describe() {
        RingGeometry geometry = socket.geometry();
        return " on a TPACKET_V3 ring of " + geometry.blockCount() + " blocks of " + geometry.blockSize()
                + " bytes (retired after " + geometry.blockTimeoutMillis() + " ms)";
    }

    /** @return the sender on this source's socket */
    public RingPacketSender sender() {
        return sender;
    }

    @Override
    protected void refreshCounters() {
        synchronized (statisticsLock) {
            kernelDrops += socket.takeStatistics()[1];
        }
    }

    @Override
    protected long kernelDrops() {
        synchronized (statisticsLock) {
            return kernelDrops;
        }
    }

    @Override
    protected long interfaceDrops() {
        return Math.max(0, PacketRing.interfaceDrops(settings().interfaceName()) - interfaceDropsAtOpen);
    }

    /** The sender refuses frames from now on; then the socket is closed. */
    @Override
    protected void releaseHandles() {
        sender.close();
        socket.close();
    }

    @Override
    protected void captureLoop() {
        ByteBuffer ring = socket.ring();
        RingGeometry geometry = socket.geometry();
        int blockSize = geometry.blockSize();
        int blockCount = geometry.blockCount();
        int block = 0;
        try {
            while (!stopping()) {
                int base = block * blockSize;
                int status = (int) INT.getAcquire(ring, base + BLOCK_STATUS);
                if ((status & TP_STATUS_USER) == 0) {
                    if (!socket.await(POLL_MILLIS)) {
                        if (!stopping()) {
                            LOG.error("{}: capture stopped: the socket reports an error (did '{}' go away?)",
                                    name(), settings().interfaceName());
                        }
                        return;
                    }
                    continue;
                }
                walk(ring, base);
                INT.setRelease(ring, base + BLOCK_STATUS, TP_STATUS_KERNEL);
                block = block + 1 == blockCount ? 0 : block + 1;
            }
        } catch (CaptureException e) {
            if (!stopping()) {
                LOG.error("{}: capture stopped: {}", name(), e.getMessage());
            }
        }
    }

    /** Hands every frame of one block to the subscribers. */
    private void walk(ByteBuffer ring, int base) {
        int frames = ring.getInt(base + BLOCK_NUM_PKTS);
        int at = base + ring.getInt(base + BLOCK_OFFSET_TO_FIRST_PKT);
        for (int i = 0; i < frames; i++) {
            deliver(ring, at);
            at += ring.getInt(at + HDR3_NEXT_OFFSET);
        }
    }

    private void deliver(ByteBuffer ring, int header) {
        try {
            int captured = ring.getInt(header + HDR3_SNAPLEN);
            int original = ring.getInt(header + HDR3_LEN);
            int status = ring.getInt(header + HDR3_STATUS);
            int mac = header + (ring.getShort(header + HDR3_MAC) & 0xFFFF);
            long timestampNanos = (ring.getInt(header + HDR3_SEC) & 0xFFFF_FFFFL) * NANOS_PER_SECOND
                    + (ring.getInt(header + HDR3_NSEC) & 0xFFFF_FFFFL);
            int vlanTci = ring.getInt(header + HDR3_VLAN_TCI) & 0xFFFF;
            int length;
            if ((vlanTci != 0 || (status & TP_STATUS_VLAN_VALID) != 0) && captured >= 12) {
                // as libpcap does: the tag goes back between the MAC addresses and the EtherType
                int tpid = (status & TP_STATUS_VLAN_TPID_VALID) != 0
                        ? ring.getShort(header + HDR3_VLAN_TPID) & 0xFFFF : ETH_P_8021Q;
                int rest = Math.min(captured - 12, frame.length - 16);
                ring.get(mac, frame, 0, 12);
                frame[12] = (byte) (tpid >>> 8);
                frame[13] = (byte) tpid;
                frame[14] = (byte) (vlanTci >>> 8);
                frame[15] = (byte) vlanTci;
                ring.get(mac + 12, frame, 16, rest);
                length = 16 + rest;
                original += 4;
            } else {
                length = Math.min(captured, frame.length);
                ring.get(mac, frame, 0, length);
            }
            // libpcap cuts a frame that the tag made longer than the snapshot length; so does this
            length = Math.min(length, snapshotLength);
            dispatcher.dispatch(frame, 0, length, original, timestampNanos);
        } catch (Throwable t) {
            LOG.error("{}: a frame could not be delivered", name(), t); // a bug here; the loop goes on
        }
    }
}
