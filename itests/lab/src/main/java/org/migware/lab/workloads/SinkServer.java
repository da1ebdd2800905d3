package org.migware.lab.workloads;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.migware.lab.Args;
import org.migware.lab.ReportTable;
import org.migware.lab.ToolMain;
import org.migware.lab.oracles.RecordChecker;
import org.migware.lab.oracles.ResponseChecker;

/**
 * The server side of the push workload: accepts connections, reads everything, and checks every
 * connection's stream with a {@link RecordChecker}. This is the application-level oracle of the
 * lab: what the server application actually received, per connection (keyed by the client's
 * ip:port), and whether the records arrived whole, in order, without gaps or duplicates.
 *
 * <p>By default it only receives, so the only thing it sends is TCP's ACKs, as in the thesis. With
 * {@code --respond} it answers each record with a line {@code ok c<conn> r<seq>\n}, for a
 * request/response workload ({@link PushClient.Options#readResponses}).
 *
 * <p>One thread, one selector ({@link SelectorServer}). The report ({@link SinkReport}) is
 * rewritten every report interval and once more on exit ({@link #stop()} or SIGTERM).
 *
 * <pre>
 * java -cp lab.jar org.migware.lab.workloads.SinkServer --port 5000 --report sink.tsv [--bind ADDR]
 *      [--backlog 4096] [--respond] [--report-interval-ms 1000]
 * </pre>
 */
public final class SinkServer extends SelectorServer<SinkServer.Conn> {

    /** Printed to standard output, followed by the bound address, once the server listens. */
    public static final String LISTENING = "sink listening on ";

    private static final int MAX_PENDING_RESPONSE_BYTES = 1 << 20;

    /** The server's settings; {@link #toArgs()} and {@link #parse} convert to and from a command line. */
    public static final class Options extends SelectorServer.Options<Options> {
        private int backlog = 4096;
        private boolean respond;
        private int responseBytes;

        @Override
        Options self() {
            return this;
        }

        /**
         * @param backlog the listen backlog (default 4096; the kernel caps it at net.core.somaxconn)
         * @return this
         */
        public Options backlog(int backlog) {
            this.backlog = backlog;
            return this;
        }

        /**
         * @param respond answer every record with a response line
         * @return this
         */
        public Options respond(boolean respond) {
            this.respond = respond;
            return this;
        }

        /**
         * @param bytes with {@link #respond}, a body of this many bytes in every answer, after its
         *        header ({@link ResponseChecker#bodyByte}); 0 for the plain answer line
         * @return this
         */
        public Options responseBytes(int bytes) {
            this.responseBytes = bytes;
            return this;
        }

        @Override
        public List<String> toArgs() {
            List<String> args = super.toArgs();
            args.addAll(List.of("--backlog", Integer.toString(backlog)));
            if (respond) {
                args.add("--respond");
            }
            if (responseBytes > 0) {
                args.addAll(List.of("--response-bytes", Integer.toString(responseBytes)));
            }
            return args;
        }

        /**
         * @param args a command line
         * @return the options it gives
         * @throws IllegalArgumentException on unknown options or bad values
         */
        public static Options parse(String... args) {
            Set<String> values = new HashSet<>(VALUES);
            values.add("backlog");
            values.add("response-bytes");
            Args a = Args.parse(args, Set.of("respond"), values);
            Options o = new Options();
            o.read(a);
            o.backlog = (int) a.number("backlog", o.backlog);
            o.respond = a.flag("respond");
            o.responseBytes = (int) a.number("response-bytes", 0);
            o.validate();
            return o;
        }

        @Override
        void validate() {
            super.validate();
            if (backlog <= 0) {
                throw new IllegalArgumentException("--backlog must be positive");
            }
            if (responseBytes < 0 || responseBytes > ResponseChecker.MAX_BODY) {
                throw new IllegalArgumentException("--response-bytes must be 0.." + ResponseChecker.MAX_BODY);
            }
        }

        static String usage() {
            return "usage: SinkServer [--port 5000] [--bind 0.0.0.0] [--backlog 4096] [--report FILE]\n"
                    + "         [--report-interval-ms 1000] [--respond [--response-bytes N]]";
        }
    }

    /** A connection: its records checked as they arrive, the responses still to write. */
    static final class Conn extends SelectorServer.Connection {
        final RecordChecker checker = new RecordChecker();
        long lastDataNanos;
        long lastDataAtMillis = -1;
        long maxSilenceNanos;
        long responses;
        ByteBuffer out;

        Conn(SocketChannel channel, InetSocketAddress remote) {
            super(channel, remote);
        }
    }

    private final boolean respond;
    private final int responseBytes;
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(64 * 1024);

