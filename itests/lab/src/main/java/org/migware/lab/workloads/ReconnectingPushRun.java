package org.migware.lab.workloads;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.migware.lab.ReportTable;
import org.migware.lab.ToolMain;
import org.migware.lab.oracles.RecordFormat;
import org.migware.lab.workloads.PushClient.Options;

/**
 * The push client's reconnect mode ({@link Options#reconnect}), the thesis's push workload as a
 * real client behind a load balancer must run it: N connections, each sending one numbered record
 * ({@link RecordFormat}, the same bytes as the plain mode) every interval, and — unlike the plain
 * mode — when a connection breaks (reset, the peer closed it, a write fails) it reconnects after a short delay and goes
 * on with its next record number. It does not resend: it cannot know what the dead server got,
 * which is exactly what the baseline shows.
 *
 * <p>One thread and one selector drive every connection. Sends are staggered as in
 * the plain mode: connection {@code i} of {@code N} sends at
 * {@code start + i*interval/N + k*interval}. For each connection id the client keeps the highest
 * record number written, the connects, failed connects and breaks, when it first broke and when
 * it was connected again, the local ports it used and the first error; it writes them as a
 * tab-separated report ({@link ReconnectingClientReport}) every second and when it ends.
 *
 * <pre>
 * java -cp lab.jar org.migware.lab.workloads.PushClient --reconnect --host 10.77.0.3 \
 *      --port 7100 --connections 200 --interval-ms 500 --duration-ms 20000 --report client.tsv
 * </pre>
 *
 * Its own defaults: a run of 10 s when no duration is given, 100 ms before a reconnect, at most
 * 2 s between two connect attempts. Exit code 0 after the run, whatever broke on the way.
 */
final class ReconnectingPushRun {

    /** Printed to standard output once the run has started. */
    public static final String STARTED = "reconnecting push client started";

    private static final long MS = 1_000_000L;

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
    private volatile Selector selector;
    private final ByteBuffer scratch = ByteBuffer.allocate(64 * 1024);
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean stopRequested;
    private long startNanos;
    private long startedAtMillis;

    ReconnectingPushRun(Options options) {
        this.options = options;
    }

    /** Asks {@link #run()} to end: it closes every connection, writes the final report and returns. */
    void stop() {
        stopRequested = true;
        Selector s = selector;
        if (s != null) {
            s.wakeup();
        }
    }

    /** @return true when {@link #run()} has ended (and written its final report) */
    boolean awaitFinished(Duration timeout) {
        return ToolMain.await(finished, timeout);
    }

    /**
     * Runs the client until its duration has passed or it is stopped.
     *
     * @return 0: a broken connection is what this mode measures, not a failure
     * @throws IOException when the selector fails
     */
    int run() throws IOException {
        selector = Selector.open();
        startNanos = System.nanoTime();
        startedAtMillis = System.currentTimeMillis();
        long interval = options.intervalMillis * MS;
        for (int i = 0; i < options.connections; i++) {
            Conn c = new Conn(options.firstId + i, interval * i / options.connections);
            c.connectAtNanos = startNanos + (options.connectRate == 0 ? 0 : i * 1_000_000_000L / options.connectRate);
            c.backoffMillis = options.reconnectDelayMillis;
            conns.add(c);
        }
        System.out.println(STARTED);
        System.out.flush();
        long end = startNanos + options.reconnectDurationMillis() * MS;
        long reportNanos = options.reportIntervalMillis * MS;
        long nextReport = startNanos + reportNanos;
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
                    nextReport = now + reportNanos;
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
            return 0;
        } finally {
            finished.countDown();
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
}
