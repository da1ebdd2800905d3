package org.migware.lab.report;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.migware.lab.Args;
import org.migware.lab.oracles.RecordFormat;
import org.migware.lab.ReportTable;

/**
 * The thesis's push workload as a real client behind a load balancer must run it: N
 * connections, each sending one numbered record ({@link RecordFormat}, the same bytes as the
 * lab's {@code PushClient}) every interval, and — unlike {@code PushClient} — when a connection
 * breaks (reset, the peer closed it, a write fails) it reconnects after a short delay and goes
 * on with its next record number. It does not resend: it cannot know what the dead server got,
 * which is exactly what the baseline shows.
 *
 * <p>One thread and one selector drive every connection. Sends are staggered as in
 * {@code PushClient}: connection {@code i} of {@code N} sends at
 * {@code start + i*interval/N + k*interval}. For each connection id the client keeps the highest
 * record number written, the connects, failed connects and breaks, when it first broke and when
 * it was connected again, the local ports it used and the first error; it writes them as a
 * tab-separated report ({@link ReconnectingClientReport}) every second and when it ends.
 *
 * <pre>
 * java -cp lab-report.jar:lab.jar org.migware.lab.report.ReconnectingPushClient --host 10.77.0.3 \
 *      --port 7100 --connections 200 --interval-ms 500 --duration-ms 20000 --report client.tsv
 * </pre>
 */
public final class ReconnectingPushClient {

    /** Printed to standard output once the run has started. */
    public static final String STARTED = "reconnecting push client started";

    private static final long MS = 1_000_000L;

    /** The client's settings; {@link #toArgs()} and {@link #parse} convert to and from a command line. */
    public static final class Options {
        private String host = "127.0.0.1";
        private int port = 5000;
        private int connections = 1;
        private long intervalMillis = 500;
        private long durationMillis = 10_000;
        private int recordSize = 64;
        private long connectRate = 1000;
        private long reconnectDelayMillis = 100;
        private long maxBackoffMillis = 2000;
        private Path report;
        private int firstId;

        /**
         * @param host the server's (or load balancer's) address
         * @return this
         */
        public Options host(String host) {
            this.host = host;
            return this;
        }

        /**
         * @param port its port
         * @return this
         */
        public Options port(int port) {
            this.port = port;
            return this;
        }

        /**
         * @param count connections (default 1)
         * @return this
         */
        public Options connections(int count) {
            this.connections = count;
            return this;
        }

        /**
         * @param millis time between two records of a connection (default 500)
         * @return this
         */
        public Options intervalMillis(long millis) {
            this.intervalMillis = millis;
            return this;
        }

        /**
         * @param millis how long to run, then close every connection (default 10000)
         * @return this
         */
        public Options durationMillis(long millis) {
            this.durationMillis = millis;
            return this;
        }

        /**
         * @param bytes record size including the newline (default 64)
         * @return this
         */
        public Options recordSize(int bytes) {
            this.recordSize = bytes;
            return this;
        }

        /**
         * @param perSecond first connects started per second (default 1000); reconnects are not paced
         * @return this
         */
        public Options connectRate(long perSecond) {
            this.connectRate = perSecond;
            return this;
        }

        /**
         * @param millis wait after a break before connecting again (default 100); doubled after
         *        each failed connect, up to the maximum backoff
         * @return this
         */
        public Options reconnectDelayMillis(long millis) {
            this.reconnectDelayMillis = millis;
            return this;
        }

        /**
         * @param millis the longest wait between two connect attempts (default 2000)
         * @return this
         */
        public Options maxBackoffMillis(long millis) {
            this.maxBackoffMillis = millis;
            return this;
        }

        /**
         * @param file where to write the report (null: none)
         * @return this
         */
        public Options report(Path file) {
            this.report = file;
            return this;
        }

        /**
         * @param id the first connection id (default 0)
         * @return this
         */
        public Options firstId(int id) {
            this.firstId = id;
            return this;
        }

