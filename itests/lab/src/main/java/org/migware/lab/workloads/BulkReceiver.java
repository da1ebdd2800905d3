package org.migware.lab.workloads;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
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

/**
 * The bulk workload's server: accepts connections and reads everything, and for each connection
 * reports what the application got: the stream offset of its first byte (found from the bytes
 * themselves, {@link BulkStream#locate}: a replica's connection starts wherever MigWare resumed
 * it), how many bytes, and the SHA-256 of all of them, so that a test can regenerate the expected
 * range and compare. As a diagnosis it also checks the bytes against the stream as they arrive
 * and reports the offset of the first wrong byte.
 *
 * <p>One thread, one {@link Selector}; the report ({@link BulkReceiverReport}) is rewritten every
 * report interval and once more on exit ({@link #stop()} or SIGTERM).
 *
 * <pre>
 * java -cp lab.jar org.migware.lab.workloads.BulkReceiver --port 7000 --report bulk.tsv [--bind ADDR]
 * </pre>
 */
public final class BulkReceiver {

    /** Printed to standard output, followed by the bound address, once the server listens. */
    public static final String LISTENING = "bulk receiver listening on ";

    /** The receiver's settings; {@link #toArgs()} and {@link #parse} convert to and from a command line. */
    public static final class Options {
        private String bind = "0.0.0.0";
        private int port = 5000;
        private Path report;
        private long reportIntervalMillis = 1000;

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
         * @param file where to write the report; null = none (default)
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

        /** @return the command line that {@link #parse} turns back into these options */
        public List<String> toArgs() {
            List<String> args = new ArrayList<>(List.of("--bind", bind, "--port", Integer.toString(port),
                    "--report-interval-ms", Long.toString(reportIntervalMillis)));
            if (report != null) {
                args.addAll(List.of("--report", report.toString()));
            }
            return args;
        }

        /**
         * @param args a command line
         * @return the options it gives
         * @throws IllegalArgumentException on unknown options or bad values
         */
        public static Options parse(String... args) {
            Args a = Args.parse(args, Set.of(), Set.of("bind", "port", "report", "report-interval-ms"));
            Options o = new Options();
            o.bind = a.string("bind", o.bind);
            o.port = (int) a.number("port", o.port);
            o.report = a.path("report");
            o.reportIntervalMillis = a.number("report-interval-ms", o.reportIntervalMillis);
            o.validate();
            return o;
        }

        void validate() {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("--port must be 0..65535");
            }
            if (reportIntervalMillis <= 0) {
                throw new IllegalArgumentException("--report-interval-ms must be positive");
            }
        }

