package org.migware.capture.file.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.migware.capture.file.internal.TestFiles.frame;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.migware.api.packet.CaptureStatistics;
import org.migware.api.packet.PacketListener;

@Timeout(30)
class FilePacketSourceTest {

    private static final long T0 = 1_700_000_000_000_000_000L;
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @Test
    void everySubscriptionReplaysTheWholeFile() throws Exception {
        Path file = write(100, 1_000L);
        try (FilePacketSource source = new FilePacketSource(file, 0)) {
            assertEquals("file:" + file, source.name());
            Recorder first = new Recorder();
            Recorder second = new Recorder();
            FilePacketSource.Replay one = source.subscribe(first);
            FilePacketSource.Replay two = source.subscribe(second);
            assertTrue(one.awaitEnd(WAIT));
            assertTrue(two.awaitEnd(WAIT));
            assertEquals(100, first.frames.size());
            assertEquals(100, second.frames.size());
            for (int i = 0; i < 100; i++) {
                assertTrue(Arrays.equals(frame(i, 60 + i), first.frames.get(i)), "frame " + i);
                assertEquals(T0 + i * 1_000L, first.timestamps.get(i));
            }
            CaptureStatistics statistics = source.statistics();
            assertEquals(200, statistics.received());
            assertEquals(0, statistics.droppedByUsTotal());
            assertEquals(0, statistics.droppedByKernel());
            assertEquals(0, statistics.droppedByInterface());
            assertFalse(statistics.running());
        }
    }

    @Test
    void aThrowingListenerIsCountedAndTheReplayGoesOn() throws Exception {
        Path file = write(10, 1L);
        try (FilePacketSource source = new FilePacketSource(file, 0)) {
            List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
            FilePacketSource.Replay replay = source.subscribe((frame, offset, length, timestampNanos) -> {
                seen.add(length);
                if (length % 2 == 0) {
                    throw new IllegalStateException("a listener bug");
                }
            });
            assertTrue(replay.awaitEnd(WAIT));
            assertEquals(10, seen.size(), "every frame was still offered");
            assertEquals(10, replay.delivered());
            assertEquals(Map.of(DropReasons.LISTENER_FAILED, 5L), source.statistics().droppedByUs());
        }
    }

    @Test
    void aTruncatedLastRecordIsACountedDrop() throws Exception {
        Path file = write(5, 1L);
        byte[] whole = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(whole, whole.length - 1));
        try (FilePacketSource source = new FilePacketSource(file, 0)) {
            Recorder recorder = new Recorder();
            assertTrue(source.subscribe(recorder).awaitEnd(WAIT));
            assertEquals(4, recorder.frames.size());
            CaptureStatistics statistics = source.statistics();
            assertEquals(5, statistics.received());
            assertEquals(Map.of(DropReasons.TRUNCATED_RECORD, 1L), statistics.droppedByUs());
        }
    }

    @Test
    void closeStopsARealTimeReplayAndWaits() throws Exception {
        Path file = write(3, 3_600_000_000_000L); // an hour between frames
        try (FilePacketSource source = new FilePacketSource(file, 1.0)) {
            CountDownLatch first = new CountDownLatch(1);
            FilePacketSource.Replay replay = source.subscribe((frame, offset, length, ts) -> first.countDown());
            assertTrue(first.await(20, TimeUnit.SECONDS));
            assertTrue(source.statistics().running(), "waiting for the second frame");
            replay.close();
            assertEquals(1, replay.delivered());
            assertTrue(replay.awaitEnd(Duration.ZERO), "close() returned after the thread ended");
            assertFalse(source.statistics().running());
            replay.close(); // twice is harmless
        }
    }

    @Test
    void aListenerMayCloseItsOwnSubscription() throws Exception {
        Path file = write(10, 1L);
        try (FilePacketSource source = new FilePacketSource(file, 0)) {
            AtomicReference<FilePacketSource.Replay> self = new AtomicReference<>();
            CountDownLatch subscribed = new CountDownLatch(1);
            FilePacketSource.Replay replay = source.subscribe((frame, offset, length, ts) -> {
                try {
                    subscribed.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                self.get().close(); // must not wait for itself
            });
            self.set(replay);
            subscribed.countDown();
            assertTrue(replay.awaitEnd(WAIT));
            assertEquals(1, replay.delivered());
        }
    }

    @Test
    void pacingKeepsTheFilesGapsScaledBySpeed() throws Exception {
        Path file = write(3, 200_000_000L); // 0.4 s of capture
        try (FilePacketSource source = new FilePacketSource(file, 2.0)) {
            long start = System.nanoTime();
            assertTrue(source.subscribe(new Recorder()).awaitEnd(WAIT));
            // a lower bound only: the replay must not be faster than 0.4 s / 2
            assertTrue(System.nanoTime() - start >= 200_000_000L);
        }
    }

    @Test
    void closingTheSourceEndsEverythingAndLaterSubscriptionsEndAtOnce() throws Exception {
        Path file = write(3, 3_600_000_000_000L);
        FilePacketSource source = new FilePacketSource(file, 1.0);
        CountDownLatch first = new CountDownLatch(1);
        FilePacketSource.Replay replay = source.subscribe((frame, offset, length, ts) -> first.countDown());
        assertTrue(first.await(20, TimeUnit.SECONDS));
        source.close();
        assertTrue(replay.awaitEnd(Duration.ZERO));
        Recorder late = new Recorder();
        assertTrue(source.subscribe(late).awaitEnd(Duration.ZERO));
        assertTrue(late.frames.isEmpty());
    }

    @Test
    void aFileThatVanishedIsLoggedNotThrown() throws Exception {
        Path file = write(3, 1L);
        try (FilePacketSource source = new FilePacketSource(file, 0)) {
            Files.delete(file);
            Recorder recorder = new Recorder();
            assertTrue(source.subscribe(recorder).awaitEnd(WAIT));
            assertTrue(recorder.frames.isEmpty());
        }
    }

    @Test
    void refusesASpeedThatIsNotAFactor() {
        Path file = dir.resolve("x.pcap");
        assertThrows(IllegalArgumentException.class, () -> new FilePacketSource(file, -1));
        assertThrows(IllegalArgumentException.class, () -> new FilePacketSource(file, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new FilePacketSource(file, Double.POSITIVE_INFINITY));
    }

    private Path write(int count, long gapNanos) throws IOException {
        Path file = dir.resolve("f" + count + "-" + gapNanos + ".pcap");
        try (PcapFileWriter writer = new PcapFileWriter(file, ByteOrder.LITTLE_ENDIAN, 65535)) {
            for (int i = 0; i < count; i++) {
                writer.write(frame(i, 60 + i), 0, 60 + i, T0 + i * gapNanos);
            }
        }
        return file;
    }

    /** Copies what it gets: the source reuses its buffer. */
    static final class Recorder implements PacketListener {
        final List<byte[]> frames = Collections.synchronizedList(new ArrayList<>());
        final List<Long> timestamps = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void onPacket(byte[] frame, int offset, int length, long timestampNanos) {
            frames.add(Arrays.copyOfRange(frame, offset, offset + length));
            timestamps.add(timestampNanos);
        }
    }
}
