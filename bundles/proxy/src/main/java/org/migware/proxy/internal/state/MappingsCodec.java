package org.migware.proxy.internal.state;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;

import org.migware.proxy.internal.mapping.ClosedTuples;
import org.migware.proxy.internal.mapping.ConnectionTranslation;
import org.migware.proxy.internal.mapping.Mapping;
import org.migware.proxy.internal.mapping.MappingState;
import org.migware.proxy.internal.mapping.MigrationCounters;
import org.migware.proxy.internal.mapping.RecoveryCandidate;
import org.migware.proxy.internal.mapping.Replica;
import org.migware.proxy.internal.translation.ClientToReplica;





/**
 * Every mapping, its translation and the migration's counters, written at an update or restart
 * of the proxy bundle in RECOVERY or PROXY and read by the next activation, which carries on with
 * the same connections. The replica's side of each connection lives on in its kernel, the
 * clients' on theirs; only these numbers would be lost.
 *
 * <p>Format ("MGPR", version 4; big-endian, as {@link DataOutputStream} writes): magic, version,
 * shadow endpoints allocated, nanoseconds since recovery started and from its start to its end
 * (-1: not yet), the counters, the mapping count, then each mapping as {@link #writeMapping}
 * lays it out, then the closed tuples ({@link ClosedTuple}). Changing it means a new version.
 * Version 3 (the same without each mapping's half-close fields and without the closed tuples)
 * is still read: a file left by the code before comes back as it did then.
 *
 * <p>The file is untrusted input (a crash may leave it damaged; anyone who can write the state
 * folder can forge it): every length and count is checked against a named bound before anything
 * is allocated for it, and what breaks a bound is an {@link IOException} that says which.
 */
public final class MappingsCodec {

    private static final int MAGIC = 0x4d475052; // "MGPR"
    private static final int VERSION = 4;
    /** The oldest version still read: before it the codec lived in the engine, and no such file is left. */
    private static final int OLDEST_READ = 3;
    /** The most closed tuples a file holds: as many as the engine keeps ({@code ClosedTuples.MAX_ENTRIES}). */
    public static final int MAX_CLOSED_TUPLES = ClosedTuples.MAX_ENTRIES;

    /**
     * The migration as a whole, apart from its mappings.
     *
     * @param shadowsAllocated shadow endpoints handed out so far
     * @param sinceStartNanos how long ago recovery started, -1 if it has not
     * @param finishedAfterNanos how long recovery took, -1 if it has not finished
     */
    public record Header(long shadowsAllocated, long sinceStartNanos, long finishedAfterNanos) {
    }

    /**
     * A connection that had closed both ways at the failover, still answered as the primary's
     * TIME_WAIT would ({@link ClosedTuples}).
     *
     * @param serverNext the primary's sequence number after its FIN
     * @param clientNext the client's after its FIN
     * @param lingerEndsAtMillis when it is forgotten, in milliseconds since the epoch: a wall clock,
     *     as the next process's {@code nanoTime} starts anywhere
     */
    public record ClosedTuple(int clientAddress, int clientPort, int serviceAddress, int servicePort, int serverNext,
            int clientNext, long clientMac, long primaryMac, long lingerEndsAtMillis) {
    }

    /** Where {@link #read} puts what it reads, as it reads it. */
    public interface Restorer {
        /** The header and counters, before any mapping. */
        void header(Header header, MigrationCounters counters);

        void mapping(Mapping mapping);

        /** One closed tuple, after every mapping; none from a file of version 3. */
        void closedTuple(ClosedTuple closed);
    }

    private static final MappingState[] STATES = MappingState.values();

    private MappingsCodec() {
    }