        static String usage() {
            return "usage: BulkReceiver [--port 5000] [--bind 0.0.0.0] [--report FILE] [--report-interval-ms 1000]";
        }
    }

    private static final class Conn {
        final SocketChannel channel;
        final String remote;
        final long acceptedAtMillis = System.currentTimeMillis();
        final MessageDigest digest = BulkStream.newDigest();
        final byte[] head = new byte[BulkStream.LOCATE_BYTES];
        int headLength;
        boolean located;
        long firstOffset = -1;
        long bytes;
        long mismatchAt = -1;
        long firstDataAtMillis = -1;
        long lastDataAtMillis = -1;
        long endedAtMillis = -1;
        String state = "OPEN";
        String error = "";

        Conn(SocketChannel channel, String remote) {
            this.channel = channel;
            this.remote = remote;
        }
    }

    private final Options options;
    private final Selector selector;
    private final ServerSocketChannel server;
    private final InetSocketAddress localAddress;
    private final List<Conn> conns = new ArrayList<>();
    private final ByteBuffer readBuffer = ByteBuffer.allocate(256 * 1024);
    private final ByteBuffer expected = ByteBuffer.allocate(256 * 1024);
    private final CountDownLatch finished = new CountDownLatch(1);
    private final long startMillis = System.currentTimeMillis();
    private volatile boolean stopRequested;

    private BulkReceiver(Options options) throws IOException {
        this.options = options;
        this.selector = Selector.open();
        this.server = ToolMain.listen(selector, options.bind, options.port, 0);
        this.localAddress = (InetSocketAddress) server.getLocalAddress();
    }

    /**
     * Binds and listens; {@link #run()} then serves.
     *
     * @param options the settings
     * @return the listening server
     * @throws IOException when the address cannot be bound
     */
    public static BulkReceiver open(Options options) throws IOException {
        options.validate();
        return new BulkReceiver(options);
    }

    /** @return the address the server listens on */
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
                selector.select(Math.max(1, (nextReport - System.nanoTime()) / 1_000_000));
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey key = it.next();
                    it.remove();
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        accept();
                    } else if (key.isReadable()) {
                        read((Conn) key.attachment());
                    }
                }
            }
            for (Conn conn : conns) {
                if (conn.state.equals("OPEN")) {
                    end(conn, "CLOSED", "");
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

    private void accept() {
        while (true) {
            SocketChannel channel;
            try {
                channel = server.accept();
                if (channel == null) {
                    return;
                }
            } catch (IOException e) {
                System.err.println("accept failed: " + e.getMessage());
                return;
            }
            try {
                channel.configureBlocking(false);
                InetSocketAddress remote = (InetSocketAddress) channel.getRemoteAddress();
                Conn conn = new Conn(channel, remote.getAddress().getHostAddress() + ":" + remote.getPort());
                channel.register(selector, SelectionKey.OP_READ, conn);
                conns.add(conn);
            } catch (IOException e) {
                Commands.closeQuietly(channel);
            }
        }
    }

    private void read(Conn conn) {
        int n;
        try {
            readBuffer.clear();
            n = conn.channel.read(readBuffer);
        } catch (IOException e) {
            String message = e.getMessage();
            end(conn, "RESET", e.getClass().getSimpleName() + (message == null ? "" : ": " + message));
            return;
        }
        if (n < 0) {
            end(conn, "EOF", "");
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

    private void end(Conn conn, String state, String error) {
        if (!conn.located) {
            locate(conn);
        }
        if (conn.state.equals("OPEN")) {
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
        for (Conn c : conns) {
            String sha;
            try {
                sha = BulkStream.hex(((MessageDigest) c.digest.clone()).digest());
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException("SHA-256 digests can be cloned", e);
            }
            rows.add(List.of(c.remote, c.state, Long.toString(c.firstOffset), Long.toString(c.bytes), sha,
                    Long.toString(c.mismatchAt), Long.toString(c.acceptedAtMillis), Long.toString(c.firstDataAtMillis),
                    Long.toString(c.lastDataAtMillis), Long.toString(c.endedAtMillis), c.error));
        }
        Map<String, String> header = new LinkedHashMap<>();
        header.put("listen", ToolMain.hostPort(localAddress));
        header.put("accepted", Integer.toString(conns.size()));
        ReportTable.putTimes(header, startMillis, last);
        ReportTable.write(options.report, BulkReceiverReport.TYPE, header, BulkReceiverReport.COLUMNS, rows);
    }

    /**
     * Runs the receiver from the command line (see the class description). SIGTERM ends it
     * cleanly: the final report is written before the JVM exits.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        Options options = ToolMain.options(args, Options.usage(), Options::parse);
        if (options == null) {
            return;
        }
        BulkReceiver receiver;
        try {
            receiver = open(options);
        } catch (IOException e) {
            ToolMain.cannotListen(options.bind, options.port, e);
            return;
        }
        ToolMain.stopOnShutdown("bulk receiver", receiver::stop, receiver::awaitFinished);
        ToolMain.listening(LISTENING, receiver.localAddress);
        System.exit(ToolMain.run("bulk receiver", () -> {
            receiver.run();
            return 0;
        }));
    }
}
