package org.migware.lab.workloads;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.migware.lab.Args;
import org.migware.lab.Commands;
import org.migware.lab.ReportTable;
import org.migware.lab.ToolMain;
import org.migware.lab.oracles.RecordChecker;

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
 * <p>One thread, one {@link Selector}. The report ({@link SinkReport}) is rewritten every report
 * interval and once more on exit ({@link #stop()} or SIGTERM).
 *
 * <pre>
 * java -cp lab.jar org.migware.lab.workloads.SinkServer --port 5000 --report sink.tsv [--bind ADDR]
 *      [--backlog 4096] [--respond] [--report-interval-ms 1000]
 * </pre>
 */
public final class SinkServer {

    /** Printed to standard output, followed by the bound address, once the server listens. */
    public static final String LISTENING = "sink listening on ";

    private static final int MAX_PENDING_RESPONSE_BYTES = 1 << 20;

    /** The server's settings; {@link #toArgs()} and {@link #parse} convert to and from a command line. */
    public static final class Options {
        private String bind = "0.0.0.0";
        private int port = 5000;
        private int backlog = 4096;
        private Path report;
        private long reportIntervalMillis = 1000;
        private boolean respond;

        /**
         * @param address the address to listen on (default all)
         * @return this
         */
        public Options bind(String address) {
            this.bind = address;
            return this;
        }

        /**
         * @param port the port to listen on; 0 = any free port (default 5000)
         * @return this
         */
        public Options port(int port) {
            this.port = port;
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
         * @param file where to write the report; null = no report (default)
         * @return this
         */
        public Options report(Path file) {
            this.report = file;
            return this;
        }

        /**
         * @param millis how often to rewrite the report (default 1000)
         * @return this
         */
        public Options reportIntervalMillis(long millis) {
            this.reportIntervalMillis = millis;
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

        /** @return the report file, or null */
        public Path report() {
            return report;
        }

        /** @return the command line that {@link #parse} turns back into these options */
        public List<String> toArgs() {
            List<String> args = new ArrayList<>(List.of("--bind", bind, "--port", Integer.toString(port),
                    "--backlog", Integer.toString(backlog), "--report-interval-ms", Long.toString(reportIntervalMillis)));
            if (report != null) {
                args.addAll(List.of("--report", report.toString()));
            }
            if (respond) {
                args.add("--respond");
            }
            return args;
        }

        /**
         * @param args a command line
         * @return the options it gives
         * @throws IllegalArgumentException on unknown options or bad values
         */
        public static Options parse(String... args) {
            Args a = Args.parse(args, Set.of("respond"), Set.of("bind", "port", "backlog", "report", "report-interval-ms"));
            Options o = new Options();
            o.bind = a.string("bind", o.bind);
            o.port = (int) a.number("port", o.port);
            o.backlog = (int) a.number("backlog", o.backlog);
            o.report = a.path("report");
            o.reportIntervalMillis = a.number("report-interval-ms", o.reportIntervalMillis);
            o.respond = a.flag("respond");
            o.validate();
            return o;
        }

        void validate() {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("--port must be 0..65535");
            }
            if (backlog <= 0) {
                throw new IllegalArgumentException("--backlog must be positive");
            }
            if (reportIntervalMillis <= 0) {
                throw new IllegalArgumentException("--report-interval-ms must be positive");
            }
        }

        static String usage() {
            return "usage: SinkServer [--port 5000] [--bind 0.0.0.0] [--backlog 4096] [--report FILE]\n"
                    + "         [--report-interval-ms 1000] [--respond]";
        }
    }

    private enum State { OPEN, EOF, RESET, CLOSED }

    private static final class Conn {
        final SocketChannel channel;
        final String remoteIp;
        final int remotePort;
        final long acceptedAtMillis = System.currentTimeMillis();
        final RecordChecker checker = new RecordChecker();
        State state = State.OPEN;
        String error = "";
        long lastDataNanos;
        long lastDataAtMillis = -1;
        long maxSilenceNanos;
        long responses;
        long endedAtMillis = -1;
        ByteBuffer out;

        Conn(SocketChannel channel, InetSocketAddress remote) {
            this.channel = channel;
            this.remoteIp = remote.getAddress().getHostAddress();
            this.remotePort = remote.getPort();
        }
    }

    private final Options options;
    private final Selector selector;
    private final ServerSocketChannel server;
    private final InetSocketAddress localAddress;
    private final List<Conn> conns = new ArrayList<>();
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(64 * 1024);
    private final CountDownLatch finished = new CountDownLatch(1);
    private final long startMillis = System.currentTimeMillis();
    private volatile boolean stopRequested;
    private int open;

    private SinkServer(Options options) throws IOException {
        this.options = options;
        this.selector = Selector.open();
        this.server = ToolMain.listen(selector, options.bind, options.port, options.backlog);
        this.localAddress = (InetSocketAddress) server.getLocalAddress();
    }

    /**
     * Binds and listens; {@link #run()} then serves.
     *
     * @param options the settings
     * @return the listening server
     * @throws IOException when the address cannot be bound
     */
    public static SinkServer open(Options options) throws IOException {
        options.validate();
        return new SinkServer(options);
    }

    /** @return the address the server listens on (with the real port when port 0 was asked for) */
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    /**
     * Serves on the calling thread until {@link #stop()}; then closes every connection and writes
     * the final report.
     *
     * @throws IOException when the report cannot be written
     */
    public void run() throws IOException {
        try {
            long reportNanos = options.reportIntervalMillis * 1_000_000L;
            long nextReport = System.nanoTime() + reportNanos;
            writeReport(false);
            while (!stopRequested) {
                long now = System.nanoTime();
                if (now - nextReport >= 0) {
                    writeReport(false);
                    nextReport += reportNanos * Math.max(1, (now - nextReport) / reportNanos + 1);
                }
                long waitMillis = Math.max(1, (nextReport - System.nanoTime() + 999_999) / 1_000_000);
                selector.select(waitMillis);
                handleSelected();
            }
            for (Conn conn : conns) {
                if (conn.state == State.OPEN) {
                    end(conn, State.CLOSED, "");
                }
            }
            writeReport(true);
        } finally {
            Commands.closeQuietly(server);
            Commands.closeQuietly(selector);
            finished.countDown();
        }
    }

    /** Asks {@link #run()} to end: it closes every connection, writes the final report and returns. */
    public void stop() {
        stopRequested = true;
        try {
            selector.wakeup();
        } catch (ClosedSelectorException e) {
            // already ended
        }
    }

    /**
     * @param timeout how long to wait
     * @return true when {@link #run()} has ended (and written its final report)
     */
    public boolean awaitFinished(Duration timeout) {
        return ToolMain.await(finished, timeout);
    }

    private void handleSelected() {
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
            SelectionKey key = it.next();
            it.remove();
            if (!key.isValid()) {
                continue;
            }
            if (key.isAcceptable()) {
                accept();
                continue;
            }
            Conn conn = (Conn) key.attachment();
            try {
                if (key.isReadable()) {
                    read(conn, key);
                }
                if (key.isValid() && key.isWritable()) {
                    flush(conn, key);
                }
            } catch (IOException | RuntimeException e) {
                String message = e.getMessage();
                end(conn, State.RESET, e.getClass().getSimpleName() + (message == null ? "" : ": " + message));
            }
        }
    }

    private void accept() {
        while (true) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (IOException e) {
                // e.g. out of file descriptors: the connection stays in the backlog; try next round
                System.err.println("accept failed: " + e.getMessage());
                return;
            }
            if (channel == null) {
                return;
            }
            try {
                channel.configureBlocking(false);
                Conn conn = new Conn(channel, (InetSocketAddress) channel.getRemoteAddress());
                channel.register(selector, SelectionKey.OP_READ, conn);
                conns.add(conn);
                open++;
            } catch (IOException e) {
                Commands.closeQuietly(channel);
            }
        }
    }

    private void read(Conn conn, SelectionKey key) throws IOException {
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
        if (options.respond) {
            conn.checker.feed(readBuffer, (connId, seq) -> queueResponse(conn, connId, seq));
            flush(conn, key);
        } else {
            conn.checker.feed(readBuffer, null);
        }
    }

    private void queueResponse(Conn conn, long connId, long seq) {
        byte[] line = ("ok c" + connId + " r" + seq + "\n").getBytes(StandardCharsets.US_ASCII);
        if (conn.out == null) {
            conn.out = ByteBuffer.allocate(4096);
        }
        if (conn.out.remaining() < line.length) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(conn.out.capacity() * 2, conn.out.position() + line.length));
            conn.out.flip();
            bigger.put(conn.out);
            conn.out = bigger;
        }
        conn.out.put(line);
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

    private void end(Conn conn, State state, String error) {
        if (conn.state == State.OPEN) {
            open--;
            conn.endedAtMillis = System.currentTimeMillis();
        }
        conn.state = state;
        conn.error = error;
        Commands.closeQuietly(conn.channel);
    }

    private void writeReport(boolean last) throws IOException {
        if (options.report == null) {
            return;
        }
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
        header.put("listen", ToolMain.hostPort(localAddress));
        header.put("respond", Boolean.toString(options.respond));
        header.put("accepted", Integer.toString(conns.size()));
        header.put("open", Integer.toString(open));
        header.put("bytes", Long.toString(bytes));
        ReportTable.putTimes(header, startMillis, last);
        ReportTable.write(options.report, SinkReport.TYPE, header, SinkReport.COLUMNS, rows);
    }

    /**
     * Runs the server from the command line (see the class description for the options).
     * SIGTERM ends it cleanly: the final report is written before the JVM exits.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        Options options = ToolMain.options(args, Options.usage(), Options::parse);
        if (options == null) {
            return;
        }
        SinkServer sink;
        try {
            sink = open(options);
        } catch (IOException e) {
            ToolMain.cannotListen(options.bind, options.port, e);
            return;
        }
        ToolMain.stopOnShutdown("sink server", sink::stop, sink::awaitFinished);
        ToolMain.listening(LISTENING, sink.localAddress);
        System.exit(ToolMain.run("sink server", () -> {
            sink.run();
            return 0;
        }));
    }
}
