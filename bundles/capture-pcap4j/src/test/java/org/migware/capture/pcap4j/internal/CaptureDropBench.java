package org.migware.capture.pcap4j.internal;

import static org.migware.capture.pcap4j.internal.TestFrames.CLIENT_MAC;
import static org.migware.capture.pcap4j.internal.TestFrames.PRIMARY_MAC;
import static org.migware.capture.pcap4j.internal.TestFrames.srcPort;
import static org.migware.capture.pcap4j.internal.TestFrames.tcp;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.migware.api.connection.ServiceEndpoints;
import org.migware.api.packet.CaptureStatistics;
import org.migware.api.testing.TestNamespace;
import org.migware.capture.shared.internal.CaptureSettings;

/**
 * How many frames the live capture loses at a paced rate: a benchmark, not a test (CONVENTIONS 14),
 * so it is a main class that surefire does not run. Needs root.
 *
 * <p>Frames go from the namespace end of the live capture test's veth pair
 * ({@link Pcap4jLiveCaptureTest#veth()}), paced to the requested rate, and are captured on the
 * root end with the production settings (16 MiB buffer, immediate mode, BPF filter, direction IN).
 * The baseline is the kernel's own count of frames that arrived at the captured interface
 * ({@code rx_packets}), measured in the same run; the result is the ratio of frames delivered to
 * the listener against it, with libpcap's kernel drop counter beside it.
 *
 * <pre>
 * cd /work/main
 * mvn -B -q -pl bundles/capture-pcap4j test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
 * java -cp bundles/capture-pcap4j/target/test-classes:bundles/capture-pcap4j/target/classes:$(cat bundles/capture-pcap4j/target/bench.classpath) \
 *     org.migware.capture.pcap4j.internal.CaptureDropBench [framesPerSecond=100000] [seconds=5] [frameBytes=100]
 * </pre>
 */
public final class CaptureDropBench {

    private static final String SERVICE = "10.77.0.2";
    private static final int PORT = 7000;
    private static final int MARKER_PORT = 65000;

    private CaptureDropBench() {
    }

    /**
     * @param args frames per second, seconds, frame size in bytes
     * @throws Exception when the lab cannot be built
     */
    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"); // pcap4j is chatty at INFO
        int rate = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int frameBytes = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        if (!TestNamespace.available()) {
            System.err.println("needs root and iproute2");
            System.exit(2);
        }
        try (TestNamespace lab = Pcap4jLiveCaptureTest.veth()) {
            CaptureSettings settings = Pcap4jCaptureComponent.validate(ServiceEndpoints.parse(new String[] {SERVICE}, new int[] {PORT}),
                    CaptureConfigs.capture(Map.of("interfaceName", lab.rootEnd())), Pcap4jFilters.HOST);
            try (Pcap4jPacketSource source = Pcap4jPacketSource.open(settings);
                 Pcap4jPacketSender wire = lab.inNamespace(() -> Pcap4jPacketSender.open(lab.namespaceEnd()))) {
                AtomicLong delivered = new AtomicLong();
                CountDownLatch marker = new CountDownLatch(1);
                source.subscribe((frame, offset, length, ts) -> {
                    delivered.setRelease(delivered.getPlain() + 1); // one writer: the capture thread
                    if (srcPort(frame, offset) == MARKER_PORT) {
                        marker.countDown();
                    }
                });
                source.start();

                byte[][] frames = new byte[256][];
                for (int i = 0; i < frames.length; i++) {
                    frames[i] = tcp(PRIMARY_MAC, CLIENT_MAC, "10.77.0.10", SERVICE, 40000 + i, PORT,
                            new byte[Math.max(0, frameBytes - 54)]);
                }
                long total = (long) rate * seconds;
                long rxBefore = rxPackets(lab.rootEnd());
                long start = System.nanoTime();
                long sendFailures = 0;
                for (long i = 0; i < total; i++) {
                    long due = start + i * 1_000_000_000L / rate;
                    while (System.nanoTime() < due) {
                        Thread.onSpinWait(); // pacing: a sleep is far too coarse at 10 µs a frame
                    }
                    byte[] frame = frames[(int) (i & 255)];
                    try {
                        wire.send(frame, 0, frame.length);
                    } catch (java.io.IOException e) {
                        sendFailures++;
                    }
                }
                double sendSeconds = (System.nanoTime() - start) / 1e9;
                byte[] last = tcp(PRIMARY_MAC, CLIENT_MAC, "10.77.0.10", SERVICE, MARKER_PORT, PORT, new byte[0]);
                wire.send(last, 0, last.length);
                boolean complete = marker.await(30, TimeUnit.SECONDS);
                long arrived = rxPackets(lab.rootEnd()) - rxBefore;
                CaptureStatistics statistics = source.statistics();
                long got = delivered.get();

                System.out.printf("sent          %,d frames of %d bytes in %.2f s = %,.0f frames/s (target %,d/s), %d refused%n",
                        total + 1, frameBytes, sendSeconds, total / sendSeconds, rate, sendFailures);
                System.out.printf("arrived       %,d frames (kernel rx_packets of %s): the baseline%n", arrived, lab.rootEnd());
                System.out.printf("delivered     %,d frames to the listener%s%n", got, complete ? "" : " (the last frame never came)");
                System.out.printf("libpcap       received %,d, kernel drops %,d, interface drops %,d, dropped by us %s%n",
                        statistics.received(), statistics.droppedByKernel(), statistics.droppedByInterface(), statistics.droppedByUs());
                System.out.printf("captured      %.4f of the baseline; loss %.3f %%%n",
                        got / (double) arrived, 100.0 * (arrived - got) / arrived);
            }
        }
    }

    private static long rxPackets(String interfaceName) throws Exception {
        return Long.parseLong(Files.readString(Path.of("/sys/class/net", interfaceName, "statistics", "rx_packets")).trim());
    }
}
