package org.migware.lab.workloads;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
 * The bulk workload's client: one connection that writes the {@link BulkStream} from offset 0 as
 * fast as the socket takes it (or at a capped rate), for a duration, then closes it normally, so
 * the kernel still delivers everything the socket accepted and then sends FIN.
 *
 * <p>What it reports ({@link BulkSenderReport}): the bytes the socket accepted (the number a
 * receiver's last offset must reach), the error of a reset or failure, and a timeline of the
 * bytes accepted so far, sampled every {@code --sample-ms}, from which throughput before and
 * after a failover is computed.
 *
 * <pre>
 * java -cp lab.jar org.migware.lab.workloads.BulkSender --host 10.77.0.2 --port 7000 --duration-ms 20000 \
 *      --report bulk-client.tsv [--rate-mbps 0] [--sample-ms 100]
 * </pre>
 *
 * Exit code: 0 when the connection lasted the whole duration, 1 when it failed, 2 on bad arguments.
 */
public final class BulkSender {

    /** Printed to standard output once connected. */
    public static final String STARTED = "bulk sender connected";

    private static final int WRITE_BYTES = 256 * 1024;

    /** The sender's settings; {@link #toArgs()} and {@link #parse} convert to and from a command line. */
    public static final class Options {
        private String host = "127.0.0.1";
        private int port = 5000;
        private long durationMillis = 10_000;
        private long rateMbps;
        private long sampleMillis = 100;
        private Path report;

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
         * @param millis how long to write before closing (default 10,000)
         * @return this
         */
        public Options durationMillis(long millis) {
            this.durationMillis = millis;
            return this;
        }

        /**
         * @param mbps cap in megabits per second; 0 = as fast as the socket takes it (default)
         * @return this
         */
        public Options rateMbps(long mbps) {
            this.rateMbps = mbps;
            return this;
        }

        /**
         * @param millis how often to sample the bytes written for the timeline (default 100)
         * @return this
         */
        public Options sampleMillis(long millis) {
            this.sampleMillis = millis;
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

        /** @return the command line that {@link #parse} turns back into these options */
        public List<String> toArgs() {
            List<String> args = new ArrayList<>(List.of("--host", host, "--port", Integer.toString(port),
                    "--duration-ms", Long.toString(durationMillis), "--rate-mbps", Long.toString(rateMbps),
                    "--sample-ms", Long.toString(sampleMillis)));
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
            Args a = Args.parse(args, Set.of(), Set.of("host", "port", "duration-ms", "rate-mbps", "sample-ms", "report"));
            Options o = new Options();
            o.host = a.string("host", o.host);
            o.port = (int) a.number("port", o.port);
            o.durationMillis = a.number("duration-ms", o.durationMillis);
            o.rateMbps = a.number("rate-mbps", o.rateMbps);
            o.sampleMillis = a.number("sample-ms", o.sampleMillis);
            o.report = a.path("report");
            o.validate();
            return o;
        }

        void validate() {
            if (port <= 0 || port > 65535) {
                throw new IllegalArgumentException("--port must be 1..65535");
            }
            if (durationMillis <= 0 || sampleMillis <= 0 || rateMbps < 0) {
                throw new IllegalArgumentException("--duration-ms and --sample-ms must be positive, --rate-mbps not negative");
            }
        }

        static String usage() {
            return "usage: BulkSender --host ADDR --port PORT [--duration-ms 10000] [--rate-mbps 0] [--sample-ms 100]\n"
                    + "         [--report FILE]";
        }
    }

    private final Options options;
    private final CountDownLatch finished = new CountDownLatch(1);
    private final List<long[]> timeline = new ArrayList<>();
    private volatile boolean stopRequested;
    private volatile Selector selector;
    private long startMillis;
    private long bytesWritten;
    private String state = "CONNECTING";
    private String error = "";
    private String localAddress = "";

    /**
     * @param options the settings; validated here
     * @throws IllegalArgumentException on invalid settings
     */
    public BulkSender(Options options) {
        options.validate();
        this.options = options;
    }

    /**
     * Connects, writes for the duration (or until {@link #stop()}), closes, writes the report.
     *
     * @return 0 when the connection lasted, 1 when it failed
     * @throws IOException when the report cannot be written
     */
    public int run() throws IOException {
        startMillis = System.currentTimeMillis();
        long start = System.nanoTime();
        long end = start + options.durationMillis * 1_000_000L;
        long sampleNanos = options.sampleMillis * 1_000_000L;
        long nextSample = start;
        // Bytes per nanosecond for a capped rate: bits/s / 8 / 1e9.
        double bytesPerNano = options.rateMbps * 1_000_000.0 / 8 / 1e9;
        ByteBuffer buffer = ByteBuffer.allocateDirect(WRITE_BYTES);
        buffer.limit(0);
        SocketChannel channel = null;
        try (Selector s = Selector.open()) {
            selector = s;
            channel = SocketChannel.open();
            channel.connect(new InetSocketAddress(options.host, options.port));
            channel.configureBlocking(false);
            localAddress = channel.getLocalAddress().toString();
            SelectionKey key = channel.register(s, SelectionKey.OP_WRITE);
            state = "OPEN";
            System.out.println(STARTED + " " + localAddress + " -> " + options.host + ":" + options.port);
            System.out.flush();
            while (!stopRequested) {
                long now = System.nanoTime();
                if (now - nextSample >= 0) {
                    timeline.add(new long[] {(now - start) / 1_000_000, bytesWritten});
                    nextSample += sampleNanos;
                    if (timeline.size() % 10 == 0) {
                        writeReport(false);
                    }
                }
                if (now - end >= 0) {
                    break;
                }
                long allowed = options.rateMbps == 0 ? Long.MAX_VALUE : (long) ((now - start) * bytesPerNano) - bytesWritten;
                if (!buffer.hasRemaining() && allowed > 0) {
                    buffer.clear();
                    buffer.limit((int) Math.min(WRITE_BYTES, allowed));
                    BulkStream.fill(buffer, bytesWritten);
                    buffer.flip();
                }
                int n = buffer.hasRemaining() ? channel.write(buffer) : 0;
                bytesWritten += n;
                if (n == 0) {
                    // Socket full: wait for room, but never past the next sample. Rate cap reached: 1 ms.
                    long wait = buffer.hasRemaining() ? (Math.min(nextSample, end) - System.nanoTime()) / 1_000_000 : 1;
                    key.interestOps(buffer.hasRemaining() ? SelectionKey.OP_WRITE : 0);
                    s.select(Math.max(1, wait));
                    s.selectedKeys().clear();
                }
            }
            state = "DONE";
        } catch (IOException | RuntimeException e) {
            state = "FAILED";
            String message = e.getMessage();
            error = e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
        } finally {
            // Plain close: the kernel delivers what the socket accepted, then sends FIN.
            if (channel != null) {
                Commands.closeQuietly(channel);
            }
            timeline.add(new long[] {(System.nanoTime() - start) / 1_000_000, bytesWritten});
            writeReport(true);
            finished.countDown();
        }
        return state.equals("DONE") ? 0 : 1;
    }

    /** Asks {@link #run()} to end early: it closes the connection and writes the final report. */
    public void stop() {
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
        return ToolMain.await(finished, timeout);
    }

    private void writeReport(boolean last) throws IOException {
        if (options.report == null) {
            return;
        }
        List<List<String>> rows = new ArrayList<>(timeline.size());
        for (long[] sample : timeline) {
            rows.add(List.of(Long.toString(sample[0]), Long.toString(sample[1])));
        }
        Map<String, String> header = new LinkedHashMap<>();
        header.put("target", options.host + ":" + options.port);
        header.put("local", localAddress);
        header.put("state", state);
        header.put("bytes_written", Long.toString(bytesWritten));
        ReportTable.putTimes(header, startMillis, last);
        header.put("error", error);
        ReportTable.write(options.report, BulkSenderReport.TYPE, header, BulkSenderReport.COLUMNS, rows);
    }

    /**
     * Runs the sender from the command line (see the class description). SIGTERM ends it early,
     * with the final report written.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        Options options = ToolMain.options(args, Options.usage(), Options::parse);
        if (options == null) {
            return;
        }
        BulkSender sender = new BulkSender(options);
        ToolMain.stopOnShutdown("bulk sender", sender::stop, sender::awaitFinished);
        int code = ToolMain.run("bulk sender", sender::run);
        System.out.println("bulk sender ended (" + sender.state + "), " + sender.bytesWritten + " bytes written"
                + (sender.error.isEmpty() ? "" : ", " + sender.error));
        System.out.flush();
        System.exit(code);
    }
}