    /**
     * @param mappings in the order the next activation is to take them (queued ones last, longest waiting first)
     * @param closed the closed tuples, oldest first; at most {@link #MAX_CLOSED_TUPLES}
     */
    public static void write(DataOutputStream out, Header header, MigrationCounters counters, List<Mapping> mappings,
            List<ClosedTuple> closed) throws IOException {
        if (closed.size() > MAX_CLOSED_TUPLES) {
            throw new IllegalArgumentException(closed.size() + " closed tuples, more than the " + MAX_CLOSED_TUPLES + " a file may hold");
        }
        writeHead(out, header, counters, mappings.size());
        for (Mapping m : mappings) {
            writeMapping(out, m);
        }
        writeClosed(out, closed);
    }

    /**
     * The file's start, up to the count of the mappings that {@link #writeMapping} writes next, one
     * by one (a writer may serialise them in parts, {@link #writeClosed} last).
     */
    public static void writeHead(DataOutputStream out, Header header, MigrationCounters counters, int mappingCount) throws IOException {
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        out.writeLong(header.shadowsAllocated());
        out.writeLong(header.sinceStartNanos());
        out.writeLong(header.finishedAfterNanos());
        out.writeInt(counters.recovered);
        out.writeInt(counters.failed);
        out.writeInt(counters.passedThrough);
        out.writeLong(counters.dropped);
        out.writeInt(counters.notRecoverable);
        out.writeInt(counters.headsPrepended);
        out.writeInt(counters.headsMissing);
        out.writeLong(counters.bytesHandedOver);
        out.writeInt(counters.ecnRefused);
        out.writeInt(mappingCount);
    }

    /**
     * The file's end: the closed tuples, oldest first; at most {@link #MAX_CLOSED_TUPLES}.
     */
    public static void writeClosed(DataOutputStream out, List<ClosedTuple> closed) throws IOException {
        if (closed.size() > MAX_CLOSED_TUPLES) {
            throw new IllegalArgumentException(closed.size() + " closed tuples, more than the " + MAX_CLOSED_TUPLES + " a file may hold");
        }
        out.writeInt(closed.size());
        for (ClosedTuple c : closed) {
            out.writeInt(c.clientAddress());
            out.writeShort(c.clientPort());
            out.writeInt(c.serviceAddress());
            out.writeShort(c.servicePort());
            out.writeInt(c.serverNext());
            out.writeInt(c.clientNext());
            out.writeLong(c.clientMac());
            out.writeLong(c.primaryMac());
            out.writeLong(c.lingerEndsAtMillis());
        }
    }

    /**
     * Reads what {@link #write} wrote, handing each part to {@code into} as soon as it is read.
     *
     * @param replica where the restored connections go (their translations are rebuilt for it)
     * @return the number of mappings read
     * @throws IOException when the state is unreadable, of another version, or breaks a bound
     */
    public static int read(DataInputStream in, Replica replica, Restorer into) throws IOException {
        if (in.readInt() != MAGIC) {
            throw new IOException("not a proxy state file");
        }
        int version = in.readInt();
        if (version < OLDEST_READ || version > VERSION) {
            throw new IOException("a proxy state of version " + version + ", not " + OLDEST_READ + " to " + VERSION);
        }
        Header header = new Header(in.readLong(), in.readLong(), in.readLong());
        MigrationCounters counters = new MigrationCounters();
        counters.recovered = in.readInt();
        counters.failed = in.readInt();
        counters.passedThrough = in.readInt();
        counters.dropped = in.readLong();
        counters.notRecoverable = in.readInt();
        counters.headsPrepended = in.readInt();
        counters.headsMissing = in.readInt();
        counters.bytesHandedOver = in.readLong();
        counters.ecnRefused = in.readInt();
        into.header(header, counters);
        int count = in.readInt();
        if (count < 0) {
            throw new IOException("a negative mapping count " + count);
        }
        for (int i = 0; i < count; i++) {
            into.mapping(readMapping(in, replica, version));
        }
        if (version >= 4) {
            int closed = in.readInt();
            if (closed < 0 || closed > MAX_CLOSED_TUPLES) {
                throw new IOException("a closed tuple count " + closed + " outside 0.." + MAX_CLOSED_TUPLES);
            }
            for (int i = 0; i < closed; i++) {
                into.closedTuple(new ClosedTuple(in.readInt(), in.readUnsignedShort(), in.readInt(), in.readUnsignedShort(),
                        in.readInt(), in.readInt(), in.readLong(), in.readLong(), in.readLong()));
            }
        }
        return count;
    }

