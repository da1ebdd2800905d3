package org.migware.lab.workloads;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import org.migware.lab.Args;
import org.migware.lab.Commands;
import org.migware.lab.ToolMain;

/**
 * What the lab's servers ({@link SinkServer}, {@link BulkReceiver}) share: one thread and one
 * {@link Selector} that accept every connection and read it, a report rewritten every report
 * interval and once more on exit ({@link #stop()} or SIGTERM), and the same command-line sequence.
 * A server says what it keeps per connection, what it does with the bytes it reads, and what its
 * report holds.
 *
 * @param <C> what the server keeps per connection
 */
abstract class SelectorServer<C extends SelectorServer.Connection> {

    /** How a connection ended; OPEN while it lasts. The reports write these names. */
    enum State { OPEN, EOF, RESET, CLOSED }

    /** What every server keeps of a connection, whatever it checks in the bytes. */
    static class Connection {
        final SocketChannel channel;
        final String remoteIp;
        final int remotePort;
        final long acceptedAtMillis = System.currentTimeMillis();
        State state = State.OPEN;
        String error = "";
        long endedAtMillis = -1;

        Connection(SocketChannel channel, InetSocketAddress remote) {
            this.channel = channel;
            this.remoteIp = remote.getAddress().getHostAddress();
            this.remotePort = remote.getPort();
        }
    }

    /**
     * The settings every server has; {@link #toArgs()} and {@link #read} convert to and from a command line.
     *
     * @param <O> the server's own options
     */
    abstract static class Options<O extends Options<O>> {
        /** The command-line options every server takes. */
        static final Set<String> VALUES = Set.of("bind", "port", "report", "report-interval-ms");

        String bind = "0.0.0.0";
        int port = 5000;
        Path report;
        long reportIntervalMillis = 1000;

        abstract O self();

        /**
         * @param address the address to listen on (default all)
         * @return this
         */
        public O bind(String address) {
            this.bind = address;
            return self();
        }

        /**
         * @param port the port to listen on; 0 = any free port (default 5000)
         * @return this
         */
        public O port(int port) {
            this.port = port;
            return self();
        }

        /**
         * @param file where to write the report; null = no report (default)
         * @return this
         */
        public O report(Path file) {
            this.report = file;
            return self();
        }

        /**
         * @param millis how often to rewrite the report (default 1000)
         * @return this
         */
        public O reportIntervalMillis(long millis) {
            this.reportIntervalMillis = millis;
            return self();
        }

        /** @return the report file, or null */
        public Path report() {
            return report;
        }

        /** @return the command line that the server's {@code parse} turns back into these options */
        public List<String> toArgs() {
            List<String> args = new ArrayList<>(List.of("--bind", bind, "--port", Integer.toString(port),
                    "--report-interval-ms", Long.toString(reportIntervalMillis)));
            if (report != null) {
                args.addAll(List.of("--report", report.toString()));
            }
            return args;
        }

        /** Takes the options every server has from a parsed command line. */
        void read(Args a) {
            bind = a.string("bind", bind);
            port = (int) a.number("port", port);
            report = a.path("report");
            reportIntervalMillis = a.number("report-interval-ms", reportIntervalMillis);
        }

        void validate() {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("--port must be 0..65535");
            }
            if (reportIntervalMillis <= 0) {
                throw new IllegalArgumentException("--report-interval-ms must be positive");
            }
        }
    }

    /** Opens a server from its options; a server that cannot bind throws. */
    @FunctionalInterface
    interface Opener<O, S> {
        S open(O options) throws IOException;
    }

    private final Options<?> options;
    private final Selector selector;
    private final ServerSocketChannel server;
    private final InetSocketAddress localAddress;
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean stopRequested;
    /** Every connection accepted, in order; the report has one row for each. */
    final List<C> conns = new ArrayList<>();
    final long startMillis = System.currentTimeMillis();
    /** Connections still open. */
    int open;

    /**
     * Binds and listens.
     *
     * @throws IllegalArgumentException on invalid options
     *
     * @param backlog the listen backlog; 0 = the JDK's default
     */
    SelectorServer(Options<?> options, int backlog) throws IOException {
        options.validate();
        this.options = options;
        this.selector = Selector.open();
        this.server = ToolMain.listen(selector, options.bind, options.port, backlog);
        this.localAddress = (InetSocketAddress) server.getLocalAddress();
    }

    /** @return what to keep of a connection just accepted */
    abstract C accepted(SocketChannel channel, InetSocketAddress remote);

    /** Reads what the connection has; ends it at the end of the stream. An exception resets it. */
    abstract void readable(C conn, SelectionKey key) throws IOException;

    /** Writes what the connection has queued, for a server that answers. An exception resets it. */
    void writable(C conn, SelectionKey key) throws IOException {
    }

    /** Rewrites the report file (it has one: {@code --report} was given). */
    abstract void writeReport(Path file, boolean last) throws IOException;

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
            report(false);
            while (!stopRequested) {
                long now = System.nanoTime();
                if (now - nextReport >= 0) {
                    report(false);
                    nextReport += reportNanos * Math.max(1, (now - nextReport) / reportNanos + 1);
                }
                long waitMillis = Math.max(1, (nextReport - System.nanoTime() + 999_999) / 1_000_000);
                selector.select(waitMillis);
                handleSelected();
            }
            for (C conn : conns) {
                if (conn.state == State.OPEN) {
                    end(conn, State.CLOSED, "");
                }
            }
            report(true);
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

    private void report(boolean last) throws IOException {
        if (options.report != null) {
            writeReport(options.report, last);
        }
    }

    @SuppressWarnings("unchecked")
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
            C conn = (C) key.attachment();
            try {
                if (key.isReadable()) {
                    readable(conn, key);
                }
                if (key.isValid() && key.isWritable()) {
                    writable(conn, key);
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
                C conn = accepted(channel, (InetSocketAddress) channel.getRemoteAddress());
                channel.register(selector, SelectionKey.OP_READ, conn);
                conns.add(conn);
                open++;
            } catch (IOException e) {
                Commands.closeQuietly(channel);
            }
        }
    }

    /** Ends a connection: how, why, when; closes its socket. */
    void end(C conn, State state, String error) {
        if (conn.state == State.OPEN) {
            open--;
            conn.endedAtMillis = System.currentTimeMillis();
        }
        conn.state = state;
        conn.error = error;
        Commands.closeQuietly(conn.channel);
    }

    /**
     * A server's command line: --help, options, listen (exit 1 if it cannot), the LISTENING line,
     * SIGTERM with the final report, serve until stopped.
     *
     * @param name the server in words, as its messages say it ("sink server")
     * @param listening its LISTENING line's prefix
     */
    static <O extends Options<O>> void main(String[] args, String name, String listening, String usage,
            Function<String[], O> parse, Opener<O, ? extends SelectorServer<?>> opener) {
        O options = ToolMain.options(args, usage, parse);
        if (options == null) {
            return;
        }
        SelectorServer<?> server;
        try {
            server = opener.open(options);
        } catch (IOException e) {
            ToolMain.cannotListen(options.bind, options.port, e);
            return;
        }
        ToolMain.stopOnShutdown(name, server::stop, server::awaitFinished);
        ToolMain.listening(listening, server.localAddress);
        System.exit(ToolMain.run(name, () -> {
            server.run();
            return 0;
        }));
    }
}
