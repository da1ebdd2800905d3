package org.migware.proxy.internal.translation;

import org.migware.api.wire.TcpHeader;
import org.migware.proxy.internal.mapping.Mapping;
import org.migware.proxy.internal.mapping.MappingTable;
import org.migware.proxy.internal.mapping.Replica;
import org.migware.proxy.internal.wire.Ipv4TcpWriter;

/**
 * Ends a carried connection on both sides at once: a reset to the client from the service (at
 * the byte the client expects next, RFC 5961) and one to the replica from the shadow endpoint, and
 * the mapping closed, so that nothing of the replica reaches the client afterwards and its next
 * segment is answered with a reset as one of no connection. For connections the replica can never
 * serve: a replay that diverged, a resumed connection whose response was cut short.
 *
 * <p>Called under the engine's lock; allocates nothing.
 */
public final class ConnectionReset {

    private final Ipv4TcpWriter writer = new Ipv4TcpWriter();
    private final byte[] forged = new byte[64];
    private final Replica replica;
    private final ToReplica toReplica;
    private final NoConnectionResets resets;
    private final MappingTable table;

    public ConnectionReset(Replica replica, ToReplica toReplica, NoConnectionResets resets, MappingTable table) {
        this.replica = replica;
        this.toReplica = toReplica;
        this.resets = resets;
        this.table = table;
    }

    /**
     * @param clientExpects the client's next expected byte, in the primary's numbers
     * @param replicaExpects the replica's next expected byte (its newest acknowledgement)
     * @param why for the log
     */
    public void resetBoth(Mapping mapping, int clientExpects, int replicaExpects, String why) {
        resets.resetClient(mapping.primaryAddress, mapping.primaryPort, mapping.primaryMac, mapping.clientAddress, mapping.clientPort,
                mapping.clientMac, clientExpects);
        writer.begin(forged, 0)
                .source(mapping.shadowAddress, mapping.shadowPort)
                .destination(replica.address(), replica.portFor(mapping))
                .sequence(replicaExpects)
                .acknowledgement(0)
                .flags(TcpHeader.RST)
                .window(0);
        toReplica.write(forged, 0, writer.finish());
        table.close(mapping, why);
    }
}
