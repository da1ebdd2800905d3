package org.migware.proxy.internal.recorder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.migware.api.failover.FailoverEvent;
import org.migware.api.failover.FailoverState;
import org.migware.testing.TcpFrame;

/**
 * The recording the recorder writes on its own at a failover: every frame from failoverSeconds
 * before to as long after, read back by tshark (the oracle), and nothing for other transitions.
 */
class FailoverRecordingTest {

    @TempDir
    Path folder;

    private static FlightRecorder.Config config(int failoverSeconds) {
        return new FlightRecorder.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return FlightRecorder.Config.class;
            }

            @Override
            public int ringBytes() {
                return 1 << 20;
            }

            @Override
            public int snapLength() {
                return 2048;
            }

            @Override
            public int failoverSeconds() {
                return failoverSeconds;
            }

            @Override
            public String recordingsDir() {
                return "";
            }
        };
    }

    private static void frame(FlightRecorder recorder, int clientPort, long epochNanos) {
        byte[] bytes = TcpFrame.fromClient(clientPort).seq(1).payload(10).build();
        recorder.record(FrameRing.Side.WIRE_CAPTURED, bytes, 0, bytes.length, epochNanos);
    }

    @Test
    void theFramesFromNSecondsBeforeToNAfterAreWrittenAndNoOthers() throws Exception {
        Path recordings = folder.resolve("recordings");
        FlightRecorder recorder = new FlightRecorder(config(2), recordings);
        long at = Instant.parse("2026-12-07T01:00:00Z").getEpochSecond() * 1_000_000_000L;
        long second = TimeUnit.SECONDS.toNanos(1);
        frame(recorder, 40001, at - 3 * second);      // before the window
        frame(recorder, 40002, at - 2 * second);      // its first instant
        frame(recorder, 40003, at - second / 2);
        frame(recorder, 40004, at + second);
        frame(recorder, 40005, at + 2 * second);      // its last instant
        frame(recorder, 40006, at + 2 * second + 1);  // after it
        recorder.recordFailover(at);

        Path file = recordings.resolve("failover-20261207T010000.000Z.pcapng");
        assertTrue(Files.exists(file), "written: " + list(recordings));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(List.of("40002", "40003", "40004", "40005"), tshark(file, "-T", "fields", "-e", "tcp.srcport"));
        recorder.deactivate();
    }

    @Test
    void aFailoverSchedulesItsRecordingAndOtherTransitionsDoNot() throws Exception {
        Path recordings = folder.resolve("recordings");
        FlightRecorder recorder = new FlightRecorder(config(1), recordings);
        Instant past = Instant.now().minusSeconds(5); // its time after has passed already: written at once
        long at = past.getEpochSecond() * 1_000_000_000L + past.getNano();
        frame(recorder, 40010, at);
        recorder.stateChanged(new FailoverEvent(FailoverState.RECOVERY, FailoverState.PROXY, past, "recovered"));
        recorder.stateChanged(new FailoverEvent(FailoverState.NORMAL, FailoverState.RECOVERY, past, "primary DOWN"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (list(recordings).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        List<Path> files = list(recordings);
        assertEquals(1, files.size(), "one recording, for NORMAL -> RECOVERY only: " + files);
        Thread.sleep(200); // the writer may still be closing the file it created
        assertEquals(List.of("40010"), tshark(files.get(0), "-T", "fields", "-e", "tcp.srcport"));
        recorder.deactivate();
    }

    private static List<Path> list(Path folder) throws Exception {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.sorted().toList();
        }
    }

    private static List<String> tshark(Path file, String... arguments) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("tshark", "-r", file.toString()));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), "tshark read " + file);
        return out.strip().lines().map(String::strip).toList();
    }
}
