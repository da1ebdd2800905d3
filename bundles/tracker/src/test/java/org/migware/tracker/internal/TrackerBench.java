package org.migware.tracker.internal;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.migware.api.packet.ParsedPacket;
import org.migware.parser.internal.PacketParserComponent;
import org.migware.testing.TcpFrame;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * The NORMAL state's hot path, measured: parser + tracker on one thread over a capture of
 * {@value #PACKETS} packets on {@value #CONNECTIONS} connections, against a baseline that only
 * walks the same frames; then the heap each tracked connection costs. Not a test: run it with
 * {@code mvn -pl bundles/tracker -Pbench verify} (see the README), which prints a Markdown table.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 30)
@Measurement(iterations = 40)
@Fork(value = 3, jvmArgs = {"-Xms2g", "-Xmx2g"})
public class TrackerBench {

    static final int CONNECTIONS = 10_000;
    static final int PACKETS = 1_000_000;
    static final int CACHED_FRAMES = 4_096;

    @Param({""})
    public String pcap;

    private List<byte[]> frames;
    /** The capture's first frames, few enough to stay in the CPU's cache. */
    private byte[][] cachedFrames;
    private ConnectionStore store;
    private ParsedPacket view;

    @Setup(Level.Trial)
    public void loadCapture() throws Exception {
        frames = BenchCapture.frames(pcap);
        view = new PacketParserComponent().newView();
        cachedFrames = frames.subList(0, CACHED_FRAMES).toArray(new byte[0][]);
    }

    @Setup(Level.Iteration)
    public void freshTable() {
        store = new StoreHarness().store;
    }

    /** Baseline: the same frames, read but not parsed: what any consumer pays to walk them. */
    @Benchmark
    public long walkFrames() {
        long sum = 0;
        for (byte[] frame : frames) {
            sum += frame[frame.length - 1] + frame.length;
        }
        return sum;
    }

    @Benchmark
    public void parseOnly(Blackhole hole) {
        for (byte[] frame : frames) {
            hole.consume(view.parse(frame, 0, frame.length));
        }
    }

    /** The parser's own cost, without memory stalls: {@value #CACHED_FRAMES} frames in the cache, parsed and not read. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 1)
    public void parseCached(Blackhole hole) {
        for (byte[] frame : cachedFrames) {
            hole.consume(view.parse(frame, 0, frame.length));
        }
    }

    /** As {@link #parseCached}, and every field the tracker reads is read: the cost of the accessors. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 1)
    public long parseAndReadCached() {
        long sum = 0;
        for (byte[] frame : cachedFrames) {
            view.parse(frame, 0, frame.length);
            sum += view.sourceAddressLow() + view.destinationAddressLow() + view.sourcePort() + view.destinationPort()
                    + view.sequenceNumber() + view.acknowledgementNumber() + view.flags() + view.window()
                    + view.payloadLength() + view.mss() + view.windowScale() + view.timestampValue() + view.timestampEchoReply()
                    + (view.sackPermitted() ? 1 : 0);
        }
        return sum;
    }

    @Benchmark
    public int parseAndTrack() {
        long time = 1_700_000_000_000_000_000L;
        for (byte[] frame : frames) {
            store.accept(view, frame, 0, frame.length, time += 1000);
        }
        return store.size();
    }

    public static void main(String[] args) throws Exception {
        String pcapPath = BenchCapture.writeIfMissing(args.length > 0 ? args[0] : "target/bench-1m.pcap");
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .include(TrackerBench.class.getName())
                .param("pcap", pcapPath)
                .build()).run();
        double walk = 0;
        double parse = 0;
        double track = 0;
        double cachedParse = 0;
        double cachedParseAndRead = 0;
        for (RunResult result : results) {
            double score = result.getPrimaryResult().getScore();
            String name = result.getParams().getBenchmark();
            switch (name.substring(name.lastIndexOf('.') + 1)) {
                case "walkFrames" -> walk = score;
                case "parseOnly" -> parse = score;
                case "parseAndTrack" -> track = score;
                case "parseCached" -> cachedParse = score;
                case "parseAndReadCached" -> cachedParseAndRead = score;
                default -> throw new IllegalStateException("unknown benchmark " + name);
            }
        }
        double bytesPerConnection = heapPerConnection(100_000);
        // What one pass did, so that a faster pass cannot hide frames the tracker refused.
        StoreHarness onePass = new StoreHarness();
        for (byte[] frame : BenchCapture.frames(pcapPath)) {
            onePass.feed(frame);
        }
        System.out.printf(Locale.ROOT, "%none pass: %,d packets tracked; ignored %s%n", onePass.store.statistics().packetsTracked(),
                onePass.store.statistics().packetsIgnored());
        System.out.println();
        System.out.println("| measurement | time per pass (ms) | packets/s | ratio to baseline |");
        System.out.println("|---|---|---|---|");
        row("baseline: walk the frames", walk, walk);
        row("parser only", parse, walk);
        row("parser + tracker", track, walk);
        System.out.printf(Locale.ROOT, "%nthe parser on %,d frames in the CPU's cache: %.1f ns per frame parsed, %.1f ns parsed and every"
                + " field the tracker needs read%n", CACHED_FRAMES, cachedParse * 1000 / CACHED_FRAMES, cachedParseAndRead * 1000 / CACHED_FRAMES);
        System.out.printf(Locale.ROOT, "%nheap per tracked connection (100,000 connections): %.0f bytes%n", bytesPerConnection);
    }

    private static void row(String name, double millis, double baselineMillis) {
        System.out.printf(Locale.ROOT, "| %s | %.1f | %,.0f | %.2fx the baseline's time |%n",
                name, millis, PACKETS / (millis / 1000.0), millis / baselineMillis);
    }

    /** Retained heap of a table holding {@code count} established connections, per connection. */
    static double heapPerConnection(int count) {
        long before = usedHeapAfterGc();
        StoreHarness h = new StoreHarness(count * 2);
        for (int i = 0; i < count; i++) {
            int port = 1024 + i % 60_000;
            // vary the client address so that 100,000 tuples are distinct: 10.77.x.1
            byte[] syn = TcpFrame.fromClient(port).from(TcpFrame.CLIENT_IP | (i / 60_000 + 1) << 8, port).seq(i * 7919L)
                    .flags(0x02).synOptions(1460, 7, true).timestamps(i, 0).build();
            h.feed(syn);
        }
        long after = usedHeapAfterGc();
        if (h.store.size() != count) {
            throw new IllegalStateException("expected " + count + " connections, have " + h.store.size());
        }
        return (after - before) / (double) count;
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 5; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

}
