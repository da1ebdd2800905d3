package org.migware.capture.ring.internal;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.migware.api.packet.CaptureStatistics;
import org.migware.api.packet.PacketSource;
import org.migware.api.testing.TestNamespace;
import org.migware.capture.pcap4j.internal.Pcap4jPacketSource;
import org.migware.capture.shared.internal.CaptureSettings;

/**
 * The highest packet rate each live backend captures with less than 0.1 % loss on a veth, in the
 * same run: a benchmark, not a test (CONVENTIONS 14), so a main class that surefire does not run.
 * Needs root.
 *
 * <p>For each rate, pcap4j and then the ring capture the root end of a veth pair with the
 * production settings (16 MiB, BPF filter, direction IN; the ring in blocks of 256 KiB retired
 * after 1 ms) while the namespace's end sends frames paced to that rate, through a packet socket
 * (the ring's sender: one {@code sendto} a frame, faster than pcap_sendpacket). The baseline is the
 * kernel's count of frames that arrived at the captured interface ({@code rx_packets}); the
 * result is the share of them delivered to the listener, with the capture thread's CPU time per
 * frame. A rate the sender could not reach is marked: the capture is not what limited it.
 *
 * <pre>
 * mvn -B -o -q -pl bundles/capture-ring -am test-compile -DskipTests
 * mvn -B -o -q -pl bundles/capture-ring dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
 * java -cp bundles/capture-ring/target/test-classes:bundles/capture-ring/target/classes:$(cat bundles/capture-ring/target/bench.classpath) \
 *     org.migware.capture.ring.internal.CaptureRateBench [seconds=3] [frameBytes=100] [rates=50000,100000,200000,400000,800000]
 * </pre>
 */
public final class CaptureRateBench {

    private static final String SERVICE = "10.77.0.2";
    private static final int PORT = 7000;
    private static final int MARKER_PORT = 65000;
    private static final double LOSS_LIMIT_PERCENT = 0.1;

    private CaptureRateBench() {
    }

    /** One backend at one rate. */
    private record Run(String backend, int rate, double achievedRate, long arrived, long delivered, long kernelDrops,
                       double cpuNanosPerFrame) {
        double lossPercent() {
            return arrived == 0 ? 0 : 100.0 * (arrived - delivered) / arrived;
        }

        boolean senderLimited() {
            return achievedRate < rate * 0.98;
        }
    }