        /** @return the command line that {@link #parse} turns back into these options */
        public List<String> toArgs() {
            List<String> args = new ArrayList<>(List.of("--host", host, "--port", Integer.toString(port),
                    "--connections", Integer.toString(connections), "--interval-ms", Long.toString(intervalMillis),
                    "--duration-ms", Long.toString(durationMillis), "--record-size", Integer.toString(recordSize),
                    "--connect-rate", Long.toString(connectRate), "--reconnect-delay-ms", Long.toString(reconnectDelayMillis),
                    "--max-backoff-ms", Long.toString(maxBackoffMillis), "--first-id", Integer.toString(firstId)));
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
            Args a = Args.parse(args, Set.of(), Set.of("host", "port", "connections", "interval-ms", "duration-ms",
                    "record-size", "connect-rate", "reconnect-delay-ms", "max-backoff-ms", "report", "first-id"));
            Options o = new Options();
            o.host = a.string("host", o.host);
            o.port = (int) a.number("port", o.port);
            o.connections = (int) a.number("connections", o.connections);
            o.intervalMillis = a.number("interval-ms", o.intervalMillis);
            o.durationMillis = a.number("duration-ms", o.durationMillis);
            o.recordSize = (int) a.number("record-size", o.recordSize);
            o.connectRate = a.number("connect-rate", o.connectRate);
            o.reconnectDelayMillis = a.number("reconnect-delay-ms", o.reconnectDelayMillis);
            o.maxBackoffMillis = a.number("max-backoff-ms", o.maxBackoffMillis);
            o.report = a.path("report");
            o.firstId = (int) a.number("first-id", o.firstId);
            o.validate();
            return o;
        }

        void validate() {
            require(port > 0 && port < 65536, "--port must be 1..65535");
            require(connections > 0, "--connections must be positive");
            require(intervalMillis > 0, "--interval-ms must be positive");
            require(durationMillis > 0, "--duration-ms must be positive");
            require(recordSize > 0 && recordSize <= 65536, "--record-size must be 1..65536");
            require(connectRate >= 0, "--connect-rate must not be negative");
            require(reconnectDelayMillis >= 0 && maxBackoffMillis >= reconnectDelayMillis,
                    "--reconnect-delay-ms must be >= 0 and <= --max-backoff-ms");
            require(firstId >= 0, "--first-id must not be negative");
        }

        private static void require(boolean ok, String message) {
            if (!ok) {
                throw new IllegalArgumentException(message);
            }
        }
    }

    /** CONNECTING: handshake in progress; WAITING: before the first connect or between a break and the next try. */
    private enum State { WAITING, CONNECTING, OPEN, DONE }

    private static final class Conn {
        final int id;
        final long firstSendOffsetNanos;
        SocketChannel channel;
        SelectionKey key;
        State state = State.WAITING;
        long connectAtNanos;
        long nextSendNanos;
        long backoffMillis;
        long seq;
        long recordsSent;
        long recordsWritten;
        long abandoned;
        long bytesSent;
        int connects;
        int connectFailures;
        int breaks;
        long firstConnectedAtMillis = -1;
        long firstBreakAtMillis = -1;
        long reconnectedAtMillis = -1;
        long lastBreakAtMillis = -1;
        final List<Integer> ports = new ArrayList<>(2);
        String firstError = "";
        ByteBuffer pending;

        Conn(int id, long firstSendOffsetNanos) {
            this.id = id;
            this.firstSendOffsetNanos = firstSendOffsetNanos;
        }
    }

    private final Options options;
    private final List<Conn> conns = new ArrayList<>();
    private final Selector selector;
    private final ByteBuffer scratch = ByteBuffer.allocate(64 * 1024);
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean stopRequested;
    private long startNanos;
    private long startedAtMillis;

    private ReconnectingPushClient(Options options) throws IOException {
        this.options = options;
        this.selector = Selector.open();
    }

    /**
     * Runs the client until its duration has passed or it is stopped.
     *
     * @param options what to run
     * @throws IOException when the selector fails
     */
    public static void run(Options options) throws IOException {
        new ReconnectingPushClient(options).loop();
    }

