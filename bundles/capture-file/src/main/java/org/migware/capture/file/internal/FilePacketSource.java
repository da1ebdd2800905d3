package org.migware.capture.file.internal;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.migware.api.packet.CaptureStatistics;
import org.migware.api.packet.PacketListener;
import org.migware.api.packet.PacketSource;
import org.migware.api.packet.PacketSubscription;
import org.migware.capture.shared.internal.DropCounters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link PacketSource} that replays a pcap or pcapng file.
 *
 * <p>Every {@link #subscribe} replays the whole file, from its first record, to that one listener
 * on a thread of its own; two subscribers therefore see the same frames independently, which is
 * what tests and offline analysis want. With {@code replaySpeed} 0 frames come as fast as the
 * listener takes them; with 1.0 the gaps between their timestamps are kept (2.0: halved).
 * Timestamps are the file's, not the time of the replay.
 *
 * <p>Statistics add up over all replays: {@code received} counts every record read (also the
 * ones then dropped), {@code droppedByUs} counts per reason in {@link DropReasons}, and
 * {@code running} says whether any replay is in progress. The kernel and interface counters are
 * always 0: a file has no kernel.
 *
 * <p>Plain Java: {@link FileCaptureComponent} creates it in OSGi, tests construct it directly.
 */
public final class FilePacketSource implements PacketSource, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FilePacketSource.class);
    private static final AtomicInteger THREAD_NUMBER = new AtomicInteger();

    private final Path path;
    private final double replaySpeed;
    private final String name;
    private final AtomicLong received = new AtomicLong();
    private final DropCounters drops = new DropCounters();
    private final Set<Replay> replays = ConcurrentHashMap.newKeySet();
    private boolean closed; // guarded by this

    /**
     * @param path the capture file; it is opened anew by every subscription
     * @param replaySpeed 0 for as fast as possible, otherwise a positive factor of real time
     */
    public FilePacketSource(Path path, double replaySpeed) {
        this.path = Objects.requireNonNull(path, "path");
        if (!(replaySpeed >= 0) || Double.isInfinite(replaySpeed)) {
            throw new IllegalArgumentException("replaySpeed must be 0 or a positive factor: " + replaySpeed);
        }
        this.replaySpeed = replaySpeed;
        this.name = "file:" + path;
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * Starts replaying the whole file to {@code listener}. After {@link #close()}, returns a
     * subscription that has already ended.
     */
    @Override
    public Replay subscribe(PacketListener listener) {
        Objects.requireNonNull(listener, "listener");
        Replay replay = new Replay(listener);
        synchronized (this) {
            if (closed) {
                replay.finished.countDown();
                return replay;
            }
            replays.add(replay);
            replay.thread.start();
        }
        return replay;
    }

    @Override
    public CaptureStatistics statistics() {
        return new CaptureStatistics(received.get(), 0, 0, drops.snapshot(), !replays.isEmpty());
    }

    /** Stops every replay and waits for them; later subscriptions end at once. */
    @Override
    public void close() {
        List<Replay> running;
        synchronized (this) {
            closed = true;
            running = new ArrayList<>(replays);
        }
        running.forEach(Replay::close);
    }

    /** One subscription: the thread that replays the file to one listener. */
    public final class Replay implements PacketSubscription {

        private final PacketListener listener;
        private final Thread thread;
        private final CountDownLatch finished = new CountDownLatch(1);
        private volatile boolean stopRequested;
        private volatile long delivered;
        private long failures;
        private long firstTimestampNanos = Long.MIN_VALUE;
        private long replayStartNanos;

        private Replay(PacketListener listener) {
            this.listener = listener;
            this.thread = new Thread(this::run, "migware-file-replay-" + THREAD_NUMBER.incrementAndGet());
            // A listener that never returns must not keep the JVM alive after the framework stopped.
            this.thread.setDaemon(true);
        }

        /** Stops the replay and returns once the listener is no longer being called. */
        @Override
        public void close() {
            stopRequested = true;
            LockSupport.unpark(thread);
            if (Thread.currentThread() == thread) {
                return; // closed from inside the listener: the loop ends after this call returns
            }
            boolean interrupted = false;
            while (true) {
                try {
                    finished.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // keep the promise "returns once no call is in progress"
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        /**
         * Waits until the replay has reached the end of the file (or was closed).
         *
         * @param timeout how long to wait at most
         * @return whether it ended
         * @throws InterruptedException when the waiting thread is interrupted
         */
        public boolean awaitEnd(Duration timeout) throws InterruptedException {
            return finished.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        }

        /** @return how many frames this subscription's listener got (including calls that threw) */
        public long delivered() {
            return delivered;
        }

        private void run() {
            try (PcapFileReader reader = PcapFileReader.open(path)) {
                replay(reader);
            } catch (NoSuchFileException e) {
                // The file was checked at activation; it changed since. One line, no stack trace.
                LOG.error("{}: cannot replay: the file no longer exists", name);
            } catch (IOException | PcapFormatException e) {
                LOG.error("{}: cannot replay: {}", name, e instanceof IOException ? e.toString() : e.getMessage());
            } finally {
                replays.remove(this);
                finished.countDown();
                if (failures > 0) {
                    LOG.warn("{}: a listener threw {} times during one replay; those frames were counted as {}",
                            name, failures, DropReasons.LISTENER_FAILED);
                }
            }
        }

        private void replay(PcapFileReader reader) throws IOException {
            while (!stopRequested) {
                switch (reader.next()) {
                    case FRAME -> {
                        received.incrementAndGet();
                        if (!waitUntilDue(reader.timestampNanos())) {
                            return;
                        }
                        deliver(reader);
                    }
                    case DROPPED -> {
                        received.incrementAndGet();
                        drops.count(reader.dropReason());
                    }
                    case TRUNCATED -> {
                        received.incrementAndGet();
                        drops.count(DropReasons.TRUNCATED_RECORD);
                        LOG.warn("{}: {}; counted as {}", name, reader.problem(), DropReasons.TRUNCATED_RECORD);
                        return;
                    }
                    case CORRUPT -> {
                        drops.count(DropReasons.CORRUPT_RECORD);
                        LOG.warn("{}: {}; the rest of the file is not replayed", name, reader.problem());
                        return;
                    }
                    case END -> {
                        return;
                    }
                }
            }
        }

        private void deliver(PcapFileReader reader) {
            delivered++; // single writer: this thread
            try {
                listener.onPacket(reader.frameArray(), reader.frameOffset(), reader.capturedLength(),
                        reader.timestampNanos());
            } catch (Throwable t) {
                // Never let a listener end the replay: count it, and show the first failure in full
                // because it is a bug in the listener that someone has to find.
                drops.count(DropReasons.LISTENER_FAILED);
                if (failures++ == 0) {
                    LOG.warn("{}: listener {} threw; counting further failures as {}",
                            name, listener, DropReasons.LISTENER_FAILED, t);
                }
            }
        }

        /** Paces the replay; returns false when the subscription was closed while waiting. */
        private boolean waitUntilDue(long timestampNanos) {
            if (replaySpeed == 0) {
                return true;
            }
            if (firstTimestampNanos == Long.MIN_VALUE) {
                firstTimestampNanos = timestampNanos;
                replayStartNanos = System.nanoTime();
                return true;
            }
            long due = replayStartNanos + (long) ((timestampNanos - firstTimestampNanos) / replaySpeed);
            while (!stopRequested) {
                long wait = due - System.nanoTime();
                if (wait <= 0) {
                    return true; // also for timestamps that go backwards: deliver at once
                }
                LockSupport.parkNanos(this, wait);
            }
            return false;
        }
    }
}