    private SinkServer(Options options) throws IOException {
        super(options, options.backlog);
        this.respond = options.respond;
        this.responseBytes = options.responseBytes;
    }

    /**
     * Binds and listens; {@link #run()} then serves.
     *
     * @param options the settings
     * @return the listening server
     * @throws IOException when the address cannot be bound
     */
    public static SinkServer open(Options options) throws IOException {
        return new SinkServer(options);
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
            if (conn.out != null && conn.out.position() > 0) {
                flush(conn, key);
            }
            end(conn, State.EOF, "");
            return;
        }
        if (n == 0) {
            return;
        }
        long now = System.nanoTime();
        if (conn.lastDataNanos != 0) {
            conn.maxSilenceNanos = Math.max(conn.maxSilenceNanos, now - conn.lastDataNanos);
        }
        conn.lastDataNanos = now;
        conn.lastDataAtMillis = System.currentTimeMillis();
        readBuffer.flip();
        if (respond) {
            conn.checker.feed(readBuffer, (connId, seq) -> queueResponse(conn, connId, seq));
            flush(conn, key);
        } else {
            conn.checker.feed(readBuffer, null);
        }
    }

    @Override
    void writable(Conn conn, SelectionKey key) throws IOException {
        flush(conn, key);
    }

    private void queueResponse(Conn conn, long connId, long seq) {
        byte[] header = ("ok c" + connId + " r" + seq).getBytes(StandardCharsets.US_ASCII);
        int length = header.length + (responseBytes > 0 ? 1 + responseBytes : 0) + 1;
        if (conn.out == null) {
            conn.out = ByteBuffer.allocate(Math.max(4096, length));
        }
        if (conn.out.remaining() < length) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(conn.out.capacity() * 2, conn.out.position() + length));
            conn.out.flip();
            bigger.put(conn.out);
            conn.out = bigger;
        }
        conn.out.put(header);
        if (responseBytes > 0) {
            conn.out.put((byte) ' ');
            for (int i = 0; i < responseBytes; i++) {
                conn.out.put(ResponseChecker.bodyByte(connId, seq, i));
            }
        }
        conn.out.put((byte) '\n');
        conn.responses++;
    }

    /** Writes queued responses; while too many are queued, stops reading (the client must read). */
    private void flush(Conn conn, SelectionKey key) throws IOException {
        if (conn.out == null) {
            key.interestOps(SelectionKey.OP_READ);
            return;
        }
        conn.out.flip();
        conn.channel.write(conn.out);
        conn.out.compact();
        int ops = conn.out.position() > 0 ? SelectionKey.OP_WRITE : 0;
        if (conn.out.position() < MAX_PENDING_RESPONSE_BYTES) {
            ops |= SelectionKey.OP_READ;
        }
        if (key.isValid()) {
            key.interestOps(ops);
        }
    }

    @Override
    void writeReport(Path file, boolean last) throws IOException {
        List<List<String>> rows = new ArrayList<>(conns.size());
        long bytes = 0;
        for (Conn c : conns) {
            RecordChecker k = c.checker;
            bytes += k.bytes();
            rows.add(List.of(c.remoteIp, Integer.toString(c.remotePort), Long.toString(k.connId()), c.state.name(),
                    Long.toString(k.bytes()), Long.toString(k.records()), Long.toString(k.firstSeq()),
                    Long.toString(k.lastSeq()), Long.toString(k.gaps()), Long.toString(k.missing()),
                    Long.toString(k.duplicates()), Long.toString(k.torn()), Long.toString(k.corrupt()),
                    Long.toString(k.foreign()), Long.toString(k.trailingBytes()), Long.toString(c.responses),
                    Long.toString(c.acceptedAtMillis), Long.toString(c.lastDataAtMillis),
                    Long.toString(c.maxSilenceNanos / 1_000_000), c.error, Long.toString(c.endedAtMillis)));
        }
        Map<String, String> header = new LinkedHashMap<>();
        header.put("listen", ToolMain.hostPort(localAddress()));
        header.put("respond", Boolean.toString(respond));
        header.put("accepted", Integer.toString(conns.size()));
        header.put("open", Integer.toString(open));
        header.put("bytes", Long.toString(bytes));
        ReportTable.putTimes(header, startMillis, last);
        ReportTable.write(file, SinkReport.TYPE, header, SinkReport.COLUMNS, rows);
    }

    /**
     * Runs the server from the command line (see the class description for the options).
     * SIGTERM ends it cleanly: the final report is written before the JVM exits.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        SelectorServer.main(args, "sink server", LISTENING, Options.usage(), Options::parse, SinkServer::open);
    }
}