    /**
     * Reads {@code length} bytes that the file says follow, allocating only as much as it really
     * holds: a corrupt length must not ask for gigabytes.
     */
    private static byte[] readExactly(DataInputStream in, int length) throws IOException {
        if (length < 0) {
            throw new IOException("a negative length " + length);
        }
        byte[] bytes = in.readNBytes(length);
        if (bytes.length != length) {
            throw new java.io.EOFException("the file ends " + (length - bytes.length) + " bytes short of a length it gave");
        }
        return bytes;
    }

    /** One mapping, after {@link #writeHead}: as many as its count said. */
    public static void writeMapping(DataOutputStream out, Mapping m) throws IOException {
        out.writeByte(m.state.ordinal());
        RecoveryCandidate c = m.candidate;
        out.writeBoolean(c != null);
        if (c != null) {
            out.writeInt(c.clientAddress());
            out.writeShort(c.clientPort());
            out.writeLong(c.clientMac());
            out.writeInt(c.primaryAddress());
            out.writeShort(c.primaryPort());
            out.writeLong(c.primaryMac());
            out.writeInt(c.clientResume());
            out.writeInt(c.clientAck());
            out.writeInt(c.clientMss());
            out.writeInt(c.clientWindowScale());
            out.writeInt(c.primaryWindowScale());
            out.writeBoolean(c.sackPermitted());
            out.writeBoolean(c.timestamps());
            out.writeBoolean(c.ecn());
            out.writeInt(c.clientLastTsval());
            out.writeInt(c.primaryLastTsval());
            out.writeInt(c.clientLastWindow());
        }
        out.writeInt(m.clientAddress);
        out.writeShort(m.clientPort);
        out.writeLong(m.clientMac);
        out.writeInt(m.primaryAddress);
        out.writeShort(m.primaryPort);
        out.writeLong(m.primaryMac);
        out.writeInt(m.shadowAddress);
        out.writeShort(m.shadowPort);
        ConnectionTranslation t = m.translation;
        out.writeBoolean(t != null);
        if (t != null) {
            out.writeInt(t.d1());
            out.writeInt(t.d2());
            out.writeInt(t.tsOffset());
            out.writeByte(t.primaryWindowShift());
            out.writeByte(t.replicaWindowShift());
        }
        out.writeInt(m.streamStart);
        out.writeInt(m.handOver.length);
        out.write(m.handOver);
        out.writeInt(m.handOverSent);
        out.writeInt(m.handOverAck);
        out.writeInt(m.handOverDuplicates);
        out.writeInt(m.replicaIsn);
        out.writeInt(m.replicaWindowShift);
        out.writeInt(m.segmentSize);
        out.writeInt(m.lastClientTsval);
        out.writeInt(m.lastReplicaTsval);
        out.writeInt(m.lastAckToReplica);
        out.writeInt(m.synAttempts);
        out.writeLong(m.toReplica);
        out.writeLong(m.toClient);
        out.writeBoolean(m.clientFin);
        out.writeBoolean(m.replicaFin);
        out.writeBoolean(m.ecnRefused);
        ArrayDeque<byte[]> pending = m.pending == null ? new ArrayDeque<>() : m.pending;
        out.writeInt(pending.size());
        for (byte[] frame : pending) {
            out.writeInt(frame.length);
            out.write(frame);
        }
        // version 4: the half-closed client's FIN still to be handed to the replica, and where each side's reset lies
        out.writeBoolean(m.finToHandOver);
        out.writeInt(m.finSequence);
        out.writeBoolean(m.finSentNanos != 0);
        out.writeInt(m.lastReplicaAck);
        out.writeInt(m.clientNext);
    }

