package org.migware.capture.file.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.migware.capture.file.internal.PcapFileReader.Outcome.END;
import static org.migware.capture.file.internal.PcapFileReader.Outcome.FRAME;
import static org.migware.capture.file.internal.TestFiles.frame;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.math.BigDecimal;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reader and writer against the tools people use: tshark reads what the writer wrote, and the
 * reader reads what tcpdump, editcap and tshark wrote (classic microsecond pcap and pcapng), also
 * from a real capture on the loopback interface. Skipped where a tool is not installed or, for live
 * capture, where the test does not run as root.
 */
class ExternalToolsInteropTest {

    private static final long T0 = 1_700_000_000_123_456_789L;
    private static final int FRAMES = 20;

    @TempDir
    Path dir;

    @Test
    void tsharkReadsWhatTheWriterWrote() throws Exception {
        assumeTrue(installed("tshark"), "tshark is not installed");
        Path file = writeOurs(ByteOrder.BIG_ENDIAN);
        List<String> lines = run("tshark", "-r", file.toString(), "-T", "fields",
                "-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len");
        assertEquals(FRAMES, lines.size(), lines.toString());
        for (int i = 0; i < FRAMES; i++) {
            String[] fields = lines.get(i).split("\t");
            BigDecimal expected = BigDecimal.valueOf(T0 + i * 1_001L, 9);
            assertEquals(0, expected.compareTo(new BigDecimal(fields[0])), "time of frame " + i + ": " + fields[0]);
            assertEquals(Integer.toString(length(i)), fields[1]);
            assertEquals(Integer.toString(length(i)), fields[2]);
        }
    }

    @Test
    void readsTcpdumpsMicrosecondRewrite() throws Exception {
        assumeTrue(installed("tcpdump"), "tcpdump is not installed");
        Path ours = writeOurs(ByteOrder.BIG_ENDIAN);
        Path theirs = dir.resolve("tcpdump.pcap");
        // tcpdump writes microsecond timestamps in the machine's byte order unless told otherwise
        run("tcpdump", "-Z", "root", "-r", ours.toString(), "-w", theirs.toString());
        try (PcapFileReader reader = PcapFileReader.open(theirs)) {
            assertEquals(ByteOrder.nativeOrder(), reader.byteOrder());
            for (int i = 0; i < FRAMES; i++) {
                assertEquals(FRAME, reader.next());
                long micros = Math.floorDiv(T0 + i * 1_001L, 1000L) * 1000L;
                PcapFileReaderTest.assertFrame(reader, frame(i, length(i)), micros);
            }
            assertEquals(END, reader.next());
        }
    }

    @Test
    void readsEditcapsPcapng() throws Exception {
        assumeTrue(installed("editcap"), "editcap (wireshark-common) is not installed");
        Path ours = writeOurs(ByteOrder.LITTLE_ENDIAN);
        Path theirs = dir.resolve("editcap.pcapng");
        run("editcap", "-F", "pcapng", ours.toString(), theirs.toString());
        try (PcapFileReader reader = PcapFileReader.open(theirs)) {
            assertEquals(PcapFileReader.Format.PCAPNG, reader.format());
            for (int i = 0; i < FRAMES; i++) {
                assertEquals(FRAME, reader.next());
                PcapFileReaderTest.assertFrame(reader, frame(i, length(i)), T0 + i * 1_001L);
            }
            assertEquals(END, reader.next());
        }
    }

    @Test
    @Timeout(60)
    void readsALiveLoopbackCaptureByTcpdump() throws Exception {
        assumeTrue(installed("tcpdump"), "tcpdump is not installed");
        assumeTrue(isRoot(), "live capture needs root");
        Path file = dir.resolve("lo.pcap");
        int port = freeUdpPort();
        captureLoopback(List.of("tcpdump", "-Z", "root", "-i", "lo", "-U", "-c", "5", "-w", file.toString(),
                "udp and dst port " + port), "listening on", port, 5);
        assertLoopbackUdp(file, PcapFileReader.Format.PCAP, port, 5);
    }

    @Test
    @Timeout(90)
    void readsALiveLoopbackCaptureByTsharkInPcapng() throws Exception {
        assumeTrue(installed("tshark"), "tshark is not installed");
        assumeTrue(isRoot(), "live capture needs root");
        Path file = dir.resolve("lo.pcapng");
        int port = freeUdpPort();
        captureLoopback(List.of("tshark", "-i", "lo", "-c", "5", "-F", "pcapng", "-w", file.toString(),
                "-f", "udp and dst port " + port), "Capturing on", port, 5);
        assertLoopbackUdp(file, PcapFileReader.Format.PCAPNG, port, 5);
    }