    private void loop() throws IOException {
        startNanos = System.nanoTime();
        startedAtMillis = System.currentTimeMillis();
        long interval = options.intervalMillis * MS;
        for (int i = 0; i < options.connections; i++) {
            Conn c = new Conn(options.firstId + i, interval * i / options.connections);
            c.connectAtNanos = startNanos + (options.connectRate == 0 ? 0 : i * 1_000_000_000L / options.connectRate);
            c.backoffMillis = options.reconnectDelayMillis;
            conns.add(c);
        }
        Thread hook = new Thread(() -> {
            stopRequested = true;
            selector.wakeup();
            try {
                finished.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "reconnecting-client-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        System.out.println(STARTED);
        System.out.flush();
        long end = startNanos + options.durationMillis * MS;
        long nextReport = startNanos + 1000 * MS;
        try {
            while (!stopRequested) {
                long now = System.nanoTime();
                if (now - end >= 0) {
                    break;
                }
                for (Conn c : conns) {
                    if (c.state == State.WAITING && now - c.connectAtNanos >= 0) {
                        connect(c);
                    } else if (c.state == State.OPEN && now - c.nextSendNanos >= 0) {
                        sendTick(c, now);
                    }
                }
                if (now - nextReport >= 0) {
                    writeReport(false);
                    nextReport = now + 1000 * MS;
                }
                long next = Math.min(end, nextReport);
                for (Conn c : conns) {
                    if (c.state == State.WAITING) {
                        next = earlier(next, c.connectAtNanos);
                    } else if (c.state == State.OPEN) {
                        next = earlier(next, c.nextSendNanos);
                    }
                }
                long waitMillis = Math.max(1, (next - System.nanoTime() + MS - 1) / MS);
                selector.select(waitMillis);
                for (SelectionKey key : selector.selectedKeys()) {
                    Conn c = (Conn) key.attachment();
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isConnectable()) {
                        finishConnect(c);
                    } else {
                        if (key.isReadable()) {
                            read(c);
                        }
                        if (c.state == State.OPEN && key.isValid() && key.isWritable()) {
                            flush(c);
                        }
                    }
                }
                selector.selectedKeys().clear();
            }
            for (Conn c : conns) {
                if (c.channel != null) {
                    closeQuietly(c.channel);
                }
                c.state = State.DONE;
            }
            writeReport(true);
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // shutting down: the hook is running and waits for us
            }
        }
    }

    private static long earlier(long a, long b) {
        return b - a < 0 ? b : a;
    }

    private void connect(Conn c) {
        try {
            SocketChannel ch = SocketChannel.open();
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            c.channel = ch;
            c.state = State.CONNECTING;
            if (ch.connect(new InetSocketAddress(options.host, options.port))) {
                c.key = ch.register(selector, SelectionKey.OP_READ, c);
                connected(c);
            } else {
                c.key = ch.register(selector, SelectionKey.OP_CONNECT, c);
            }
        } catch (IOException e) {
            connectFailed(c, e);
        }
    }

    private void finishConnect(Conn c) {
        try {
            if (c.channel.finishConnect()) {
                c.key.interestOps(SelectionKey.OP_READ);
                connected(c);
            }
        } catch (IOException e) {
            connectFailed(c, e);
        }
    }

    private void connected(Conn c) throws IOException {
        long nowMillis = System.currentTimeMillis();
        c.state = State.OPEN;
        c.connects++;
        c.backoffMillis = options.reconnectDelayMillis;
        c.ports.add(((InetSocketAddress) c.channel.getLocalAddress()).getPort());
        if (c.firstConnectedAtMillis < 0) {
            c.firstConnectedAtMillis = nowMillis;
        }
        if (c.breaks > 0 && c.reconnectedAtMillis < 0) {
            c.reconnectedAtMillis = nowMillis;
        }
        long interval = options.intervalMillis * MS;
        long now = System.nanoTime();
        // the staggered schedule of this connection: the first tick at or after now
        long slot = startNanos + c.firstSendOffsetNanos;
        if (now - slot > 0) {
            slot += ((now - slot + interval - 1) / interval) * interval;
        }
        c.nextSendNanos = slot;
    }

    private void connectFailed(Conn c, IOException e) {
        c.connectFailures++;
        if (c.firstError.isEmpty()) {
            c.firstError = "connect: " + describe(e);
        }
        closeQuietly(c.channel);
        c.channel = null;
        c.key = null;
        c.state = State.WAITING;
        c.connectAtNanos = System.nanoTime() + c.backoffMillis * MS;
        c.backoffMillis = Math.min(options.maxBackoffMillis, Math.max(1, c.backoffMillis * 2));
    }

    private void broken(Conn c, String why) {
        long nowMillis = System.currentTimeMillis();
        c.breaks++;
        if (c.firstBreakAtMillis < 0) {
            c.firstBreakAtMillis = nowMillis;
        }
        c.lastBreakAtMillis = nowMillis;
        if (c.firstError.isEmpty()) {
            c.firstError = why;
        }
        if (c.pending != null) {
            // the application gave up on the record it was writing; it is lost with the connection
            c.abandoned++;
            c.pending = null;
        }
        closeQuietly(c.channel);
        c.channel = null;
        c.key = null;
        c.state = State.WAITING;
        c.connectAtNanos = System.nanoTime() + options.reconnectDelayMillis * MS;
    }

    private void sendTick(Conn c, long now) {
        long interval = options.intervalMillis * MS;
        while (now - c.nextSendNanos >= 0) {
            c.nextSendNanos += interval;
        }
        if (c.pending != null) {
            return; // the previous record is still being written: skip this tick, as PushClient does
        }
        long seq = ++c.seq;
        ByteBuffer buffer = ByteBuffer.allocate(RecordFormat.encodedLength(c.id, seq, options.recordSize));
        RecordFormat.encode(buffer, c.id, seq, options.recordSize);
        buffer.flip();
        c.pending = buffer;
        flush(c);
    }

    private void flush(Conn c) {
        ByteBuffer buffer = c.pending;
        if (buffer == null) {
            c.key.interestOps(SelectionKey.OP_READ);
            return;
        }
        try {
            c.bytesSent += c.channel.write(buffer);
        } catch (IOException e) {
            broken(c, "write: " + describe(e));
            return;
        }
        if (buffer.hasRemaining()) {
            c.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        } else {
            c.pending = null;
            c.recordsSent = c.seq;
            c.recordsWritten++;
            c.key.interestOps(SelectionKey.OP_READ);
        }
    }

    private void read(Conn c) {
        try {
            while (true) {
                scratch.clear();
                int n = c.channel.read(scratch);
                if (n < 0) {
                    broken(c, "the server closed the connection");
                    return;
                }
                if (n == 0) {
                    return;
                }
            }
        } catch (IOException e) {
            broken(c, "read: " + describe(e));
        }
    }

    private static String describe(IOException e) {
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    private static void closeQuietly(SocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                // closing a broken socket: nothing left to save
            }
        }
    }

