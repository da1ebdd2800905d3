package org.migware.lab.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The box's scheduling, on frames the test feeds in and a clock it sets: which frames wait, for
 * how long, which overtake, what a full queue drops.
 */
class WireDirectionTest {

    private static final long MS = 1_000_000L;

    /** Frames to read (each a length, numbered from 1 as read) and what was sent, with the time. */
    private static final class Wire implements WireDirection.Input, WireDirection.Output {
        final int arenaBytes;
        /** The number of the frame read at each arena offset; index arenaBytes is the scratch buffer. */
        final int[] numbers;
        final ArrayDeque<Integer> waiting = new ArrayDeque<>();
        final List<long[]> sent = new ArrayList<>(); // {number, time}
        long now;
        boolean refuse;
        int next = 1;

        Wire(int arenaBytes) {
            this.arenaBytes = arenaBytes;
            this.numbers = new int[arenaBytes + 1];
        }

        private int index(int slot) {
            return slot == WireDirection.SCRATCH ? arenaBytes : slot;
        }

        void arrive(int... lengths) {
            for (int length : lengths) {
                waiting.add(length);
            }
        }

        @Override
        public int read(int slot) {
            Integer length = waiting.poll();
            if (length == null) {
                return WireDirection.NOTHING;
            }
            if (length == WireDirection.SKIP) {
                return WireDirection.SKIP;
            }
            numbers[index(slot)] = next++;
            return length;
        }

        @Override
        public long errors() {
            return 0;
        }

        @Override
        public boolean send(int slot, int length) {
            if (refuse) {
                return false;
            }
            sent.add(new long[] {numbers[index(slot)], now});
            return true;
        }

        List<Long> order() {
            return sent.stream().map(s -> s[0]).toList();
        }
    }

    private static WireDirection direction(Wire wire, Impairment impairment, int limit, long seed) {
        return new WireDirection(impairment, new WireQueue(wire.arenaBytes, 100, limit), wire, wire,
                new SplittableRandom(seed), () -> wire.now);
    }

    @Test
    void withoutADelayEveryFrameGoesAtOnce() {
        Wire wire = new Wire(200);
        WireDirection d = direction(wire, Impairment.NONE, 1, 1);
        wire.arrive(60, 60, 60);
        assertEquals(3, d.receive(64));
        assertEquals(List.of(1L, 2L, 3L), wire.order());
        assertFalse(d.holding());
        WireCounters c = d.counters();
        assertEquals(3, c.received());
        assertEquals(3, c.forwarded());
        assertEquals(0, c.delayed());
    }

    @Test
    void aDelayHoldsEachFrameForExactlyTheDelayInOrder() {
        Wire wire = new Wire(1000);
        WireDirection d = direction(wire, Impairment.delay(Duration.ofMillis(10)), 100, 1);
        wire.now = 0;
        wire.arrive(50);
        d.receive(64);
        wire.now = 3 * MS;
        wire.arrive(50, 50);
        d.receive(64);
        assertTrue(d.holding());
        assertEquals(10 * MS, d.nextDue());
        wire.now = 10 * MS - 1;
        d.transmitDue();
        assertEquals(List.of(), wire.order(), "not before its time");
        wire.now = 10 * MS;
        d.transmitDue();
        assertEquals(List.of(1L), wire.order());
        assertEquals(13 * MS, d.nextDue());
        wire.now = 14 * MS;
        d.transmitDue();
        assertEquals(List.of(1L, 2L, 3L), wire.order());
        assertEquals(14 * MS, wire.sent.get(2)[1]);
        WireCounters c = d.counters();
        assertEquals(3, c.delayed());
        assertEquals(3, c.forwarded());
        assertEquals(0, c.reordered());
        assertEquals(666, c.lateMeanMicros(), "0, 1 and 1 ms late: 666 us on average");
        assertEquals(1000, c.lateMaxMicros());
    }

    @Test
    void reorderedFramesOvertakeTheHeldOnesInNetemsShare() {
        Wire wire = new Wire(1_000_000);
        WireDirection d = direction(wire, Impairment.delay(Duration.ofMillis(10)).withReorder(25), 10_000, 42);
        for (int i = 0; i < 4000; i++) {
            wire.now = i * 100_000L; // a frame every 0.1 ms: about 100 held at any time
            wire.arrive(10);
            d.receive(64);
            d.transmitDue();
        }
        wire.now += 20 * MS;
        d.transmitDue();
        WireCounters c = d.counters();
        assertEquals(4000, c.forwarded());
        long atOnce = c.forwarded() - c.delayed();
        assertTrue(atOnce > 4000 * 0.22 && atOnce < 4000 * 0.28, "25 % go at once: " + atOnce);
        assertEquals(atOnce, c.reordered(), "with frames always held, every one that goes at once overtakes");
        // the oracle of the order: a frame sent after a higher-numbered one was overtaken
        long overtaken = 0;
        long highest = 0;
        for (long n : wire.order()) {
            if (n < highest) {
                overtaken++;
            }
            highest = Math.max(highest, n);
        }
        assertTrue(overtaken > 0.5 * c.delayed(), "the held frames arrive after later ones: " + overtaken);
    }

    @Test
    void aFullQueueDropsTheDelayedFramesButNotTheOnesThatGoAtOnce() {
        Wire wire = new Wire(200);
        // a limit of two frames; 50 % go at once
        WireDirection d = direction(wire, Impairment.delay(Duration.ofMillis(10)).withReorder(50), 2, 7);
        for (int i = 0; i < 40; i++) {
            wire.arrive(10);
        }
        assertEquals(40, d.receive(64));
        WireCounters c = d.counters();
        assertEquals(40, c.received());
        assertEquals(2, c.queued());
        long atOnce = c.forwarded();
        assertEquals(40, atOnce + 2 + c.queueFull(), c.toString());
        assertTrue(c.queueFull() > 5 && atOnce > 5, c.toString());
    }