    /**
     * @return the mapping; a version 4 mapping whose FIN was written at least once has
     *     {@link Mapping#finSentNanos} -1, to be set on this process's clock by whoever restores it
     */
    private static Mapping readMapping(DataInputStream in, Replica replica, int version) throws IOException {
        int ordinal = in.readUnsignedByte();
        if (ordinal >= STATES.length) {
            throw new IOException("an unknown mapping state " + ordinal);
        }
        MappingState state = STATES[ordinal];
        RecoveryCandidate candidate = null;
        if (in.readBoolean()) {
            candidate = new RecoveryCandidate(null, in.readInt(), in.readUnsignedShort(), in.readLong(), in.readInt(),
                    in.readUnsignedShort(), in.readLong(), in.readInt(), in.readInt(), in.readInt(), in.readInt(), in.readInt(),
                    in.readBoolean(), in.readBoolean(), in.readBoolean(), in.readInt(), in.readInt(), in.readInt());
        }
        int clientAddress = in.readInt();
        int clientPort = in.readUnsignedShort();
        long clientMac = in.readLong();
        int primaryAddress = in.readInt();
        int primaryPort = in.readUnsignedShort();
        long primaryMac = in.readLong();
        int shadowAddress = in.readInt();
        int shadowPort = in.readUnsignedShort();
        Mapping m = new Mapping(candidate, clientAddress, clientPort, clientMac, primaryAddress, primaryPort, primaryMac,
                shadowAddress, shadowPort);
        m.state = state;
        if (in.readBoolean()) {
            int d1 = in.readInt();
            int d2 = in.readInt();
            m.translation = ConnectionTranslation.builder()
                    .client(clientAddress, clientPort)
                    .service(primaryAddress, primaryPort)
                    .shadow(shadowAddress, shadowPort)
                    .replica(replica.address(), replica.portFor(primaryPort))
                    // the builder derives d1 = forged + 1 - resume and d2 = isn + 1 - ack
                    .clientSequence(d1 - 1, 0)
                    .serverSequence(d2 - 1, 0)
                    .timestampOffset(in.readInt())
                    .windowShifts(in.readByte(), in.readByte())
                    .build();
        }
        m.streamStart = in.readInt();
        byte[] handOver = readExactly(in, in.readInt());
        m.handOver = handOver.length == 0 ? Mapping.NOTHING : handOver;
        m.handOverSent = in.readInt();
        m.handOverAck = in.readInt();
        m.handOverDuplicates = in.readInt();
        m.replicaIsn = in.readInt();
        m.replicaWindowShift = in.readInt();
        m.segmentSize = in.readInt();
        m.lastClientTsval = in.readInt();
        m.lastReplicaTsval = in.readInt();
        m.lastAckToReplica = in.readInt();
        m.synAttempts = in.readInt();
        m.toReplica = in.readLong();
        m.toClient = in.readLong();
        m.clientFin = in.readBoolean();
        m.replicaFin = in.readBoolean();
        m.ecnRefused = in.readBoolean();
        int pending = in.readInt();
        if (pending < 0 || pending > Mapping.MAX_PENDING_FRAMES) {
            throw new IOException("a pending frame count " + pending + " outside 0.." + Mapping.MAX_PENDING_FRAMES);
        }
        for (int i = 0; i < pending; i++) {
            int length = in.readInt();
            if (length > ClientToReplica.MAX_FRAME) {
                throw new IOException("a pending frame of " + length + " bytes, more than " + ClientToReplica.MAX_FRAME);
            }
            byte[] frame = readExactly(in, length);
            if (m.pending == null) {
                m.pending = new ArrayDeque<>();
            }
            m.pending.add(frame);
        }
        if (version >= 4) {
            m.finToHandOver = in.readBoolean();
            m.finSequence = in.readInt();
            m.finSentNanos = in.readBoolean() ? -1 : 0;
            m.lastReplicaAck = in.readInt();
            m.clientNext = in.readInt();
        }
        return m;
    }
}
