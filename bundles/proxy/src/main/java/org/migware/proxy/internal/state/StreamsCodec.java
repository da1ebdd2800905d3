package org.migware.proxy.internal.state;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

import org.migware.proxy.internal.keeper.ClientStreamKeeper;
import org.migware.proxy.internal.keeper.KeptStream;
import org.migware.proxy.internal.mapping.ConnectionKey;





/**
 * The client streams a keeper holds, written at an update or restart of the proxy bundle in
 * NORMAL and read by the next activation, so that it carries on with the same bytes and record
 * boundaries. Without them a length-prefixed stream could not find its records again (its
 * lengths are in bytes already gone), and newline framing would wait for the next newline. A
 * connection that sent bytes while no keeper was listening shows a gap on its next segment and
 * is treated like any gap.
 *
 * <p>Format ("MGKP", version 2; big-endian, as {@link DataOutputStream} writes): magic, version,
 * framing name (UTF), gaps, overflows, connections not kept (longs), stream count (int), then per
 * stream: its key's addresses and ports (longs, {@link org.migware.proxy.internal.mapping.ConnectionKey}; version 1 had one
 * long without the service address), first seq, kept length, the kept bytes, parsed end, retaining, ack seen,
 * acked, framing synced, head boundary, have head, boundary count and the boundaries, prefix
 * read (int), prefix value, body left (longs). Changing it means a new version.
 */
public final class StreamsCodec {

    private static final int MAGIC = 0x4d47_4b50; // "MGKP"
    private static final int VERSION = 2;
    /** More record starts than this in one stream is a broken file, not a stream. */
    private static final int MAX_BOUNDARIES = 1 << 24;

    private StreamsCodec() {
    }

    /** Writes every stream of {@code keeper}. */
    public static void write(DataOutputStream out, ClientStreamKeeper keeper) throws IOException {
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        out.writeUTF(keeper.framing().configName());
        keeper.export(new ClientStreamKeeper.Exporter() {
            @Override
            public void counters(long gaps, long overflows, long connectionsNotKept, int streams) throws IOException {
                out.writeLong(gaps);
                out.writeLong(overflows);
                out.writeLong(connectionsNotKept);
                out.writeInt(streams);
            }

            @Override
            public void stream(long addresses, long ports, KeptStream s) throws IOException {
                out.writeLong(addresses);
                out.writeLong(ports);
                out.writeInt(s.firstSeq);
                out.writeInt(s.tail - s.head);
                out.write(s.buffer, s.head, s.tail - s.head);
                out.writeInt(s.parsedEnd);
                out.writeBoolean(s.retaining);
                out.writeBoolean(s.ackSeen);
                out.writeInt(s.acked);
                out.writeBoolean(s.framingSynced);
                out.writeInt(s.headBoundary);
                out.writeBoolean(s.haveHead);
                out.writeInt(s.boundaryCount);
                for (int i = 0; i < s.boundaryCount; i++) {
                    out.writeInt(s.boundaryAt(i));
                }
                out.writeInt(s.prefixRead);
                out.writeLong(s.prefixValue);
                out.writeLong(s.bodyLeft);
            }
        });
    }

    /**
     * Takes over what {@link #write} wrote, into a fresh keeper.
     *
     * @return the number of streams restored
     * @throws IOException when the state is unreadable, of another version, or kept for another
     *     framing (its boundaries would mean nothing)
     */
    public static int read(DataInputStream in, ClientStreamKeeper keeper) throws IOException {
        int version = in.readInt() == MAGIC ? in.readInt() : -1;
        if (version != VERSION && version != 1) {
            throw new IOException("not a client stream state of version 1 or " + VERSION);
        }
        String savedFraming = in.readUTF();
        String framing = keeper.framing().configName();
        if (!savedFraming.equals(framing)) {
            throw new IOException("kept for framing " + savedFraming + ", now " + framing);
        }
        keeper.restoreCounters(in.readLong(), in.readLong(), in.readLong());
        int count = in.readInt();
        if (count < 0 || count > keeper.maxConnections()) {
            throw new IOException(count + " streams, more than the " + keeper.maxConnections() + " kept now");
        }
        for (int n = 0; n < count; n++) {
            long addresses;
            long ports;
            if (version == 1) {
                long key = in.readLong(); // client address, client port, service port
                addresses = ConnectionKey.addresses((int) (key >>> 32), onlyServiceAddress(keeper));
                ports = key & 0xffff_ffffL;
            } else {
                addresses = in.readLong();
                ports = in.readLong();
            }
            keeper.restoreStream(addresses, ports, readStream(in, keeper.maxBytesPerConnection()));
        }
        return count;
    }

    /**
     * A version 1 state (written before the key held the service address) is whole only where the
     * service has one IPv4 address.
     */
    private static int onlyServiceAddress(ClientStreamKeeper keeper) throws IOException {
        java.util.List<java.net.InetAddress> addresses = keeper.service().addresses();
        if (addresses.size() != 1 || !(addresses.get(0) instanceof java.net.Inet4Address only)) {
            throw new IOException("a version 1 state does not say which of the service addresses " + addresses
                    + " each stream belongs to");
        }
        return java.nio.ByteBuffer.wrap(only.getAddress()).getInt();
    }

    private static KeptStream readStream(DataInputStream in, int maxBytesPerConnection) throws IOException {
        KeptStream s = new KeptStream();
        s.firstSeq = in.readInt();
        int kept = in.readInt();
        if (kept < 0 || kept > maxBytesPerConnection) {
            throw new IOException(kept + " bytes kept for one stream, more than the " + maxBytesPerConnection + " allowed now");
        }
        if (kept > 0) {
            s.buffer = new byte[Math.max(KeptStream.FIRST_BUFFER, kept)];
        }
        in.readFully(s.buffer, 0, kept);
        s.head = 0;
        s.tail = kept;
        s.parsedEnd = in.readInt();
        s.retaining = in.readBoolean();
        s.ackSeen = in.readBoolean();
        s.acked = in.readInt();
        s.framingSynced = in.readBoolean();
        s.headBoundary = in.readInt();
        s.haveHead = in.readBoolean();
        int boundaries = in.readInt();
        if (boundaries < 0 || boundaries > MAX_BOUNDARIES) {
            throw new IOException(boundaries + " record boundaries for one stream");
        }
        for (int i = 0; i < boundaries; i++) {
            s.addBoundary(in.readInt());
        }
        s.prefixRead = in.readInt();
        s.prefixValue = in.readLong();
        s.bodyLeft = in.readLong();
        return s;
    }
}
