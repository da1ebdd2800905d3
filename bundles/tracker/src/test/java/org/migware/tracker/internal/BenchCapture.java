package org.migware.tracker.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.migware.capture.file.internal.PcapFileReader;
import org.migware.capture.file.internal.PcapFileWriter;
import org.migware.testing.TcpFrame;

/**
 * The benchmark's capture: {@value TrackerBench#CONNECTIONS} connections to 10.77.0.2:7000,
 * interleaved as a busy mirror port shows them (every connection's handshake, then rounds of
 * a 100-byte client record and the server's ACK across all connections, then the closes), at
 * least {@value TrackerBench#PACKETS} packets in all. Written as a real pcap file, and read
 * back through capture-file's reader so that the benchmark consumes what a capture holds.
 */
final class BenchCapture {

    private BenchCapture() {
    }

    static String writeIfMissing(String file) throws IOException {
        Path path = Path.of(file).toAbsolutePath();
        if (Files.isRegularFile(path)) {
            return path.toString();
        }
        Files.createDirectories(path.getParent());
        try (PcapFileWriter writer = new PcapFileWriter(path)) {
            long time = 1_700_000_000_000_000_000L;
            int connections = TrackerBench.CONNECTIONS;
            long[] clientSeq = new long[connections];
            long[] serverSeq = new long[connections];
            for (int i = 0; i < connections; i++) {
                clientSeq[i] = i * 104_729L;
                serverSeq[i] = i * 7_919L + 1_000_000_000L;
                write(writer, clientFrame(i).seq(clientSeq[i]).flags(0x02).synOptions(1460, 7, true).timestamps(i, 0), time += 1000);
                write(writer, serverFrame(i).seq(serverSeq[i]).ack(clientSeq[i] + 1).flags(0x02).synOptions(1460, 7, true).timestamps(i, i), time += 1000);
                clientSeq[i]++;
                serverSeq[i]++;
                write(writer, clientFrame(i).seq(clientSeq[i]).ack(serverSeq[i]).timestamps(i + 1, i), time += 1000);
            }
            long written = 3L * connections;
            int tsval = 2;
            while (written < TrackerBench.PACKETS - 4L * connections) {
                for (int i = 0; i < connections; i++) {
                    write(writer, clientFrame(i).seq(clientSeq[i]).ack(serverSeq[i]).flags(0x08).payload(100).timestamps(tsval, tsval), time += 1000);
                    clientSeq[i] += 100;
                    write(writer, serverFrame(i).seq(serverSeq[i]).ack(clientSeq[i]).timestamps(tsval, tsval), time += 1000);
                }
                written += 2L * connections;
                tsval++;
            }
            for (int i = 0; i < connections; i++) {
                write(writer, clientFrame(i).seq(clientSeq[i]).ack(serverSeq[i]).flags(0x01), time += 1000);
                write(writer, serverFrame(i).seq(serverSeq[i]).ack(clientSeq[i] + 1), time += 1000);
                write(writer, serverFrame(i).seq(serverSeq[i]).ack(clientSeq[i] + 1).flags(0x01), time += 1000);
                write(writer, clientFrame(i).seq(clientSeq[i] + 1).ack(serverSeq[i] + 1), time += 1000);
            }
        }
        return path.toString();
    }

    private static TcpFrame clientFrame(int connection) {
        return TcpFrame.fromClient(1024 + connection);
    }

    private static TcpFrame serverFrame(int connection) {
        return TcpFrame.fromServer(1024 + connection);
    }

    private static void write(PcapFileWriter writer, TcpFrame frame, long time) throws IOException {
        byte[] bytes = frame.build();
        writer.write(bytes, 0, bytes.length, time);
    }

    /** Reads every frame of the capture into memory, so that disk speed is not measured. */
    static List<byte[]> frames(String file) throws Exception {
        List<byte[]> frames = new ArrayList<>(TrackerBench.PACKETS + 16);
        try (PcapFileReader reader = PcapFileReader.open(Path.of(file))) {
            while (reader.next() == PcapFileReader.Outcome.FRAME) {
                byte[] copy = new byte[reader.capturedLength()];
                System.arraycopy(reader.frameArray(), reader.frameOffset(), copy, 0, copy.length);
                frames.add(copy);
            }
        }
        if (frames.size() < TrackerBench.PACKETS) {
            throw new IllegalStateException(file + " holds " + frames.size() + " frames, fewer than " + TrackerBench.PACKETS);
        }
        return frames;
    }
}