    /**
     * @param args seconds per run, frame size in bytes, comma-separated rates
     * @throws Exception when the lab cannot be built
     */
    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int frameBytes = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        String rateList = args.length > 2 ? args[2] : "50000,100000,200000,400000,800000";
        if (!TestNamespace.available()) {
            System.err.println("needs root and iproute2");
            System.exit(2);
        }
        List<Run> runs = new ArrayList<>();
        Map<String, String> latencies = new LinkedHashMap<>();
        try (TestNamespace lab = RingLiveCaptureTest.veth()) {
            // the sender: a ring socket in the namespace whose filter takes nothing in
            CaptureSettings quiet = new CaptureSettings(lab.namespaceEnd(), 256, 1 << 20, CaptureSettings.Direction.IN,
                    "less 1", List.of(SERVICE), List.of(PORT));
            try (RingPacketSource wire = lab.inNamespace(() -> RingPacketSource.open(quiet, new RingGeometry(65536, 16, 1)))) {
                byte[][] frames = new byte[256][];
                for (int i = 0; i < frames.length; i++) {
                    frames[i] = RingLiveCaptureTest.tcp("10.77.0.10", SERVICE, 40000 + i, PORT, Math.max(0, frameBytes - 54));
                }
                for (String backend : List.of("pcap4j", "ring")) {
                    latencies.put(backend, latency(backend, lab, wire.sender(), frames[0], seconds));
                }
                for (String rateText : rateList.split(",")) {
                    int rate = Integer.parseInt(rateText.trim());
                    for (String backend : List.of("pcap4j", "ring")) {
                        CaptureSettings settings = new CaptureSettings(lab.rootEnd(), 65535, 16 << 20, CaptureSettings.Direction.IN,
                                RingLiveCaptureTest.settings(lab.rootEnd(), 65535).filter(), List.of(SERVICE), List.of(PORT));
                        PacketSource source = backend.equals("ring")
                                ? RingPacketSource.open(settings, new RingGeometry(256 * 1024, 64, 1))
                                : Pcap4jPacketSource.open(settings);
                        try {
                            runs.add(run(backend, source, wire.sender(), lab, frames, rate, seconds));
                        } finally {
                            ((AutoCloseable) source).close();
                        }
                        Run last = runs.get(runs.size() - 1);
                        System.out.printf("%-6s %,9d/s target, %,9.0f/s sent%s: arrived %,d, delivered %,d, loss %.3f %%,"
                                        + " kernel drops %,d, %.0f ns CPU a frame on the capture thread%n",
                                last.backend(), last.rate(), last.achievedRate(), last.senderLimited() ? " (sender-limited)" : "",
                                last.arrived(), last.delivered(), last.lossPercent(), last.kernelDrops(), last.cpuNanosPerFrame());
                    }
                }
            }
        }
        latencies.forEach((backend, line) -> System.out.println(line));
        Map<String, Integer> best = new LinkedHashMap<>();
        for (Run r : runs) {
            if (r.lossPercent() < LOSS_LIMIT_PERCENT) {
                best.merge(r.backend(), (int) Math.round(r.achievedRate()), Math::max);
            }
        }
        System.out.printf("highest rate with < %.1f %% loss: pcap4j %,d/s, ring %,d/s; ratio ring/pcap4j %.2f%s%n",
                LOSS_LIMIT_PERCENT, best.getOrDefault("pcap4j", 0), best.getOrDefault("ring", 0),
                best.getOrDefault("ring", 0) / (double) Math.max(1, best.getOrDefault("pcap4j", 0)),
                runs.stream().filter(r -> r.backend().equals("ring") && r.lossPercent() < LOSS_LIMIT_PERCENT).anyMatch(Run::senderLimited)
                        ? " (the ring's figure is a lower bound: the sender limited it)" : "");
    }

    private static Run run(String backend, PacketSource source, RingPacketSender wire, TestNamespace lab, byte[][] frames,
                           int rate, int seconds) throws Exception {
        AtomicLong delivered = new AtomicLong();
        CountDownLatch marker = new CountDownLatch(1);
        AtomicLong captureThread = new AtomicLong(-1);
        source.subscribe((frame, offset, length, ts) -> {
            if (captureThread.getPlain() < 0) {
                captureThread.setRelease(Thread.currentThread().getId());
            }
            delivered.setRelease(delivered.getPlain() + 1);
            if (RingLiveCaptureTest.port(frame, offset + 34) == MARKER_PORT) {
                marker.countDown();
            }
        });
        if (source instanceof RingPacketSource ring) {
            ring.start();
        } else {
            ((Pcap4jPacketSource) source).start();
        }
        Thread.sleep(200);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long total = (long) rate * seconds;
        long rxBefore = rxPackets(lab.rootEnd());
        long cpuBefore = -1;
        long start = System.nanoTime();
        for (long i = 0; i < total; i++) {
            long due = start + i * 1_000_000_000L / rate;
            while (System.nanoTime() < due) {
                Thread.onSpinWait();
            }
            byte[] frame = frames[(int) (i & 255)];
            wire.send(frame, 0, frame.length);
            if (cpuBefore < 0 && captureThread.get() >= 0) {
                cpuBefore = threads.getThreadCpuTime(captureThread.get());
            }
        }
        double achieved = total / ((System.nanoTime() - start) / 1e9);
        byte[] last = RingLiveCaptureTest.marker();
        wire.send(last, 0, last.length);
        marker.await(30, TimeUnit.SECONDS);
        long arrived = rxPackets(lab.rootEnd()) - rxBefore;
        long cpuAfter = captureThread.get() >= 0 ? threads.getThreadCpuTime(captureThread.get()) : -1;
        CaptureStatistics statistics = source.statistics();
        long got = delivered.get();
        double cpuPerFrame = cpuBefore >= 0 && cpuAfter >= 0 && got > 0 ? (cpuAfter - cpuBefore) / (double) got : Double.NaN;
        return new Run(backend, rate, achieved, arrived, got, statistics.droppedByKernel(), cpuPerFrame);
    }

    /**
     * Frame arrival (the kernel's timestamp) to the listener, at 1,000 frames/s, where a frame in
     * the ring's block waits for the block's timeout: p50, p99 and max. Both clocks are the
     * realtime clock read in nanoseconds ({@link java.time.Instant#now()} has microseconds here).
     */
    private static String latency(String backend, TestNamespace lab, RingPacketSender wire, byte[] frame, int seconds)
            throws Exception {
        CaptureSettings settings = RingLiveCaptureTest.settings(lab.rootEnd(), 65535);
        PacketSource source = backend.equals("ring")
                ? RingPacketSource.open(settings, new RingGeometry(256 * 1024, 16, 1))
                : Pcap4jPacketSource.open(settings);
        int count = 1000 * seconds;
        long[] micros = new long[count + 1];
        AtomicLong seen = new AtomicLong();
        try {
            source.subscribe((bytes, offset, length, ts) -> {
                java.time.Instant now = java.time.Instant.now();
                long nowNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
                int at = (int) seen.getPlain();
                if (at < micros.length) {
                    micros[at] = (nowNanos - ts) / 1000;
                }
                seen.setRelease(at + 1);
            });
            if (source instanceof RingPacketSource ring) {
                ring.start();
            } else {
                ((Pcap4jPacketSource) source).start();
            }
            Thread.sleep(200);
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                long due = start + i * 1_000_000L;
                while (System.nanoTime() < due) {
                    Thread.onSpinWait();
                }
                wire.send(frame, 0, frame.length);
            }
            Thread.sleep(100);
        } finally {
            ((AutoCloseable) source).close();
        }
        int n = (int) Math.min(seen.get(), micros.length);
        long[] sorted = java.util.Arrays.copyOf(micros, n);
        java.util.Arrays.sort(sorted);
        return String.format("%-6s latency at 1,000 frames/s (%,d frames): p50 %d µs, p99 %d µs, max %d µs", backend, n,
                sorted[n / 2], sorted[(int) (n * 0.99)], sorted[n - 1]);
    }

    private static long rxPackets(String interfaceName) throws Exception {
        return Long.parseLong(Files.readString(Path.of("/sys/class/net", interfaceName, "statistics", "rx_packets")).trim());
    }
}
