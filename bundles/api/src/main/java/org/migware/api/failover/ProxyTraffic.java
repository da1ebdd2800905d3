package org.migware.api.failover;

import java.util.Map;
import java.util.Objects;

/**
 * What went through MigWare in PROXY: segments and payload bytes each way, what it could not carry
 * and why, and the ARP answers it gave for the service's addresses.
 *
 * @param packetsToReplica client segments translated and written to the replica
 * @param bytesToReplica their payload bytes
 * @param packetsToClient replica segments translated and sent to clients
 * @param bytesToClient their payload bytes
 * @param droppedByReason packets not carried, by reason (lower-case names: {@code truncated},
 *     {@code no_mapping}, {@code not_established}, {@code no_connection}, {@code table_full},
 *     {@code handshake_queue_full}, {@code replay_check}, {@code awaiting_client_ack}, {@code send_failed}, {@code tun_write_failed})
 * @param arpAnswers ARP replies sent for the service's addresses
 * @since 2.3
 */
public record ProxyTraffic(long packetsToReplica, long bytesToReplica, long packetsToClient, long bytesToClient,
        Map<String, Long> droppedByReason, long arpAnswers) {

    /** Validates the fields and copies the map so that the record stays immutable. */
    public ProxyTraffic {
        droppedByReason = Map.copyOf(Objects.requireNonNull(droppedByReason, "droppedByReason"));
    }

    /** @return nothing carried yet */
    public static ProxyTraffic none() {
        return new ProxyTraffic(0, 0, 0, 0, Map.of(), 0);
    }
}