    private synchronized void writeReport(boolean finalReport) {
        if (options.report == null) {
            return;
        }
        Map<String, String> header = new LinkedHashMap<>();
        header.put("target", options.host + ":" + options.port);
        header.put("connections", Integer.toString(options.connections));
        header.put("interval_ms", Long.toString(options.intervalMillis));
        ReportTable.putTimes(header, startedAtMillis, finalReport);
        List<List<String>> rows = new ArrayList<>();
        for (Conn c : conns) {
            StringBuilder ports = new StringBuilder();
            for (int port : c.ports) {
                ports.append(ports.length() == 0 ? "" : "+").append(port);
            }
            rows.add(List.of(Integer.toString(c.id), c.state.name(), Long.toString(c.recordsSent), Long.toString(c.recordsWritten),
                    Long.toString(c.abandoned), Long.toString(c.bytesSent), Integer.toString(c.connects),
                    Integer.toString(c.connectFailures), Integer.toString(c.breaks), Long.toString(c.firstConnectedAtMillis),
                    Long.toString(c.firstBreakAtMillis), Long.toString(c.reconnectedAtMillis), Long.toString(c.lastBreakAtMillis),
                    ports.toString(), c.firstError));
        }
        try {
            ReportTable.write(options.report, ReconnectingClientReport.TYPE, header, ReconnectingClientReport.COLUMNS, rows);
        } catch (IOException e) {
            System.err.println("cannot write the report " + options.report + ": " + e.getMessage());
        }
    }

    /**
     * Runs the client; exit code 0 after the run, 2 on bad arguments.
     *
     * @param args see {@link Options#parse}
     */
    public static void main(String[] args) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            PrintStream err = System.err;
            err.println("ReconnectingPushClient: " + e.getMessage());
            System.exit(2);
            return;
        }
        try {
            run(options);
        } catch (IOException e) {
            System.err.println("ReconnectingPushClient: " + e);
            System.exit(1);
        }
        System.exit(0);
    }
}