    // ------------------------------------------------------------------ helpers

    /** Starts the capture tool, waits until it says it listens, sends datagrams, waits for it to stop. */
    private void captureLoopback(List<String> command, String readyLine, int port, int count) throws Exception {
        Process capture = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            CountDownLatch ready = new CountDownLatch(1);
            StringBuilder stderr = new StringBuilder();
            Thread reader = new Thread(() -> {
                try (BufferedReader lines = new BufferedReader(
                        new InputStreamReader(capture.getErrorStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = lines.readLine()) != null; ) {
                        synchronized (stderr) {
                            stderr.append(line).append('\n');
                        }
                        if (line.contains(readyLine)) {
                            ready.countDown();
                        }
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
            });
            reader.start();
            assertTrue(ready.await(30, TimeUnit.SECONDS), () -> command.get(0) + " did not start: " + stderr);
            // "listening" is printed when the tool is about to capture, not always once it does (tshark's
            // dumpcap child): so keep sending until it has its count and exits, instead of guessing a delay.
            try (DatagramSocket socket = new DatagramSocket()) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                for (int i = 0; capture.isAlive() && System.nanoTime() < deadline; i++) {
                    byte[] payload = ("migware " + i).getBytes(StandardCharsets.US_ASCII);
                    socket.send(new DatagramPacket(payload, payload.length, InetAddress.getLoopbackAddress(), port));
                    capture.waitFor(i < count ? 1 : 100, TimeUnit.MILLISECONDS);
                }
            }
            assertTrue(capture.waitFor(5, TimeUnit.SECONDS), () -> command.get(0) + " did not stop: " + stderr);
            reader.join(5000);
            assertEquals(0, capture.exitValue(), () -> command.get(0) + " failed: " + stderr);
        } finally {
            // tshark captures through a dumpcap child, which outlives a killed tshark: end both
            capture.descendants().forEach(ProcessHandle::destroyForcibly);
            capture.destroyForcibly();
        }
    }

    private static void assertLoopbackUdp(Path file, PcapFileReader.Format format, int port, int count) throws Exception {
        long before = System.currentTimeMillis() * 1_000_000L - 120_000_000_000L;
        try (PcapFileReader reader = PcapFileReader.open(file)) {
            assertEquals(format, reader.format());
            for (int i = 0; i < count; i++) {
                assertEquals(FRAME, reader.next(), "frame " + i);
                byte[] bytes = reader.frameArray();
                int at = reader.frameOffset();
                assertEquals(0x0800, ((bytes[at + 12] & 0xFF) << 8) | (bytes[at + 13] & 0xFF), "IPv4 in Ethernet");
                int ipHeaderLength = (bytes[at + 14] & 0x0F) * 4;
                int dstPort = ((bytes[at + 14 + ipHeaderLength + 2] & 0xFF) << 8) | (bytes[at + 14 + ipHeaderLength + 3] & 0xFF);
                assertEquals(port, dstPort);
                assertTrue(reader.timestampNanos() > before, "a recent capture time: " + reader.timestampNanos());
            }
            assertEquals(END, reader.next());
        }
    }

    private Path writeOurs(ByteOrder order) throws IOException {
        Path file = dir.resolve("ours-" + order + ".pcap");
        try (PcapFileWriter writer = new PcapFileWriter(file, order, PcapFileWriter.DEFAULT_SNAPSHOT_LENGTH)) {
            for (int i = 0; i < FRAMES; i++) {
                writer.write(frame(i, length(i)), 0, length(i), T0 + i * 1_001L);
            }
        }
        return file;
    }

    private static int length(int i) {
        return 60 + i * 71;
    }

    private static List<String> run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                lines.add(line);
            }
        }
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
        assertEquals(0, process.exitValue(), String.join(" ", command) + " failed");
        return lines;
    }

    static boolean installed(String tool) {
        for (String directory : System.getenv().getOrDefault("PATH", "/usr/bin:/usr/sbin").split(":")) {
            if (Files.isExecutable(Path.of(directory, tool))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/usr/bin", tool));
    }

    static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .anyMatch(line -> line.matches("Uid:\\s+0\\s.*"));
        } catch (IOException e) {
            return false;
        }
    }

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort(); // nothing listens there once closed: the datagrams are only captured
        }
    }
}
