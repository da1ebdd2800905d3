package org.migware.lab.workloads;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.migware.lab.Args;
import org.migware.lab.Commands;
import org.migware.lab.ReportTable;
import org.migware.lab.ToolMain;
import org.migware.lab.oracles.RecordFormat;
import org.migware.lab.oracles.ResponseChecker;
import org.migware.lab.oracles.RttLog;

/**
 * The thesis's push workload (chapter 6): N client connections, each sending one small numbered
 * record every interval (500 ms by default) to a server that only acknowledges.
 *
 * <p>One thread and one {@link Selector} drive all connections, so 10,000 connections cost
 * 10,000 sockets and not 10,000 threads. Connects are paced (a rate and a cap on handshakes in
 * flight), because a burst of thousands of SYNs overflows the server's listen backlog and turns
 * the workload into a SYN-retransmission test. Sends are staggered: connection {@code i} of
 * {@code N} sends at {@code start + i*interval/N + k*interval}, so the load is even rather than a
 * spike every interval.
 *
 * <p>Records follow {@link RecordFormat}. For each connection the client keeps its local port,
 * records and bytes written (what the socket accepted, the number to compare with what the server
 * received), connect time and the exception text of a reset or failure, and writes them as a
 * {@link PushClientReport} every report interval and once more when it ends (end of duration,
 * record count reached, {@link #stop()} or SIGTERM).
 *
 * <p>With {@link Options#readResponses} it is the request/response client: every answer is
 * checked by a {@link ResponseChecker} (its connection's id, the record numbers in order; gaps
 * and wrong answers counted) and the round trip of every correct answer is kept for an
 * {@link RttLog}; at the end of the duration it stops sending and waits up to the linger time
 * for the answers still due. {@link Options#closeWithFin} and {@link Options#closeWithReset}
 * end single connections at a chosen time while the others go on.
 *
 * <pre>
 * java -cp lab.jar org.migware.lab.workloads.PushClient --host 10.77.0.2 --port 5000 --connections 200 \
 *      --interval-ms 500 --duration-ms 60000 --report client.tsv
 * </pre>
 *
 * Exit code: 0 when no connection failed, 1 when some did, 2 on bad arguments.
 */
public final class PushClient {

    /** Printed to standard output once the run has started. */
    public static final String STARTED = "push client started";

    private static final long NANOS_PER_MILLI = 1_000_000L;

    /** The client's settings; {@link #toArgs()} and {@link #parse} convert to and from a command line. */
    public static final class Options {
        // package-private: the reconnect mode (ReconnectingPushRun) reads them too
        String host = "127.0.0.1";
        int port = 5000;
        int connections = 1;
        long intervalMillis = 500;
        long durationMillis;
        private long records;
        int recordSize = 64;
        long connectRate = 1000;
        private int maxPendingConnects = 512;
        Path report;
        long reportIntervalMillis = 1000;
        private boolean readResponses;
        private int responseBytes;
        private long lingerMillis = 2000;
        private String bind;
        private int localPort;
        int firstId;
        private boolean noDelay;
        private Path rttLog;
        private final List<ScheduledClose> closes = new ArrayList<>();
        private boolean reconnect;
        long reconnectDelayMillis = 100;
        long maxBackoffMillis = 2000;

        /**
         * @param host the server's address
         * @return this
         */
        public Options host(String host) {
            this.host = host;
            return this;
        }

        /**
         * @param port the server's port
         * @return this
         */
        public Options port(int port) {
            this.port = port;
            return this;
        }

