package org.migware.lab.workloads;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.migware.lab.Args;
import org.migware.lab.ReportTable;
import org.migware.lab.ToolMain;

/**
 * The bulk workload's server: accepts connections and reads everything, and for each connection
 * reports what the application got: the stream offset of its first byte (found from the bytes
 * themselves, {@link BulkStream#locate}: a replica's connection starts wherever MigWare resumed
 * it), how many bytes, and the SHA-256 of all of them, so that a test can regenerate the expected
 * range and compare. As a diagnosis it also checks the bytes against the stream as they arrive
 * and reports the offset of the first wrong byte.
 *
 * <p>One thread, one selector ({@link SelectorServer}); the report ({@link BulkReceiverReport}) is
 * rewritten every report interval and once more on exit ({@link #stop()} or SIGTERM).
 *
 * <pre>
 * java -cp lab.jar org.migware.lab.workloads.BulkReceiver --port 7000 --report bulk.tsv [--bind ADDR]
 * </pre>
 */
public final class BulkReceiver extends SelectorServer<BulkReceiver.Conn> {

    /** Printed to standard output, followed by the bound address, once the server listens. */
    public static final String LISTENING = "bulk receiver listening on ";

    /** The receiver's settings; {@link #toArgs()} and {@link #parse} convert to and from a command line. */
    public static final class Options extends SelectorServer.Options<Options> {

        @Override
        Options self() {
            return this;
        }

        /**
         * @param args a command line
         * @return the options it gives
         * @throws IllegalArgumentException on unknown options or bad values
         */
        public static Options parse(String... args) {
            Options o = new Options();
            o.read(Args.parse(args, Set.of(), VALUES));
            o.validate();
            return o;
        }

        static String usage() {
            return "usage: BulkReceiver [--port 5000] [--bind 0.0.0.0] [--report FILE] [--report-interval-ms 1000]";
        }
    }

    /** A connection: where in the stream it starts, what it got, the first wrong byte. */
    static final class Conn extends SelectorServer.Connection {
        final MessageDigest digest = BulkStream.newDigest();
        final byte[] head = new byte[BulkStream.LOCATE_BYTES];
        int headLength;
        boolean located;
        long firstOffset = -1;
        long bytes;
        long mismatchAt = -1;
        long firstDataAtMillis = -1;
        long lastDataAtMillis = -1;

        Conn(SocketChannel channel, InetSocketAddress remote) {
            super(channel, remote);
        }
    }

    private final ByteBuffer readBuffer = ByteBuffer.allocate(256 * 1024);
    private final ByteBuffer expected = ByteBuffer.allocate(256 * 1024);

    private BulkReceiver(Options options) throws IOException {
        super(options, 0);
    }

    /**
     * Binds and listens; {@link #run()} then serves.
     *
     * @param options the settings
     * @return the listening server
     * @throws IOException when the address cannot be bound
     */
    public static BulkReceiver open(Options options) throws IOException {
        return new BulkReceiver(options);
    }

    @Override
    Conn accepted(SocketChannel channel, InetSocketAddress remote) {
        return new Conn(channel, remote);
    }

    @Override
    void readable(Conn conn, SelectionKey key) throws IOException {
        readBuffer.clear();
        int n = conn.channel.read(readBuffer);
        if (n < 0) {
            end(conn, State.EOF, "");
            return;
        }
        if (n > 0) {
            onData(conn, readBuffer.array(), n);
        }
    }

    private void onData(Conn conn, byte[] data, int n) {
        long now = System.currentTimeMillis();
        if (conn.firstDataAtMillis < 0) {
            conn.firstDataAtMillis = now;
        }
        conn.lastDataAtMillis = now;
        conn.digest.update(data, 0, n);
        int i = 0;
        if (!conn.located) {
            int take = Math.min(n, conn.head.length - conn.headLength);
            System.arraycopy(data, 0, conn.head, conn.headLength, take);
            conn.headLength += take;
            i = take;
            if (conn.headLength == conn.head.length) {
                locate(conn);
            }
        }
        long streamOffset = conn.firstOffset + conn.bytes + i;
        conn.bytes += n;
        if (conn.firstOffset >= 0 && conn.mismatchAt < 0 && i < n) {
            verify(conn, data, i, n - i, streamOffset);
        }
    }

    /** Finds the first byte's stream offset; the head's bytes are checked by {@link BulkStream#locate} itself. */
    private static void locate(Conn conn) {
        conn.located = true;
        conn.firstOffset = BulkStream.locate(conn.head, conn.headLength);
    }

    private void verify(Conn conn, byte[] data, int from, int length, long streamOffset) {
        expected.clear();
        expected.limit(length);
        BulkStream.fill(expected, streamOffset);
        int at = Arrays.mismatch(data, from, from + length, expected.array(), 0, length);
        if (at >= 0) {
            conn.mismatchAt = streamOffset + at;
        }
    }

    /** A connection that ended before its head was complete is located with what it got. */
    @Override
    void end(Conn conn, State state, String error) {
        if (!conn.located) {
            locate(conn);
        }
        super.end(conn, state, error);
    }

    @Override
    void writeReport(Path file, boolean last) throws IOException {
        List<List<String>> rows = new ArrayList<>(conns.size());
        for (Conn c : conns) {
            String sha;
            try {
                sha = BulkStream.hex(((MessageDigest) c.digest.clone()).digest());
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException("SHA-256 digests can be cloned", e);
            }
            rows.add(List.of(c.remoteIp + ":" + c.remotePort, c.state.name(), Long.toString(c.firstOffset),
                    Long.toString(c.bytes), sha, Long.toString(c.mismatchAt), Long.toString(c.acceptedAtMillis),
                    Long.toString(c.firstDataAtMillis), Long.toString(c.lastDataAtMillis), Long.toString(c.endedAtMillis),
                    c.error));
        }
        Map<String, String> header = new LinkedHashMap<>();
        header.put("listen", ToolMain.hostPort(localAddress()));
        header.put("accepted", Integer.toString(conns.size()));
        ReportTable.putTimes(header, startMillis, last);
        ReportTable.write(file, BulkReceiverReport.TYPE, header, BulkReceiverReport.COLUMNS, rows);
    }

    /**
     * Runs the receiver from the command line (see the class description). SIGTERM ends it
     * cleanly: the final report is written before the JVM exits.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        SelectorServer.main(args, "bulk receiver", LISTENING, Options.usage(), Options::parse, BulkReceiver::open);
    }
}
