package org.migware.api.packet;

import java.util.Map;

/**
 * Counters of a {@link PacketSource}, a snapshot at one moment.
 *
 * @param received frames delivered by the capture backend to MigWare
 * @param droppedByKernel frames the kernel (or libpcap's buffer) dropped before MigWare saw them
 * @param droppedByInterface frames the interface or driver dropped
 * @param droppedByUs frames MigWare dropped itself, counted by reason (for example a listener
 *     that threw, or a frame longer than the snapshot length)
 * @param running whether the source is capturing now
 */
public record CaptureStatistics(
        long received,
        long droppedByKernel,
        long droppedByInterface,
        Map<String, Long> droppedByUs,
        boolean running) {

    /** Copies the map so that the record stays immutable. */
    public CaptureStatistics {
        droppedByUs = Map.copyOf(droppedByUs);
    }

    /** @return the sum of every reason in {@link #droppedByUs()} */
    public long droppedByUsTotal() {
        return droppedByUs.values().stream().mapToLong(Long::longValue).sum();
    }
}
