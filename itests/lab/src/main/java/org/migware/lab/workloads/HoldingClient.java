package org.migware.lab.workloads;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import org.migware.lab.Args;

/**
 * N long-lived client connections that each send exactly K bytes, in stages, and then stay open
 * without sending: the load of a memory measurement, where what every connection has sent must be
 * known at the instant of the measurement (a timed workload would keep moving it).
 *
 * <p>It opens the connections, prints {@code stage 0 sent 0}, and for each stage's total K
 * (ascending) waits for the file {@code <go>/stage-<i>}, writes what each connection still lacks and
 * prints {@code stage <i> sent <K>}. After the last stage it holds the
 * connections until it is ended (SIGTERM). The bytes are 64-byte ASCII lines, so nothing takes
 * them for a TLS or SSH greeting. Writes are paced to {@code --rate} bytes a second in total.
 *
 * <pre>
 * java -cp lab.jar org.migware.lab.workloads.HoldingClient --host 10.77.0.2 --port 7000 --connections 1000 \
 *      --stages 1024,16384,262144 --rate 16777216 --go DIR
 * </pre>
 */
public final class HoldingClient {

    /** What it prints after each stage, followed by the stage's number, " sent " and its total per connection. */
    public static final String STAGE = "stage ";

    private static final int LINE = 64;

    private HoldingClient() {
    }

    /** @return the file whose existence starts stage {@code stage} */
    public static Path trigger(Path go, int stage) {
        return go.resolve("stage-" + stage);
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        Args a = Args.parse(args, Set.of(), Set.of("host", "port", "connections", "stages", "rate", "go", "connect-rate"));
        String host = a.string("host", "127.0.0.1");
        int port = (int) a.number("port", 7000);
        int connections = (int) a.number("connections", 100);
        long[] stages = Arrays.stream(a.string("stages", "1024").split(",")).map(String::trim).mapToLong(Long::parseLong).toArray();
        long rate = a.number("rate", 16L << 20);
        long connectRate = a.number("connect-rate", 1000);
        Path go = a.path("go");

        List<SocketChannel> open = new ArrayList<>();
        long started = System.nanoTime();
        for (int i = 0; i < connections; i++) {
            pace(started, i, connectRate);
            SocketChannel channel = SocketChannel.open(new InetSocketAddress(host, port));
            channel.socket().setTcpNoDelay(true);
            open.add(channel);
        }
        System.out.println(STAGE + "0 sent 0");
        ByteBuffer pattern = pattern();
        long sent = 0;
        for (int stage = 1; stage <= stages.length; stage++) {
            while (!Files.exists(trigger(go, stage))) {
                Thread.sleep(50);
            }
            long target = stages[stage - 1];
            long begun = System.nanoTime();
            long written = 0;
            for (SocketChannel channel : open) {
                for (long left = target - sent; left > 0; ) {
                    ByteBuffer chunk = pattern.duplicate();
                    chunk.limit((int) Math.min(chunk.capacity(), left));
                    while (chunk.hasRemaining()) {
                        int n = channel.write(chunk);
                        left -= n;
                        written += n;
                    }
                    pace(begun, written, rate);
                }
            }
            sent = target;
            System.out.println(STAGE + stage + " sent " + sent);
        }
        // Hold every connection open (and keep its kept stream in MigWare) until ended.
        Thread.sleep(Long.MAX_VALUE);
    }

    /** Sleeps until {@code done} units at {@code perSecond} are due since {@code begun}. */
    private static void pace(long begun, long done, long perSecond) throws InterruptedException {
        long due = begun + done * 1_000_000_000L / Math.max(1, perSecond);
        long wait = due - System.nanoTime();
        if (wait > 1_000_000) {
            Thread.sleep(wait / 1_000_000);
        }
    }

    /** @return 64 KiB of 64-byte lines of printable ASCII */
    private static ByteBuffer pattern() {
        byte[] bytes = new byte[64 * 1024];
        byte[] line = ("k" + "0123456789abcdefghijklmnopqrstuvwxyz".repeat(2)).substring(0, LINE - 1).concat("\n")
                .getBytes(StandardCharsets.US_ASCII);
        for (int at = 0; at < bytes.length; at += LINE) {
            System.arraycopy(line, 0, bytes, at, LINE);
        }
        return ByteBuffer.wrap(bytes).asReadOnlyBuffer();
    }
}