        /**
         * @param connections how many connections to open (default 1)
         * @return this
         */
        public Options connections(int connections) {
            this.connections = connections;
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
         * @param millis run this long, then close every connection; 0 = until stopped (default)
         * @return this
         */
        public Options durationMillis(long millis) {
            this.durationMillis = millis;
            return this;
        }

        /**
         * @param records close a connection after this many records; 0 = no limit (default)
         * @return this
         */
        public Options records(long records) {
            this.records = records;
            return this;
        }

        /**
         * @param bytes record size including the newline (default 64; minimum is the header)
         * @return this
         */
        public Options recordSize(int bytes) {
            this.recordSize = bytes;
            return this;
        }

        /**
         * @param perSecond connects started per second; 0 = as fast as possible (default 1000)
         * @return this
         */
        public Options connectRate(long perSecond) {
            this.connectRate = perSecond;
            return this;
        }

        /**
         * @param max handshakes in flight at once (default 512)
         * @return this
         */
        public Options maxPendingConnects(int max) {
            this.maxPendingConnects = max;
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
         * @param read read and count response lines, for a request/response server
         * @return this
         */
        public Options readResponses(boolean read) {
            this.readResponses = read;
            return this;
        }

        /**
         * @param bytes with responses, the body each answer carries after its header, checked byte
         *        for byte (the server's {@code --response-bytes}); 0 for the plain answer line
         * @return this
         */
        public Options responseBytes(int bytes) {
            this.responseBytes = bytes;
            return this;
        }

        /**
         * @param millis with responses, how long to wait for the last ones before closing (default 2000)
         * @return this
         */
        public Options lingerMillis(long millis) {
            this.lingerMillis = millis;
            return this;
        }

        /**
         * @param address local address to bind to; null = any (default)
         * @return this
         */
        public Options bind(String address) {
            this.bind = address;
            return this;
        }

        /**
         * @param port the local port of the first connection, the next one port higher, and so on,
         *        with SO_REUSEADDR: another client may use the same ports towards other
         *        addresses; 0 lets the kernel choose (default)
         * @return this
         */
        public Options localPort(int port) {
            this.localPort = port;
            return this;
        }

        /**
         * @param id the id of the first connection, so several clients can use distinct ids (default 0)
         * @return this
         */
        public Options firstId(int id) {
            this.firstId = id;
            return this;
        }

        /**
         * @param noDelay set TCP_NODELAY (default false: Nagle on, as real clients have it)
         * @return this
         */
        public Options noDelay(boolean noDelay) {
            this.noDelay = noDelay;
            return this;
        }

        /**
         * @param file with {@link #readResponses}, where to write one line per correct answer when
         *        the run ends: when its record was sent (epoch ms), its round trip (µs) and the
         *        connection id ({@link RttLog}); null = none (default)
         * @return this
         */
        public Options rttLog(Path file) {
            this.rttLog = file;
            return this;
        }

        /**
         * Closes one connection normally (FIN) at a given time of the run; the others go on.
         *
         * @param id the connection's id
         * @param atMillis when, in ms after the client started
         * @return this
         */
        public Options closeWithFin(int id, long atMillis) {
            closes.add(new ScheduledClose(id, atMillis, false));
            return this;
        }

        /**
         * Resets one connection (SO_LINGER 0, then close: the kernel sends RST and discards what it
         * had not sent) at a given time of the run; the others go on.
         *
         * @param id the connection's id
         * @param atMillis when, in ms after the client started
         * @return this
         */
        public Options closeWithReset(int id, long atMillis) {
            closes.add(new ScheduledClose(id, atMillis, true));
            return this;
        }

        /**
         * @param reconnect the reconnect mode ({@link ReconnectingPushRun}): a connection that breaks
         *        connects again after the reconnect delay and goes on with its next record number, as
         *        a real client behind a load balancer does; the report is a {@link ReconnectingClientReport}.
         *        Without a duration this mode runs 10 s. Not with records, responses or scheduled closes.
         * @return this
         */
        public Options reconnect(boolean reconnect) {
            this.reconnect = reconnect;
            return this;
        }

        /**
         * @param millis reconnect mode: wait after a break before connecting again (default 100);
         *        doubled after each failed connect, up to the maximum backoff
         * @return this
         */
        public Options reconnectDelayMillis(long millis) {
            this.reconnectDelayMillis = millis;
            return this;
        }

        /**
         * @param millis reconnect mode: the longest wait between two connect attempts (default 2000)
         * @return this
         */
        public Options maxBackoffMillis(long millis) {
            this.maxBackoffMillis = millis;
            return this;
        }

        /** @return the reconnect mode's run time: the duration, or its default of 10 s */
        long reconnectDurationMillis() {
            return durationMillis > 0 ? durationMillis : 10_000;
        }

        /** @return the report file, or null */
        public Path report() {
            return report;
        }

        /** @return the round-trip log file, or null */
        public Path rttLog() {
            return rttLog;
        }

        /** @return the command line that {@link #parse} turns back into these options */
        public List<String> toArgs() {
            List<String> args = new ArrayList<>(List.of("--host", host, "--port", Integer.toString(port),
                    "--connections", Integer.toString(connections), "--interval-ms", Long.toString(intervalMillis),
                    "--duration-ms", Long.toString(durationMillis), "--records", Long.toString(records),
                    "--record-size", Integer.toString(recordSize), "--connect-rate", Long.toString(connectRate),
                    "--max-pending-connects", Integer.toString(maxPendingConnects),
                    "--report-interval-ms", Long.toString(reportIntervalMillis),
                    "--linger-ms", Long.toString(lingerMillis), "--first-id", Integer.toString(firstId)));
            if (report != null) {
                args.addAll(List.of("--report", report.toString()));
            }
            if (bind != null) {
                args.addAll(List.of("--bind", bind));
            }
            if (localPort > 0) {
                args.addAll(List.of("--local-port", Integer.toString(localPort)));
            }
            if (readResponses) {
                args.add("--read-responses");
            }
            if (responseBytes > 0) {
                args.addAll(List.of("--response-bytes", Integer.toString(responseBytes)));
            }
            if (noDelay) {
                args.add("--nodelay");
            }
            if (rttLog != null) {
                args.addAll(List.of("--rtt-log", rttLog.toString()));
            }
            String fin = ScheduledClose.join(closes, false);
            if (!fin.isEmpty()) {
                args.addAll(List.of("--close-fin", fin));
            }
            String rst = ScheduledClose.join(closes, true);
            if (!rst.isEmpty()) {
                args.addAll(List.of("--close-rst", rst));
            }
            if (reconnect) {
                args.addAll(List.of("--reconnect", "--reconnect-delay-ms", Long.toString(reconnectDelayMillis),
                        "--max-backoff-ms", Long.toString(maxBackoffMillis)));
            }
            return args;
        }

        /**
         * @param args a command line
         * @return the options it gives
         * @throws IllegalArgumentException on unknown options or bad values
         */
        public static Options parse(String... args) {
            Args a = Args.parse(args, Set.of("read-responses", "nodelay", "reconnect"),
                    Set.of("host", "port", "connections", "count", "interval-ms", "duration-ms", "duration-s", "records",
                            "record-size", "connect-rate", "max-pending-connects", "report", "report-interval-ms",
                            "linger-ms", "bind", "local-port", "first-id", "rtt-log", "close-fin", "close-rst", "reconnect-delay-ms",
                            "max-backoff-ms", "response-bytes"));
            Options o = new Options();
            o.host = a.string("host", o.host);
            o.port = (int) a.number("port", o.port);
            o.connections = (int) a.number("connections", a.number("count", o.connections));
            o.intervalMillis = a.number("interval-ms", o.intervalMillis);
            o.durationMillis = a.number("duration-ms", a.number("duration-s", 0) * 1000);
            o.records = a.number("records", o.records);
            o.recordSize = (int) a.number("record-size", o.recordSize);
            o.connectRate = a.number("connect-rate", o.connectRate);
            o.maxPendingConnects = (int) a.number("max-pending-connects", o.maxPendingConnects);
            o.report = a.path("report");
            o.reportIntervalMillis = a.number("report-interval-ms", o.reportIntervalMillis);
            o.readResponses = a.flag("read-responses");
            o.responseBytes = (int) a.number("response-bytes", 0);
            o.lingerMillis = a.number("linger-ms", o.lingerMillis);
            o.bind = a.string("bind", null);
            o.localPort = (int) a.number("local-port", 0);
            o.firstId = (int) a.number("first-id", o.firstId);
            o.noDelay = a.flag("nodelay");
            o.rttLog = a.path("rtt-log");
            o.closes.addAll(ScheduledClose.parse(a.string("close-fin", ""), false));
            o.closes.addAll(ScheduledClose.parse(a.string("close-rst", ""), true));
            o.reconnect = a.flag("reconnect");
            o.reconnectDelayMillis = a.number("reconnect-delay-ms", o.reconnectDelayMillis);
            o.maxBackoffMillis = a.number("max-backoff-ms", o.maxBackoffMillis);
            o.validate();
            return o;
        }

        void validate() {
            require(port > 0 && port < 65536, "--port must be 1..65535");
            require(connections > 0, "--connections must be positive");
            require(intervalMillis > 0, "--interval-ms must be positive");
            require(durationMillis >= 0 && records >= 0, "--duration-ms and --records must not be negative");
            if (reconnect) {
                // the reconnect mode's own limits, as the baseline's client always had them
                require(recordSize > 0 && recordSize <= 65536, "--record-size must be 1..65536");
                require(reconnectDelayMillis >= 0 && maxBackoffMillis >= reconnectDelayMillis,
                        "--reconnect-delay-ms must be >= 0 and <= --max-backoff-ms");
                require(records == 0 && !readResponses && closes.isEmpty(),
                        "--reconnect does not combine with --records, --read-responses, --close-fin or --close-rst");
            } else {
                require(recordSize > 0 && recordSize <= 1 << 20, "--record-size must be 1..1048576");
            }
            require(connectRate >= 0, "--connect-rate must not be negative");
            require(responseBytes >= 0 && responseBytes <= ResponseChecker.MAX_BODY,
                    "--response-bytes must be 0.." + ResponseChecker.MAX_BODY);
            require(maxPendingConnects > 0, "--max-pending-connects must be positive");
            require(reportIntervalMillis > 0, "--report-interval-ms must be positive");
            require(firstId >= 0, "--first-id must not be negative");
            require(localPort == 0 || (localPort > 0 && localPort + connections <= 65536),
                    "--local-port must be 1..65535 for every connection, or 0");
            require(localPort == 0 || !reconnect, "--local-port does not combine with --reconnect");
            for (ScheduledClose close : closes) {
                require(close.id() >= firstId && close.id() < firstId + connections && close.atMillis() >= 0,
                        "--close-fin/--close-rst: no connection " + close.id() + " (ids " + firstId + ".."
                                + (firstId + connections - 1) + "), or a negative time");
            }
        }

        private static void require(boolean condition, String message) {
            if (!condition) {
                throw new IllegalArgumentException(message);
            }
        }

        static String usage() {
            return "usage: PushClient --host ADDR --port PORT [--connections N] [--interval-ms 500]\n"
                    + "         [--duration-ms MS | --duration-s S] [--records N] [--record-size 64]\n"
                    + "         [--connect-rate 1000] [--max-pending-connects 512] [--report FILE]\n"
                    + "         [--report-interval-ms 1000] [--read-responses] [--linger-ms 2000]\n"
                    + "         [--bind ADDR] [--local-port P] [--first-id 0] [--nodelay] [--rtt-log FILE]\n"
                    + "         [--close-fin ID@MS[,ID@MS...]] [--close-rst ID@MS[,ID@MS...]]\n"
                    + "         [--reconnect [--reconnect-delay-ms 100] [--max-backoff-ms 2000]]";
        }
    }

    /**
     * One connection to close on purpose during the run.
     *
     * @param id the connection's id
     * @param atMillis when, in ms after the client started
     * @param reset true: RST (SO_LINGER 0); false: FIN
     */
    record ScheduledClose(int id, long atMillis, boolean reset) {

        static String join(List<ScheduledClose> closes, boolean reset) {
            StringBuilder text = new StringBuilder();
            for (ScheduledClose c : closes) {
                if (c.reset == reset) {
                    text.append(text.length() == 0 ? "" : ",").append(c.id).append('@').append(c.atMillis);
                }
            }
            return text.toString();
        }

        static List<ScheduledClose> parse(String text, boolean reset) {
            List<ScheduledClose> closes = new ArrayList<>();
            for (String item : text.split(",")) {
                if (item.isBlank()) {
                    continue;
                }
                int at = item.indexOf('@');
                try {
                    closes.add(new ScheduledClose(Integer.parseInt(item.substring(0, at).trim()),
                            Long.parseLong(item.substring(at + 1).trim()), reset));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("--close-" + (reset ? "rst" : "fin") + " takes ID@MS[,ID@MS...]: " + text);
                }
            }
            return closes;
        }
    }

    /** CLOSED: closed on purpose during the run ({@link Options#closeWithFin}, {@link Options#closeWithReset}). */
    private enum State { CONNECTING, OPEN, DONE, FAILED, PEER_CLOSED, CLOSED }

    /** Send times kept per connection for round trips: answers come in order, so a ring of the latest suffices. */
    private static final int SEND_TIMES = 1024;

    private static final class Conn {
        final int index;
        final int id;
        SocketChannel channel;
        SelectionKey key;
        State state = State.CONNECTING;
        String localIp = "";
        int localPort = -1;
        long connectStartNanos;
        long connectMicros = -1;
        long connectedAtMillis = -1;
        long nextSendNanos;
        long seqGenerated;
        long recordsSent;
        long bytesSent;
        long stalls;
        long responses;
        long bytesReceived;
        long lingerDeadlineNanos;
        ByteBuffer pending;
        String error = "";
        final ResponseChecker answers;
        final long[] sendNanos;
        long closedAtMillis = -1;
        String closeKind = "";

        Conn(int index, int id, boolean readResponses, int responseBytes) {
            this.index = index;
            this.id = id;
            this.answers = readResponses ? new ResponseChecker(id, responseBytes) : null;
            this.sendNanos = readResponses ? new long[SEND_TIMES] : null;
        }

        boolean terminal() {
            return state == State.DONE || state == State.FAILED || state == State.PEER_CLOSED || state == State.CLOSED;
        }

        /** @return true when every record written completely has had its answer (or was skipped by a gap) */
        boolean answered() {
            return answers == null || answers.lastSeq() >= recordsSent;
        }

        boolean sendingFinished(long recordLimit) {
            return recordLimit > 0 && recordsSent >= recordLimit;
        }
    }

    private final Options options;
    private final Conn[] conns;
    private final PriorityQueue<Conn> sendQueue = new PriorityQueue<>(Comparator.comparingLong(c -> c.nextSendNanos));
    private final CountDownLatch finished = new CountDownLatch(1);
    private final ByteBuffer scratch;
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(64 * 1024);
    private volatile boolean stopRequested;
    private Selector selector;
    private long startNanos;
    private long startMillis;
    private int opened;
    private int pendingConnects;
    private int terminalCount;
    private final List<Conn> lingering = new ArrayList<>();
    private final List<ScheduledClose> closes;
    private final RttLog rtts = new RttLog();
    private String endReason = "running";
    /** The reconnect mode's run, or null in the plain mode. */
    private final ReconnectingPushRun reconnecting;

    /**
     * @param options the settings; validated here
     * @throws IllegalArgumentException on invalid settings
     */
    public PushClient(Options options) {
        options.validate();
        this.options = options;
        this.reconnecting = options.reconnect ? new ReconnectingPushRun(options) : null;
        this.conns = new Conn[options.connections];
        this.scratch = ByteBuffer.allocate(RecordFormat.encodedLength(Integer.MAX_VALUE, Long.MAX_VALUE, options.recordSize));
        this.closes = new ArrayList<>(options.closes);
        this.closes.sort(Comparator.comparingLong(ScheduledClose::atMillis));
    }

    /**
     * Runs the workload on the calling thread until the duration ends, every connection is done
     * or failed, or {@link #stop()} is called; then closes the connections and writes the final
     * report.
     *
     * @return 0 when no connection failed, else 1; in the reconnect mode always 0
     * @throws IOException when the selector cannot be opened or the report cannot be written
     */
    public int run() throws IOException {
        if (reconnecting != null) {
            return reconnecting.run();
        }
        try {
            selector = Selector.open();
            startNanos = System.nanoTime();
            startMillis = System.currentTimeMillis();
            long intervalNanos = options.intervalMillis * NANOS_PER_MILLI;
            long reportNanos = options.reportIntervalMillis * NANOS_PER_MILLI;
            long endNanos = options.durationMillis > 0 ? startNanos + options.durationMillis * NANOS_PER_MILLI : Long.MAX_VALUE;
            long nextReport = startNanos + reportNanos;
            writeReport(false);
            System.out.println(STARTED + ": " + options.connections + " connections to " + options.host + ":" + options.port);
            System.out.flush();
            // At the end of the duration, a request/response client stops sending and waits (up to
            // the linger time) for the answers to what it sent, so the last records count too.
            boolean draining = false;
            long drainDeadline = Long.MAX_VALUE;
            while (true) {
                long now = System.nanoTime();
                if (stopRequested) {
                    endReason = "stopped";
                    break;
                }
                if (now - endNanos >= 0) {
                    if (!draining && options.readResponses && options.lingerMillis > 0) {
                        draining = true;
                        drainDeadline = now + options.lingerMillis * NANOS_PER_MILLI;
                    }
                    if (!draining || now - drainDeadline >= 0 || allAnswered()) {
                        endReason = "duration";
                        break;
                    }
                }
                if (!draining) {
                    openDueConnections(now);
                    sendDueRecords(now, intervalNanos);
                }
                closeScheduled(now);
                closeLingering(now);
                if (now - nextReport >= 0) {
                    writeReport(false);
                    nextReport += reportNanos * Math.max(1, (now - nextReport) / reportNanos + 1);
                }
                if (opened == conns.length && terminalCount == conns.length) {
                    endReason = "complete";
                    break;
                }
                long wakeAt = Math.min(nextReport, draining ? drainDeadline : endNanos);
                if (!closes.isEmpty()) {
                    wakeAt = Math.min(wakeAt, startNanos + closes.get(0).atMillis() * NANOS_PER_MILLI);
                }
                if (!draining && !sendQueue.isEmpty()) {
                    wakeAt = Math.min(wakeAt, sendQueue.peek().nextSendNanos);
                }
                if (opened < conns.length && pendingConnects < options.maxPendingConnects) {
                    wakeAt = Math.min(wakeAt, connectDueNanos(opened));
                }
                long waitMillis = Math.max(1, (wakeAt - System.nanoTime() + NANOS_PER_MILLI - 1) / NANOS_PER_MILLI);
                selector.select(waitMillis);
                handleSelected();
            }
            closeAll();
            writeReport(true);
            if (options.rttLog != null) {
                rtts.write(options.rttLog);
            }
            return failedCount() == 0 ? 0 : 1;
        } finally {
            try {
                if (selector != null) {
                    selector.close();
                }
            } finally {
                finished.countDown();
            }
        }
    }

    /** Asks {@link #run()} to end: it closes the connections, writes the final report and returns. */
    public void stop() {
        if (reconnecting != null) {
            reconnecting.stop();
            return;
        }
        stopRequested = true;
        Selector s = selector;
        if (s != null) {
            try {
                s.wakeup();
            } catch (ClosedSelectorException e) {
                // already ended
            }
        }
    }

    /**
     * @param timeout how long to wait
     * @return true when {@link #run()} has ended (and written its final report)
     */
    public boolean awaitFinished(Duration timeout) {
        if (reconnecting != null) {
            return reconnecting.awaitFinished(timeout);
        }
        return ToolMain.await(finished, timeout);
    }

    private long connectDueNanos(int index) {
        return options.connectRate == 0 ? startNanos : startNanos + index * 1_000_000_000L / options.connectRate;
    }

    private void openDueConnections(long now) {
        while (opened < conns.length && pendingConnects < options.maxPendingConnects && now - connectDueNanos(opened) >= 0) {
            Conn conn = new Conn(opened, options.firstId + opened, options.readResponses, options.responseBytes);
            conns[opened++] = conn;
            startConnect(conn, now);
        }
    }

    private void startConnect(Conn conn, long now) {
        conn.connectStartNanos = now;
        pendingConnects++;
        try {
            SocketChannel channel = SocketChannel.open();
            conn.channel = channel;
            channel.configureBlocking(false);
            if (options.noDelay) {
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            if (options.localPort > 0) {
                // SO_REUSEADDR on every socket of the port: Linux then lets sockets of other
                // clients bind it too, as long as none listens and their 4-tuples differ
                channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                channel.bind(new InetSocketAddress(options.bind == null ? "0.0.0.0" : options.bind,
                        options.localPort + conn.index));
            } else if (options.bind != null) {
                channel.bind(new InetSocketAddress(options.bind, 0));
            }
            boolean connected = channel.connect(new InetSocketAddress(options.host, options.port));
            recordLocalAddress(conn);
            conn.key = channel.register(selector, SelectionKey.OP_CONNECT, conn);
            if (connected) {
                finishConnect(conn);
            }
        } catch (IOException | RuntimeException e) {
            fail(conn, e);
        }
    }

    private void recordLocalAddress(Conn conn) throws IOException {
        if (conn.channel.getLocalAddress() instanceof InetSocketAddress local) {
            conn.localIp = local.getAddress().getHostAddress();
            conn.localPort = local.getPort();
        }
    }

    private void finishConnect(Conn conn) throws IOException {
        if (!conn.channel.finishConnect()) {
            return;
        }
        pendingConnects--;
        long now = System.nanoTime();
        conn.connectMicros = (now - conn.connectStartNanos) / 1000;
        conn.connectedAtMillis = System.currentTimeMillis();
        conn.state = State.OPEN;
        recordLocalAddress(conn);
        conn.key.interestOps(SelectionKey.OP_READ);
        // First send at this connection's phase of the global schedule, not at connect time, so
        // the load stays spread over the interval however the connects were paced.
        long intervalNanos = options.intervalMillis * NANOS_PER_MILLI;
        long phase = (long) conn.index * intervalNanos / conns.length;
        long first = startNanos + phase;
        if (now - first > 0) {
            first += ((now - first + intervalNanos - 1) / intervalNanos) * intervalNanos;
        }
        conn.nextSendNanos = first;
        sendQueue.add(conn);
    }

    private void sendDueRecords(long now, long intervalNanos) {
        while (!sendQueue.isEmpty() && now - sendQueue.peek().nextSendNanos >= 0) {
            Conn conn = sendQueue.poll();
            if (conn.terminal() || conn.sendingFinished(options.records)) {
                continue;
            }
            sendRecord(conn);
            if (conn.terminal()) {
                continue;
            }
            conn.nextSendNanos += intervalNanos;
            if (now - conn.nextSendNanos >= 0) {
                // Far behind (a long GC or a stalled loop): skip the missed ticks rather than burst.
                long behind = (now - conn.nextSendNanos) / intervalNanos + 1;
                conn.nextSendNanos += behind * intervalNanos;
                conn.stalls += behind;
            }
            if (options.records == 0 || conn.seqGenerated < options.records) {
                sendQueue.add(conn);
            }
        }
    }

    private void sendRecord(Conn conn) {
        if (conn.pending != null && conn.pending.hasRemaining()) {
            // The socket has not taken the previous record yet (peer gone or slow): skip this tick.
            conn.stalls++;
            return;
        }
        long seq = ++conn.seqGenerated;
        if (conn.sendNanos != null) {
            conn.sendNanos[(int) (seq % SEND_TIMES)] = System.nanoTime();
        }
        scratch.clear();
        RecordFormat.encode(scratch, conn.id, seq, options.recordSize);
        scratch.flip();
        try {
            conn.bytesSent += conn.channel.write(scratch);
            if (scratch.hasRemaining()) {
                if (conn.pending == null) {
                    conn.pending = ByteBuffer.allocate(scratch.capacity());
                }
                conn.pending.clear();
                conn.pending.put(scratch);
                conn.pending.flip();
                conn.key.interestOps(conn.key.interestOps() | SelectionKey.OP_WRITE);
            } else {
                recordWritten(conn);
            }
        } catch (IOException | RuntimeException e) {
            fail(conn, e);
        }
    }

    private void recordWritten(Conn conn) {
        conn.recordsSent++;
        if (conn.sendingFinished(options.records)) {
            if (options.readResponses && !conn.answered()) {
                // Wait for the answers to the last records before closing, up to the linger time.
                conn.lingerDeadlineNanos = System.nanoTime() + options.lingerMillis * NANOS_PER_MILLI;
                lingering.add(conn);
            } else {
                close(conn);
            }
        }
    }

    private void closeLingering(long now) {
        if (lingering.isEmpty()) {
            return;
        }
        Iterator<Conn> it = lingering.iterator();
        while (it.hasNext()) {
            Conn conn = it.next();
            if (conn.state != State.OPEN) {
                it.remove();
            } else if (conn.answered() || now - conn.lingerDeadlineNanos >= 0) {
                close(conn);
                it.remove();
            }
        }
    }

    private void handleSelected() {
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
            SelectionKey key = it.next();
            it.remove();
            Conn conn = (Conn) key.attachment();
            if (!key.isValid() || conn.terminal()) {
                continue;
            }
            try {
                if (key.isConnectable()) {
                    finishConnect(conn);
                    continue;
                }
                if (key.isReadable()) {
                    read(conn);
                }
                if (key.isValid() && key.isWritable() && !conn.terminal()) {
                    flushPending(conn);
                }
            } catch (IOException | RuntimeException e) {
                fail(conn, e);
            }
        }
    }

    private void read(Conn conn) throws IOException {
        readBuffer.clear();
        int n = conn.channel.read(readBuffer);
        if (n < 0) {
            conn.error = "closed by peer";
            terminate(conn, State.PEER_CLOSED);
            return;
        }
        conn.bytesReceived += n;
        if (options.readResponses) {
            readBuffer.flip();
            long now = System.nanoTime();
            conn.answers.feed(readBuffer, conn.seqGenerated, seq -> answered(conn, seq, now));
            conn.responses = conn.answers.responses();
        }
    }

    private void answered(Conn conn, long seq, long now) {
        if (conn.seqGenerated - seq < SEND_TIMES) {
            long sent = conn.sendNanos[(int) (seq % SEND_TIMES)];
            rtts.add(startMillis + (sent - startNanos) / NANOS_PER_MILLI, (now - sent) / 1000, conn.id);
        }
    }

    private boolean allAnswered() {
        for (int i = 0; i < opened; i++) {
            if (conns[i].state == State.OPEN && !conns[i].answered()) {
                return false;
            }
        }
        return true;
    }

    private void closeScheduled(long now) {
        while (!closes.isEmpty() && now - (startNanos + closes.get(0).atMillis() * NANOS_PER_MILLI) >= 0) {
            ScheduledClose close = closes.remove(0);
            int index = close.id() - options.firstId;
            Conn conn = index < opened ? conns[index] : null;
            if (conn == null || conn.state != State.OPEN) {
                continue;
            }
            if (close.reset()) {
                try {
                    // Linger 0: close() sends RST at once instead of FIN (RFC 793's abort).
                    conn.channel.setOption(StandardSocketOptions.SO_LINGER, 0);
                } catch (IOException e) {
                    conn.error = "cannot set SO_LINGER 0 for the reset: " + e.getMessage();
                }
            }
            conn.closedAtMillis = System.currentTimeMillis();
            conn.closeKind = close.reset() ? "rst" : "fin";
            terminate(conn, State.CLOSED);
        }
    }

    private void flushPending(Conn conn) throws IOException {
        conn.bytesSent += conn.channel.write(conn.pending);
        if (!conn.pending.hasRemaining()) {
            conn.key.interestOps(conn.key.interestOps() & ~SelectionKey.OP_WRITE);
            recordWritten(conn);
        }
    }

    private void fail(Conn conn, Exception e) {
        if (conn.state == State.CONNECTING) {
            pendingConnects--;
        }
        String message = e.getMessage();
        conn.error = e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
        terminate(conn, State.FAILED);
    }

    private void close(Conn conn) {
        terminate(conn, State.DONE);
    }

    private void terminate(Conn conn, State state) {
        if (!conn.terminal()) {
            terminalCount++;
        }
        conn.state = state;
        closeChannel(conn);
    }

    private static void closeChannel(Conn conn) {
        if (conn.channel != null) {
            // Plain close: the kernel still delivers what the socket accepted, then sends FIN.
            Commands.closeQuietly(conn.channel);
        }
    }

    private void closeAll() {
        for (int i = 0; i < opened; i++) {
            Conn conn = conns[i];
            if (conn.state == State.OPEN) {
                close(conn);
            } else if (conn.state == State.CONNECTING) {
                pendingConnects--;
                conn.error = "still connecting when the run ended";
                terminate(conn, State.FAILED);
            }
        }
    }

    private int failedCount() {
        int failed = 0;
        for (int i = 0; i < opened; i++) {
            if (conns[i].state == State.FAILED || conns[i].state == State.PEER_CLOSED) {
                failed++;
            }
        }
        return failed;
    }

    private void writeReport(boolean last) throws IOException {
        if (options.report == null) {
            return;
        }
        long sent = 0;
        long records = 0;
        int open = 0;
        List<List<String>> rows = new ArrayList<>(opened);
        for (int i = 0; i < opened; i++) {
            Conn c = conns[i];
            sent += c.bytesSent;
            records += c.recordsSent;
            if (c.state == State.OPEN) {
                open++;
            }
            rows.add(List.of(Integer.toString(c.id), c.localIp, Integer.toString(c.localPort), c.state.name(),
                    Long.toString(c.recordsSent), Long.toString(c.bytesSent), Long.toString(c.connectMicros),
                    Long.toString(c.connectedAtMillis), Long.toString(c.stalls), Long.toString(c.responses),
                    Long.toString(c.bytesReceived), c.error,
                    Long.toString(c.answers == null ? -1 : c.answers.wrong()),
                    Long.toString(c.answers == null ? -1 : c.answers.gaps()),
                    Long.toString(c.answers == null ? -1 : c.answers.missing()),
                    Long.toString(c.answers == null ? -1 : c.answers.lastGapEnd()),
                    Long.toString(c.answers == null ? -1 : c.answers.firstSeq()),
                    Long.toString(c.answers == null ? -1 : c.answers.lastSeq()),
                    Long.toString(c.closedAtMillis), c.closeKind));
        }
        Map<String, String> header = new LinkedHashMap<>();
        header.put("target", options.host + ":" + options.port);
        header.put("connections", Integer.toString(conns.length));
        header.put("opened", Integer.toString(opened));
        header.put("open", Integer.toString(open));
        header.put("failed", Integer.toString(failedCount()));
        header.put("interval_ms", Long.toString(options.intervalMillis));
        header.put("record_size", Integer.toString(options.recordSize));
        header.put("records_sent", Long.toString(records));
        header.put("bytes_sent", Long.toString(sent));
        ReportTable.putTimes(header, startMillis, last);
        header.put("end", endReason);
        ReportTable.write(options.report, PushClientReport.TYPE, header, PushClientReport.COLUMNS, rows);
    }

    /**
     * Runs the client from the command line (see the class description for the options).
     * SIGTERM ends the run cleanly: the final report is written before the JVM exits.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        Options options = ToolMain.options(args, Options.usage(), Options::parse);
        if (options == null) {
            return;
        }
        PushClient client = new PushClient(options);
        ToolMain.stopOnShutdown("push client", client::stop, client::awaitFinished);
        int code = ToolMain.run("push client", client::run);
        if (client.reconnecting != null) {
            System.exit(code); // the reconnect mode never said more than its STARTED line
            return;
        }
        System.out.println("push client ended (" + client.endReason + "), exit code " + code);
        System.out.flush();
        System.exit(code);
    }
}
