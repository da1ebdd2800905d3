package org.migware.capture.shared.internal;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.migware.api.packet.PacketListener;
import org.migware.api.packet.PacketSubscription;
import org.migware.capture.shared.internal.DropCounters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands each captured frame to every current subscriber, on the capture thread.
 *
 * <p>The subscribers are a copy-on-write array: the capture thread reads one volatile field per
 * frame and never locks; subscribing and closing copy the array under a lock. A listener that throws
 * is counted ({@link DropReasons#LISTENER_FAILED}) and the frame still goes to the others: nothing
 * may escape into the backend's capture loop (libpcap's would end the capture).
 *
 * <p>{@link PacketSubscription#close()} promises to return only once its listener is no longer
 * being called. The capture thread makes {@code dispatchSequence} odd while it hands out a frame
 * and even between frames; a closing thread removes the subscriber first and then, if it sees an odd
 * value, waits until the value changes. Both fields are volatile, so either the capture thread sees
 * the removal before it reads the array, or the closing thread sees the odd value and waits
 * (the store-then-load pattern of Dekker's algorithm, which volatile makes sequentially consistent).
 */
public final class FrameDispatcher {

    private static final Logger LOG = LoggerFactory.getLogger(FrameDispatcher.class);
    private static final Subscription[] NONE = new Subscription[0];

    private final String sourceName;
    private final DropCounters drops = new DropCounters();
    /** Written by the capture thread only: a release store suffices, readers use get(). */
    private final AtomicLong received = new AtomicLong();
    private volatile Subscription[] subscriptions = NONE;
    private volatile long dispatchSequence;
    private long sequence; // the capture thread's own copy of dispatchSequence
    private volatile Thread captureThread;
    private boolean closed; // guarded by this

    /** @param sourceName the source's name, for log lines */
    public FrameDispatcher(String sourceName) {
        this.sourceName = sourceName;
    }

    /** Tells which thread delivers, so that a listener closing its own subscription does not wait for itself. */
    public void captureThread(Thread thread) {
        this.captureThread = thread;
    }

    public PacketSubscription subscribe(PacketListener listener) {
        Subscription subscription = new Subscription(Objects.requireNonNull(listener, "listener"));
        synchronized (this) {
            if (closed) {
                subscription.closed = true;
                return subscription; // the source is gone: an already ended subscription
            }
            Subscription[] current = subscriptions;
            Subscription[] next = Arrays.copyOf(current, current.length + 1);
            next[current.length] = subscription;
            subscriptions = next;
        }
        return subscription;
    }

    /**
     * Delivers one frame. Called by the capture thread only.
     *
     * @param originalLength the frame's length on the wire; longer than {@code length} means cut
     */
    public void dispatch(byte[] frame, int offset, int length, int originalLength, long timestampNanos) {
        received.setRelease(received.getPlain() + 1);
        if (length < originalLength) {
            // The listeners' contract has no "this frame is incomplete": a cut frame would look like
            // a wrong IP or TCP length to the parser. Count it instead, where the operator sees it.
            drops.count(DropReasons.LONGER_THAN_SNAPLEN);
            return;
        }
        dispatchSequence = ++sequence; // odd: a frame is being handed out
        try {
            for (Subscription subscription : subscriptions) {
                try {
                    subscription.listener.onPacket(frame, offset, length, timestampNanos);
                } catch (Throwable t) {
                    subscription.failed(t);
                }
            }
        } finally {
            dispatchSequence = ++sequence; // even: between frames
        }
    }

    public long received() {
        return received.get();
    }

    public Map<String, Long> drops() {
        return drops.snapshot();
    }

    public int subscriberCount() {
        return subscriptions.length;
    }

    /** Ends every subscription; later ones end at once. Called when the source closes. */
    public void closeAll() {
        Subscription[] ended;
        synchronized (this) {
            closed = true;
            ended = subscriptions;
            subscriptions = NONE;
        }
        for (Subscription subscription : ended) {
            subscription.closed = true;
            subscription.logFailures();
        }
        awaitNoDispatch();
    }

    private void remove(Subscription subscription) {
        synchronized (this) {
            Subscription[] current = subscriptions;
            int at = Arrays.asList(current).indexOf(subscription);
            if (at >= 0) {
                    Subscription[] next = new Subscription[current.length - 1];
                System.arraycopy(current, 0, next, 0, at);
                System.arraycopy(current, at + 1, next, at, current.length - at - 1);
                subscriptions = next;
            }
        }
        // also when another thread removed it first: this caller, too, returns only after the call
        awaitNoDispatch();
    }

    /** Waits until a frame that may still use an old array has been handed out. */
    private void awaitNoDispatch() {
        if (Thread.currentThread() == captureThread) {
            return; // closed from inside a listener: the current frame ends when the listener returns
        }
        long observed = dispatchSequence;
        if ((observed & 1) == 0) {
            return;
        }
        // Listeners return within microseconds: spin briefly, then back off to short parks.
        for (int spins = 0; dispatchSequence == observed; spins++) {
            if (spins < 1000) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
            }
        }
    }

    /** One listener's subscription. */
    private final class Subscription implements PacketSubscription {

        private final PacketListener listener;
        private volatile boolean closed;
        private long failures; // written by the capture thread only

        Subscription(PacketListener listener) {
            this.listener = listener;
        }

        void failed(Throwable t) {
            drops.count(DropReasons.LISTENER_FAILED);
            if (failures++ == 0) {
                // the first failure in full: it is a bug in the listener that someone has to find
                LOG.warn("{}: listener {} threw; counting further failures as {}",
                        sourceName, listener, DropReasons.LISTENER_FAILED, t);
            }
        }

        void logFailures() {
            if (failures > 1) {
                LOG.warn("{}: listener {} threw {} times in all", sourceName, listener, failures);
            }
        }

        @Override
        public void close() {
            boolean first = !closed;
            closed = true;
            remove(this);
            if (first) {
                logFailures();
            }
        }
    }
}