    @Test
    void skippedFramesAreNotCountedOversizeOnesAndRefusedSendsAre() {
        Wire wire = new Wire(200);
        WireDirection d = direction(wire, Impairment.NONE, 1, 1);
        wire.arrive(WireDirection.SKIP, 101, 10);
        wire.refuse = true;
        assertEquals(3, d.receive(64));
        WireCounters c = d.counters();
        assertEquals(2, c.received());
        assertEquals(1, c.oversize());
        assertEquals(1, c.sendErrors());
        assertEquals(0, c.forwarded());
    }

    @Test
    void theBatchBoundsOneCall() {
        Wire wire = new Wire(200);
        WireDirection d = direction(wire, Impairment.NONE, 1, 1);
        for (int i = 0; i < 10; i++) {
            wire.arrive(10);
        }
        assertEquals(4, d.receive(4));
        assertEquals(6, d.receive(64));
    }

    @Test
    void duplicatedFramesLeaveTwiceRightAfterThemselvesInNetemsShare() {
        Wire wire = new Wire(200);
        WireDirection d = direction(wire, Impairment.duplicate(5), 1, 3);
        for (int i = 0; i < 4000; i++) {
            wire.arrive(10);
            d.receive(64);
        }
        WireCounters c = d.counters();
        assertEquals(4000, c.received());
        assertEquals(4000 + c.duplicated(), c.forwarded());
        assertTrue(c.duplicated() > 4000 * 0.035 && c.duplicated() < 4000 * 0.065, "5 % sent twice: " + c.duplicated());
        // the oracle of the copies: each one is its frame's number again, right after it, and nothing else is out of order
        List<Long> order = wire.order();
        long copies = 0;
        for (int i = 1; i < order.size(); i++) {
            assertTrue(order.get(i) >= order.get(i - 1), "duplication alone reorders nothing: " + order.subList(i - 1, i + 1));
            if (order.get(i).equals(order.get(i - 1))) {
                copies++;
            }
        }
        assertEquals(c.duplicated(), copies);
        assertEquals(4000, order.get(order.size() - 1));
    }

    @Test
    void aDelayedFrameDrawnForDuplicationLeavesTwiceAtItsDueTime() {
        Wire wire = new Wire(1000);
        WireDirection d = direction(wire, Impairment.delay(Duration.ofMillis(10)).withDuplicate(100), 100, 1);
        wire.arrive(50, 50);
        d.receive(64);
        assertEquals(List.of(), wire.order(), "held, copy and all");
        wire.now = 10 * MS;
        d.transmitDue();
        assertEquals(List.of(1L, 1L, 2L, 2L), wire.order());
        WireCounters c = d.counters();
        assertEquals(2, c.delayed());
        assertEquals(2, c.duplicated());
        assertEquals(4, c.forwarded());
    }

    @Test
    void withoutDuplicationNoFrameLeavesTwice() {
        Wire wire = new Wire(200);
        WireDirection d = direction(wire, Impairment.NONE, 1, 1);
        for (int i = 0; i < 1000; i++) {
            wire.arrive(10);
        }
        d.receive(2000);
        assertEquals(1000, wire.order().stream().distinct().count());
        assertEquals(0, d.counters().duplicated());
    }

    @Test
    void impairmentsFollowNetemsRules() {
        assertTrue(Impairment.NONE.sendsAtOnce(0.999));
        Impairment quarter = Impairment.delay(Duration.ofMillis(5)).withReorder(25);
        assertTrue(quarter.sendsAtOnce(0.0));
        assertTrue(quarter.sendsAtOnce(0.2499));
        assertFalse(quarter.sendsAtOnce(0.25));
        assertFalse(Impairment.delay(Duration.ofMillis(5)).sendsAtOnce(0.0));
        assertThrows(IllegalArgumentException.class, () -> Impairment.NONE.withReorder(10), "reordering needs a delay");
        assertThrows(IllegalArgumentException.class, () -> Impairment.delay(Duration.ofMillis(-1)));
        assertThrows(IllegalArgumentException.class, () -> Impairment.delay(Duration.ofMillis(1)).withReorder(101));
        assertEquals("delay 20 ms, 25.0 % reordered", Impairment.delay(Duration.ofMillis(20)).withReorder(25).toString());
    }

    @Test
    void duplicationFollowsNetemsRulesAndNeedsNoDelay() {
        Impairment five = Impairment.duplicate(5);
        assertFalse(five.isNone());
        assertFalse(five.delays());
        assertTrue(five.sendsAtOnce(0.999), "no delay: every frame goes at once");
        assertTrue(five.sendsTwice(0.0));
        assertTrue(five.sendsTwice(0.0499));
        assertFalse(five.sendsTwice(0.05));
        assertFalse(Impairment.NONE.sendsTwice(0.0));
        assertFalse(Impairment.delay(Duration.ofMillis(5)).withReorder(25).duplicates());
        assertThrows(IllegalArgumentException.class, () -> Impairment.duplicate(-1));
        assertThrows(IllegalArgumentException.class, () -> Impairment.duplicate(100.5));
        assertEquals("5.0 % duplicated", five.toString());
        assertEquals("delay 20 ms, 25.0 % reordered, 1.0 % duplicated",
                Impairment.delay(Duration.ofMillis(20)).withReorder(25).withDuplicate(1).toString());
    }
}
