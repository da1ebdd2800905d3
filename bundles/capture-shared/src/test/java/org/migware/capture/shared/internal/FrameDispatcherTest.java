package org.migware.capture.shared.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.migware.api.packet.PacketSubscription;

@Timeout(30)
class FrameDispatcherTest {

    private final FrameDispatcher dispatcher = new FrameDispatcher("test");
    private final byte[] frame = new byte[60];

    @Test
    void everySubscriberGetsEveryFrameWithItsTimestamp() {
        List<Long> first = Collections.synchronizedList(new ArrayList<>());
        List<Long> second = Collections.synchronizedList(new ArrayList<>());
        dispatcher.subscribe((f, offset, length, ts) -> first.add(ts));
        dispatcher.subscribe((f, offset, length, ts) -> second.add(ts));
        for (long ts = 1; ts <= 3; ts++) {
            dispatcher.dispatch(frame, 0, 60, 60, ts);
        }
        assertEquals(List.of(1L, 2L, 3L), first);
        assertEquals(List.of(1L, 2L, 3L), second);
        assertEquals(3, dispatcher.received());
        assertEquals(Map.of(), dispatcher.drops());
    }

    @Test
    void aThrowingListenerIsCountedAndTheOthersStillGetTheFrame() {
        AtomicInteger after = new AtomicInteger();
        dispatcher.subscribe((f, offset, length, ts) -> {
            throw new IllegalStateException("bug");
        });
        dispatcher.subscribe((f, offset, length, ts) -> {
            throw new AssertionError("even an Error");
        });
        dispatcher.subscribe((f, offset, length, ts) -> after.incrementAndGet());
        dispatcher.dispatch(frame, 0, 60, 60, 1);
        dispatcher.dispatch(frame, 0, 60, 60, 2);
        assertEquals(2, after.get());
        assertEquals(Map.of(DropReasons.LISTENER_FAILED, 4L), dispatcher.drops());
    }

    @Test
    void aFrameCutBySnaplenIsCountedNotDelivered() {
        AtomicInteger delivered = new AtomicInteger();
        dispatcher.subscribe((f, offset, length, ts) -> delivered.incrementAndGet());
        dispatcher.dispatch(frame, 0, 60, 9000, 1);
        assertEquals(0, delivered.get());
        assertEquals(1, dispatcher.received());
        assertEquals(Map.of(DropReasons.LONGER_THAN_SNAPLEN, 1L), dispatcher.drops());
    }

    @Test
    void aClosedSubscriptionGetsNothingMore() {
        AtomicInteger delivered = new AtomicInteger();
        PacketSubscription subscription = dispatcher.subscribe((f, offset, length, ts) -> delivered.incrementAndGet());
        dispatcher.dispatch(frame, 0, 60, 60, 1);
        subscription.close();
        subscription.close();
        dispatcher.dispatch(frame, 0, 60, 60, 2);
        assertEquals(1, delivered.get());
        assertEquals(0, dispatcher.subscriberCount());
    }

    @Test
    void closeWaitsUntilTheListenerHasReturned() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean listenerReturned = new AtomicBoolean();
        PacketSubscription subscription = dispatcher.subscribe((f, offset, length, ts) -> {
            inside.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            listenerReturned.set(true);
        });
        Thread capture = new Thread(() -> dispatcher.dispatch(frame, 0, 60, 60, 1), "capture");
        dispatcher.captureThread(capture);
        capture.start();
        assertTrue(inside.await(10, TimeUnit.SECONDS));

        AtomicBoolean returnedEarly = new AtomicBoolean();
        Thread closer = new Thread(() -> {
            subscription.close();
            returnedEarly.set(!listenerReturned.get());
        }, "closer");
        closer.start();
        closer.join(200); // give a wrong close() the chance to return early
        assertTrue(closer.isAlive(), "close() waits while the listener runs");
        release.countDown();
        closer.join();
        capture.join();
        assertFalse(returnedEarly.get(), "close() returned only after the listener had returned");
    }

    @Test
    void aListenerMayCloseItsOwnSubscriptionOnTheCaptureThread() throws Exception {
        AtomicReference<PacketSubscription> self = new AtomicReference<>();
        AtomicInteger delivered = new AtomicInteger();
        self.set(dispatcher.subscribe((f, offset, length, ts) -> {
            delivered.incrementAndGet();
            self.get().close(); // must not wait for itself
        }));
        Thread capture = new Thread(() -> {
            dispatcher.dispatch(frame, 0, 60, 60, 1);
            dispatcher.dispatch(frame, 0, 60, 60, 2);
        }, "capture");
        dispatcher.captureThread(capture);
        capture.start();
        capture.join();
        assertEquals(1, delivered.get());
    }

    @Test
    void afterCloseAllSubscriptionsEndAtOnce() {
        AtomicInteger delivered = new AtomicInteger();
        dispatcher.subscribe((f, offset, length, ts) -> delivered.incrementAndGet());
        dispatcher.closeAll();
        PacketSubscription late = dispatcher.subscribe((f, offset, length, ts) -> delivered.incrementAndGet());
        dispatcher.dispatch(frame, 0, 60, 60, 1);
        late.close();
        assertEquals(0, delivered.get());
        assertEquals(0, dispatcher.subscriberCount());
    }

    @Test
    void subscribingAndClosingWhileFramesFlowLosesNoOtherSubscribersFrames() throws Exception {
        AtomicInteger steady = new AtomicInteger();
        dispatcher.subscribe((f, offset, length, ts) -> steady.incrementAndGet());
        Thread capture = new Thread(() -> {
            for (int i = 0; i < 200_000; i++) {
                dispatcher.dispatch(frame, 0, 60, 60, i);
            }
        }, "capture");
        dispatcher.captureThread(capture);
        capture.start();
        while (capture.isAlive()) {
            AtomicInteger churn = new AtomicInteger();
            PacketSubscription subscription = dispatcher.subscribe((f, offset, length, ts) -> churn.incrementAndGet());
            subscription.close();
            int seen = churn.get();
            Thread.onSpinWait();
            assertEquals(seen, churn.get(), "no call after close() returned");
        }
        assertEquals(200_000, steady.get());
        assertEquals(200_000, dispatcher.received());
    }
}
